"""Opening one view from another: a story, a run, runs side by side.

A story opens its runs and a run opens its stories, from Experiments, the board, the compare
view and each other. Each view is imported when it is first opened, as the app's screens are:
no screen pays at start-up for the views it can open, and the story and run views can open each
other without importing each other.

The run and compare views are kept once built (installed, in Textual's words) and shown again
with the next run or runs: building a screen, its tables and its footer costs several times
more than reading and drawing a run, and people open run after run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from textual.app import App
from textual.screen import Screen

from mlboard.errors import UserError
from mlboard.tui.host import host

S = TypeVar("S", bound=Screen[None])


def _kept(app: App[None], name: str, build: Callable[[], S]) -> tuple[S, bool]:
    """The view kept as `name` and True, or a new one and False: the first time (it is kept
    from then on), and when the kept one is on a screen stack now (a run opened from a story
    opened from that run's view)."""
    if not app.is_screen_installed(name):
        view = build()
        app.install_screen(view, name)
        return view, False
    kept: S = app.get_screen(name)  # type: ignore[assignment]
    for mode in app.MODES:
        try:
            if kept in app.get_screen_stack(mode):
                return build(), False
        except KeyError:  # a mode not opened yet
            continue
    return kept, True


def _after_story(app: App[None], edited: str | None) -> None:
    if edited is not None:
        host(app).data_changed()


def open_story(app: App[None], key: str) -> None:
    """The story's detail; when it was edited there, every screen reads again."""
    from mlboard.tui.screens.stories.story_detail import StoryDetailScreen

    app.push_screen(StoryDetailScreen(key), lambda edited: _after_story(app, edited))


def open_run(app: App[None], run_id: str) -> None:
    from mlboard.tui.screens.experiments.run_detail import RunDetailScreen

    view, again = _kept(app, "run", lambda: RunDetailScreen(run_id))
    if again:
        view.show_run(run_id)
    app.push_screen(view)


def open_compare(app: App[None], *, story: str | None = None, run_ids: Sequence[str] = ()) -> None:
    """A story's finished runs, or the runs given, side by side; when they cannot be compared
    (one run, none finished, more than 50), a notification says why."""
    from mlboard.services.experiments.compare import compare_runs, compare_story_runs
    from mlboard.tui.screens.experiments.run_compare import RunCompareScreen

    workspace = host(app).workspace
    try:
        comparison = (
            compare_story_runs(workspace, story) if story else compare_runs(workspace, run_ids)
        )
    except UserError as error:
        app.notify(error.message, title="Compare", severity="warning", markup=False)
        return
    view, again = _kept(
        app, "compare", lambda: RunCompareScreen(comparison, story=story, run_ids=run_ids)
    )
    if again:
        view.show_comparison(comparison, story=story, run_ids=run_ids)
    app.push_screen(view)
