"""Screens built ahead of their first switch, and switches that draw no more than changed.

The executable builds the Standup, Experiments and Models screens once the first screen is
drawn (`prepare` in `MlboardApp`); these tests drive an app built the same way.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from mlboard.services.stories.records import move_story
from mlboard.store.tables import Run
from mlboard.tui.app import MlboardApp
from mlboard.tui.compat import build_mode, built_screen
from mlboard.tui.screens.board.screen import BoardScreen
from mlboard.tui.screens.experiments.screen import ExperimentsScreen
from mlboard.tui.screens.standup.screen import StandupScreen
from mlboard.tui.widgets.board_column import BoardColumn

SIZE = (150, 44)
AHEAD = ("standup", "experiments", "models")


def add_run(workspace, name: str) -> None:
    """A run straight into the mirror, as a sync in another terminal writes it."""
    now = datetime(2026, 11, 25, 9, tzinfo=UTC)
    with workspace.writing() as session:
        session.execute(
            insert(Run),
            [
                {
                    "run_id": name,
                    "tracking_uri": "sqlite:///other.db",
                    "experiment_id": "1",
                    "experiment_name": "fraud",
                    "run_name": name,
                    "status": "FINISHED",
                    "user": "ana",
                    "start_time": now,
                    "end_time": now + timedelta(minutes=5),
                    "deleted": False,
                    "parent_run_id": None,
                    "params": {},
                    "tags": {},
                    "metrics": {},
                    "synced_at": now,
                }
            ],
        )


def run_names(screen: ExperimentsScreen) -> list[str]:
    return [run.run_name for run in screen.shown]


async def test_screens_are_built_with_their_data_while_the_board_stays(sample_workspace):
    add_run(sample_workspace, "lgbm-first")
    app = MlboardApp(sample_workspace, prepare=AHEAD)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, BoardScreen) and app.current_mode == "board"
        assert app.screen.focused is not None and isinstance(app.focused.parent, BoardColumn)
        experiments = built_screen(app, "experiments")
        standup = built_screen(app, "standup")
        assert isinstance(experiments, ExperimentsScreen) and run_names(experiments) == [
            "lgbm-first"
        ]
        assert isinstance(standup, StandupScreen) and standup.standup is not None
        assert built_screen(app, "models") is not None
        assert built_screen(app, "planning") is None  # only the screens asked for
        await pilot.press("x")
        await pilot.pause()
        assert app.screen is experiments  # shown, not built again


async def test_a_screen_built_ahead_shows_what_changed_since(sample_workspace):
    """Another terminal syncs a run after the Experiments screen was built: the switch reads
    again before showing it, without waiting for the change poll."""
    app = MlboardApp(sample_workspace, prepare=("experiments",))
    started = asyncio.Event()
    app.after_start_up(started.set)  # the screens built ahead are built: not before
    async with app.run_test(size=SIZE) as pilot:
        await asyncio.wait_for(started.wait(), 60)
        await app.workers.wait_for_complete()
        await pilot.pause()
        experiments = built_screen(app, "experiments")
        assert isinstance(experiments, ExperimentsScreen) and run_names(experiments) == []
        add_run(sample_workspace, "synced-elsewhere")
        await pilot.press("x")
        await pilot.pause()
        assert app.screen is experiments and run_names(experiments) == ["synced-elsewhere"]


async def test_the_board_left_and_shown_again_reads_what_changed(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        board = app.screen
        todo = board.query_one("#column-todo", BoardColumn)
        key = todo.stories[0].key
        await pilot.press("x")
        await pilot.pause()
        move_story(sample_workspace, key, "review")
        await pilot.press("b")
        await pilot.pause()
        review = board.query_one("#column-review", BoardColumn)
        assert key in [story.key for story in review.stories]


async def test_a_switch_to_a_screen_built_ahead_keeps_the_stylesheet(sample_workspace):
    """Textual applies the whole stylesheet again on the first switch to a mode; a screen built
    ahead (`compat.build_mode`) has it applied already, so the switch keeps the parsed rules
    (the board's cards then stay drawn). Fails on a Textual whose private API changed."""
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        standup = await build_mode(app, "standup")
        experiments = await build_mode(app, "experiments")
        assert await build_mode(app, "experiments") is None  # once
        await pilot.pause()
        rules = app.stylesheet.rules
        await pilot.press("x")
        await pilot.pause()
        assert app.screen is experiments
        await pilot.press("u")
        await pilot.pause()
        assert app.screen is standup
        assert app.stylesheet.rules is rules


async def test_the_highlighted_card_follows_the_focus_in_its_colours(sample_workspace):
    """Cards keep their drawn lines across switches; a change of focus still redraws them."""
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        board = app.screen
        todo = board.query_one("#column-todo", BoardColumn).cards
        todo.focus()
        await pilot.pause()

        def highlighted() -> object:
            return next(segment.style for segment in todo.render_line(0) if segment.text.strip())

        focused = highlighted()
        await pilot.press("right")
        await pilot.pause()
        assert not todo.has_focus and highlighted() != focused
        await pilot.press("left", "x", "b")
        await pilot.pause()
        assert todo.has_focus and highlighted() == focused
