"""The mlboard Textual app: the Board, Experiments and Models screens, and MLflow sync."""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.widget import AwaitMount
from textual.worker import Worker, WorkerState, get_current_worker

from mlboard.config import Settings, local_zone
from mlboard.services.changes import change_marker
from mlboard.services.stories.board import BoardData
from mlboard.tui.first_read import FirstRead, read_first
from mlboard.tui.keys import bind, check_keymap
from mlboard.tui.modes import PREPARED, SCREENS, prepare_screens, screen_factory
from mlboard.tui.navigation import OpenCompare, OpenRun, OpenStory
from mlboard.tui.screens.board.screen import BoardScreen
from mlboard.tui.sync_worker import (
    NO_TRACKING_URI,
    SyncFailed,
    SyncFinished,
    SyncProgress,
    sync_all,
)

if TYPE_CHECKING:
    from mlboard.services.standup.screen_data import Standup
    from mlboard.services.workspace import Workspace


CHANGE_POLL_SECONDS = 2.0  # how soon others' changes (CLI, sync job, lineage events) appear


class MlboardApp(App[None]):
    """Every action has a binding id, so `[tool.mlboard.keymap]` can remap its keys.

    Each screen is a mode with its own stack (a story opened from the board stays open there
    while you look at experiments). `data_version` counts changes made behind a screen's back
    (a sync, a link); screens compare it with what they last loaded when they are shown again.

    Given `settings` and the `first` screen's data read without SQLAlchemy (`first_read`)
    instead of an open workspace, the first screen draws that and the workspace opens on first
    use, after the first frame: the board's evidence read opens it in its worker thread. The
    screens named in `prepare` are built ahead once the first one is drawn.
    """

    TITLE = "mlboard"
    MODES = {"board": BoardScreen, **{mode: screen_factory(mode) for mode in SCREENS}}
    DEFAULT_MODE = "board"
    BINDINGS = [
        bind("show_board", "switch_mode('board')", "Board"),
        bind("show_experiments", "switch_mode('experiments')", "Experiments"),
        bind("show_models", "switch_mode('models')", "Models", show=False),
        bind("show_planning", "switch_mode('planning')", "Planning"),
        bind("show_standup", "switch_mode('standup')", "Standup"),
        bind("show_data", "switch_mode('data')", "Data"),
        # Listed by ? and the command palette; the footer keeps the screens of every day.
        bind("show_governance", "switch_mode('governance')", "Governance", show=False),
        bind("show_audit", "switch_mode('audit')", "Audit", show=False),
        bind("sync", "sync", "Sync", tooltip="Sync runs and models from MLflow"),
        bind("help", "toggle_help", "Help"),
        bind("quit", "quit", "Quit"),
    ]

    def __init__(
        self,
        workspace: Workspace | None = None,
        screen: str = "board",
        *,
        settings: Settings | None = None,
        first: FirstRead | None = None,
        prepare: Iterable[str] = (),
    ) -> None:
        # The mode the app opens on (`mlboard --screen standup` at standup time); Textual reads
        # it while initialising, so it is set first.
        self.DEFAULT_MODE = screen  # type: ignore[misc]
        super().__init__()
        if workspace is None and settings is None:
            raise TypeError("MlboardApp needs a workspace, or the settings to open one")
        self.settings: Settings = workspace.settings if workspace is not None else settings  # type: ignore[union-attr,assignment]
        self._workspace = workspace
        self._opening = threading.Lock()
        self._first = first
        self._marker = first.marker if first else None
        self.data_version = 0
        self._before_first_frame: list[Callable[[], object]] | None = []
        self._after_start_up: list[Callable[[], object]] = []
        self._prepare = tuple(prepare)

    @property
    def workspace(self) -> Workspace:
        """The open database, opened here on first use when the app started from a snapshot
        (any thread; one opens it, the others wait for it)."""
        with self._opening:
            if self._workspace is None:
                from mlboard.services.workspace import open_workspace

                self._workspace = open_workspace(self.settings)
            return self._workspace

    def close_workspace(self) -> None:
        if self._workspace is not None:
            self._workspace.close()

    def now(self) -> datetime:
        """The workspace's clock; an app started from a snapshot has the real one from the start."""
        return self._workspace.now() if self._workspace is not None else datetime.now(UTC)

    def today(self) -> date:
        """The team's date now (`Workspace.today`), without opening the workspace for it."""
        if self._workspace is not None:
            return self._workspace.today()
        return self.now().astimezone(local_zone(self.settings.timezone)).date()

    def take_first_board(self) -> BoardData | None:
        """The board read before the app started, once: the board's first paint draws it."""
        board = self._first.board if self._first else None
        if board is not None:
            self._first = replace(self._first, board=None)  # type: ignore[arg-type]
        return board

    def take_first_standup(self) -> Callable[[], Standup | None] | None:
        """The standup read while the app started, once (a call that waits for it)."""
        standup = self._first.standup if self._first else None
        if standup is not None:
            self._first = replace(self._first, standup=None)  # type: ignore[arg-type]
        return standup

    def on_mount(self) -> None:
        self.set_keymap(dict(self.settings.keymap))
        if self._marker is None:
            self._marker = change_marker(self.workspace)
        self.set_interval(CHANGE_POLL_SECONDS, self.poll_changes)

    def on_ready(self) -> None:
        """The first frame is laid out (and shown at the next refresh): start what waited, then
        build the other screens people switch to first."""
        waiting, self._before_first_frame = self._before_first_frame or [], None
        for callback in waiting:
            self.call_after_refresh(callback)
        self.call_after_refresh(self._prepare_screens)

    @work(group="prepare", exclusive=True, exit_on_error=False)
    async def _prepare_screens(self) -> None:
        try:
            await prepare_screens(self, self._prepare)
        finally:
            for callback in self._after_start_up:
                callback()

    def after_start_up(self, callback: Callable[[], object]) -> None:
        """Run `callback` once start-up's work is done: the first screen drawn with its data,
        the other screens people switch to first built ahead."""
        self._after_start_up.append(callback)

    def after_first_frame(self, callback: Callable[[], object]) -> None:
        """Run `callback` once the first frame is displayed (after the next refresh, later on).

        A worker thread started earlier competes with the first paint for the interpreter and
        delays the very frame the user waits for; extra details (card facts, a digest) can wait
        for it instead.
        """
        if self._before_first_frame is None:
            self.call_after_refresh(callback)
        else:
            self._before_first_frame.append(callback)

    def switch_mode(self, mode: str) -> AwaitMount:
        """Show `mode`'s screen, read again first if others changed the data since it was read.

        A screen built ahead, or left a while ago, compares what it read with the data then
        (`data_version`, on being shown); one tiny query here makes sure a change made in
        another terminal a moment ago counts, rather than waiting for the next poll.
        """
        moving = mode != self.current_mode and self._marker is not None
        if moving and change_marker(self.workspace) != self._marker:
            self.catch_up()
        return super().switch_mode(mode)

    def poll_changes(self) -> None:
        """Reload the screens when someone else changed the data (one tiny query otherwise).

        Not before the workspace is open: the first screen's reads open it (and its marker was
        read before them), so a change made meanwhile is seen at the next poll.
        """
        if self._workspace is None:
            return
        if change_marker(self.workspace) != self._marker:
            self.data_changed()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The current screen's own switch key is hidden: the footer stays one line at 120."""
        return not (action == "switch_mode" and parameters[:1] == (self.current_mode,))

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def catch_up(self) -> None:
        """Read the change marker, then count a change: what the screens read after this holds
        every change up to the marker, so the poll does not reload them for it again."""
        self._marker = change_marker(self.workspace)
        self.data_version += 1

    def data_changed(self) -> None:
        """Runs or links changed: redraw the visible stack now, the other screens when shown."""
        self.catch_up()
        for screen in self.screen_stack:
            refresh = getattr(screen, "refresh_data", None)
            if refresh is not None and screen.is_mounted:
                refresh()

    def on_open_story(self, message: OpenStory) -> None:
        from mlboard.tui.screens.opening import open_story

        open_story(self, message.key)

    def on_open_run(self, message: OpenRun) -> None:
        from mlboard.tui.screens.opening import open_run

        open_run(self, message.run_id)

    def on_open_compare(self, message: OpenCompare) -> None:
        from mlboard.tui.screens.opening import open_compare

        open_compare(self, story=message.story, run_ids=message.run_ids)

    @property
    def served(self) -> bool:
        """Whether this board runs in a browser tab (`mlboard serve` sets MLBOARD_SERVED=1 for
        its tabs; any web driver counts too). A served board writes no file on the server: what
        it would save to a path is a download in the browser instead."""
        return self.is_web or os.environ.get("MLBOARD_SERVED") == "1"

    @property
    def syncing(self) -> bool:
        return any(w.group == "sync" and w.is_running for w in self.workers)

    def action_sync(self) -> None:
        uris = self.settings.tracking_uris
        if not uris:
            self.notify(NO_TRACKING_URI, title="Nothing to sync", severity="warning", markup=False)
            return
        if self.syncing:
            self.notify("A sync is already running.", markup=False)
            return
        self.sub_title = "syncing…"
        self._sync(uris)

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False)
    def _sync(self, uris: tuple[str, ...]) -> None:
        """Thread worker: never touches a widget, reports through messages only."""
        worker = get_current_worker()
        summary = sync_all(
            self.workspace, uris, self.post_message, cancelled=lambda: worker.is_cancelled
        )
        self.post_message(SyncFinished(summary))

    @on(SyncProgress)
    def _sync_progress(self, message: SyncProgress) -> None:
        self.sub_title = f"⟳ {message.text}"

    @on(SyncFailed)
    def _sync_failed(self, message: SyncFailed) -> None:
        self.notify(message.text, title="Sync failed", severity="error", markup=False, timeout=10)

    @on(SyncFinished)
    def _sync_finished(self, message: SyncFinished) -> None:
        self.sub_title = ""
        summary = message.summary
        if len(summary.failures) < len(self.settings.tracking_uris):
            self.notify(summary.describe(), title="Synced", markup=False)
        if summary.changed or summary.model_versions:
            self.data_changed()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """A bug or a locked database in a worker: say so, keep the app running."""
        if event.state == WorkerState.ERROR:
            if event.worker.group == "sync":
                self.sub_title = ""
            error = event.worker.error
            self.notify(
                f"{type(error).__name__}: {error}",
                title=f"{event.worker.group.capitalize()} failed",
                severity="error",
                markup=False,
                timeout=10,
            )

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette offers every action of the current screen, with its key."""
        yield from super().get_system_commands(screen)
        seen = {"quit", "command_palette"}
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.action in seen or not active.enabled:
                continue
            seen.add(binding.action)
            key = self.get_key_display(binding)
            yield SystemCommand(
                binding.description,
                f"{binding.tooltip or binding.description} ({key})",
                lambda action=binding.action, node=active.node: self.run_action(action, node),
            )


def board_app(
    settings: Settings, screen: str = "board", first: FirstRead | None = None, **options: Any
) -> MlboardApp:
    """The app on `screen` for the database of `settings`.

    The board and the standup draw their first frame from a read made without SQLAlchemy
    (`first_read`; the executable makes it before importing Textual) when the file's schema is
    current. Otherwise (another screen, PostgreSQL, a schema to upgrade or refuse) the
    workspace opens first, as before.
    """
    first = first or read_first(settings, screen)
    if first is not None:
        return MlboardApp(settings=settings, screen=screen, first=first, **options)
    from mlboard.services.workspace import open_workspace

    return MlboardApp(open_workspace(settings), screen, **options)


def run_board(
    settings: Settings, screen: str = "board", first: FirstRead | None = None, **run: Any
) -> None:
    """Run the app on `screen` until the user quits (`run` goes to `App.run`: the benchmarks
    drive the app headless this way, through the same start-up).

    A keymap that gives one key to two bindings is refused first, before the app starts.

    The executable starts with the cyclic garbage collector off (`mlboard.launcher`): start-up
    creates a few hundred thousand long-lived objects (modules, classes, styles, screens and
    their data) that it would scan again and again, in pauses of a tenth of a second. It is on
    again from the first frame; once the other screens are built, one collection clears what
    start-up left behind and freezes the rest (`gc.freeze`), so that later collections, during
    a switch or a key press, scan only what came after.
    """
    check_keymap(settings)
    app = board_app(settings, screen, first, prepare=PREPARED)
    app.after_first_frame(gc.enable)
    app.after_start_up(_freeze_start_up)
    try:
        app.run(**run)
    finally:
        app.close_workspace()


def _freeze_start_up() -> None:
    gc.collect()
    gc.freeze()
