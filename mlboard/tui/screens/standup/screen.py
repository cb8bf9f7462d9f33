"""The Standup: walk the team one person at a time, with the ML news beside them, and a timer.

The digest is the one `mlboard standup` prints (mlboard/services/standup/digest.py), computed in a
thread so the screen paints at once and says "loading…" until it arrives. Everything shown comes
from that one digest and the active sprint's cards, so the copied or saved Markdown says exactly
what the screen said. The meeting timer ticks only while it runs: an idle standup costs no CPU.
"""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Header, Static
from textual.worker import Worker, WorkerState

from mlboard.errors import UserError
from mlboard.tui.keys import bind
from mlboard.tui.screens.screen_base import Loaded, LoadFailed, ScreenBase
from mlboard.tui.screens.standup.dialogs import NoteScreen, SaveDigestScreen
from mlboard.tui.screens.standup.panels import (
    card_lines,
    heading,
    ml_for,
    ml_lines,
    person_lines,
    sprint_pulse,
    timer_text,
    window_line,
)
from mlboard.tui.text import one_line
from mlboard.tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from mlboard.services.standup.screen_data import Standup

DIGEST_DOWNLOAD = "standup digest"  # the name a browser download of the digest is delivered by


class StandupScreen(ScreenBase):
    """One person at a time (`n`/`N`), the team's ML news on the right, the sprint on top."""

    TITLE = "mlboard · Standup"
    CSS_PATH = "standup.tcss"
    BINDINGS = [
        bind("next_person", "step(1)", "Next", tooltip="Next person", priority=True),
        bind("previous_person", "step(-1)", "Previous", tooltip="Previous person", priority=True),
        bind("toggle_timer", "toggle_timer", "Timer", tooltip="Start or pause the timer"),
        bind("reset_timer", "reset_timer", "Reset timer", show=False),
        bind("copy_digest", "copy", "Copy", tooltip="Copy the digest as Markdown"),
        bind("save_digest", "save", "Save", tooltip="Save the digest to a Markdown file"),
        bind("write_note", "note", "Note", tooltip="Write this person's note"),
        bind("refresh_digest", "reload", "Refresh", tooltip="Compute the digest again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.standup: Standup | None = None
        self.index = 0
        self._request = 0
        self.elapsed = 0.0  # seconds of meeting before the timer's last start
        self.started_at: float | None = None  # monotonic time of the last start; None: paused
        self.ticker: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="standup-top"):
            yield Static("Standup", id="standup-window")
            yield Static(id="standup-timer")
        yield Static("loading…", id="standup-pulse")
        with Horizontal(id="standup-body"):
            with VerticalScroll(id="standup-person"):
                yield Static(id="person-heading")
                with Horizontal(id="person-columns"):
                    yield Static(id="person-board")
                    yield Static(id="person-ml")
                yield Static(id="person-cards")
            with VerticalScroll(id="standup-team-ml"):
                yield Static(id="team-ml")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#standup-team-ml").border_title = "ML since the last standup"
        self.show_timer()
        self.refresh_data()

    # -- the digest

    def refresh_data(self) -> None:
        """A sync, an edit elsewhere or `r`: compute the digest again."""
        self.mark_read()
        self._request += 1
        self.call_after_refresh(self._compute, self._request)

    @work(thread=True, exclusive=True, group="standup", exit_on_error=False)
    def _compute(self, request: int) -> None:
        """Thread worker: reads only, and hands the result over in a message. The first
        time, the digest may have been read already while the app started (`first_read`)."""
        first = self.host.take_first_standup()
        try:
            standup = first() if first is not None else None
            if standup is None:
                workspace = self.workspace  # opening it loads the database layer, once
                from mlboard.services.standup.screen_data import load_standup

                standup = load_standup(workspace)
        except UserError as error:
            self.post_message(LoadFailed(error.message, request))
            return
        self.post_message(Loaded(standup, request))

    @on(Loaded)
    def digest_loaded(self, message: Loaded[Standup]) -> None:
        if message.request != self._request:
            return
        handle = self.person["member"] if self.person else None
        self.standup = message.data
        people = self.standup.data["people"]
        self.index = next((i for i, p in enumerate(people) if p["member"] == handle), self.index)
        self.index = min(self.index, max(len(people) - 1, 0))
        self.redraw()

    @on(LoadFailed)
    def digest_failed(self, message: LoadFailed) -> None:
        if message.request == self._request:
            self.query_one("#standup-pulse", Static).update(Content.styled(message.text, "$error"))

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """A bug or a locked database: say it where the digest would be."""
        if event.worker.group == "standup" and event.state == WorkerState.ERROR:
            error = event.worker.error
            self.query_one("#standup-pulse", Static).update(
                Content.styled(f"The digest failed: {type(error).__name__}: {error}", "$error")
            )

    @property
    def person(self) -> dict[str, Any] | None:
        people = self.standup.data["people"] if self.standup else []
        return people[self.index] if people else None

    def redraw(self) -> None:
        standup = self.standup
        if standup is None:
            return
        data = standup.data
        self.query_one("#standup-window", Static).update(window_line(standup.since))
        self.query_one("#standup-pulse", Static).update(sprint_pulse(data["sprint"]))
        self.query_one("#team-ml", Static).update(
            ml_lines(
                data["ml"], quiet="No runs finished or failed, no new bests, no model changes."
            )
        )
        self.show_person()

    def show_person(self) -> None:
        standup, person = self.standup, self.person
        person_heading = self.query_one("#person-heading", Static)
        board, ml = self.query_one("#person-board", Static), self.query_one("#person-ml", Static)
        if standup is None or person is None:
            person_heading.update(
                Content.styled("Nobody on the team yet (mlboard member add).", "bold")
            )
            board.update("")
            ml.update("")
            self.query_one("#person-cards", Static).update("")
            return
        count = len(standup.data["people"])
        person_heading.update(
            Content.assemble(
                (one_line(person["name"]), "bold"),
                (f"  @{person['member']}", "$text-primary"),
                (f"   {self.index + 1} / {count}", "$text-muted"),
            )
        )
        cards = standup.cards.get(person["member"], [])
        board.update(person_lines(person, {story.key: story.title for story in cards}))
        self.query_one("#person-cards", Static).update(card_lines(cards, standup.sprint))
        keys = {s.key for s in cards} | set(person["done"])
        for kind in ("doing", "blocked", "moved_back"):
            keys |= {item["story"] for item in person[kind]}
        ml.update(
            Content("\n").join(
                [
                    heading("ML on their stories"),
                    ml_lines(
                        ml_for(standup.data["ml"], keys), quiet="nothing since the last standup"
                    ),
                ]
            )
        )
        self.query_one("#standup-person", VerticalScroll).scroll_home(animate=False)

    def action_step(self, offset: int) -> None:
        people = self.standup.data["people"] if self.standup else []
        if people:
            self.index = (self.index + offset) % len(people)
            self.show_person()

    # -- the timer

    def elapsed_seconds(self) -> float:
        running = 0.0 if self.started_at is None else time.monotonic() - self.started_at
        return self.elapsed + running

    @property
    def timer_running(self) -> bool:
        return self.started_at is not None

    def show_timer(self) -> None:
        self.query_one("#standup-timer", Static).update(
            timer_text(self.elapsed_seconds(), self.timer_running)
        )

    def action_toggle_timer(self) -> None:
        if self.started_at is None:
            self.started_at = time.monotonic()
            self.ticker = self.set_interval(1.0, self.show_timer)
        else:
            self.elapsed = self.elapsed_seconds()
            self.started_at = None
            self._stop_ticker()
        self.show_timer()

    def action_reset_timer(self) -> None:
        self.elapsed, self.started_at = 0.0, None
        self._stop_ticker()
        self.show_timer()

    def _stop_ticker(self) -> None:
        if self.ticker is not None:
            self.ticker.stop()
            self.ticker = None

    # -- copy, save, note

    def _loaded(self) -> Standup | None:
        if self.standup is None:
            self.notify("The digest is still loading.", markup=False)
        return self.standup

    def action_copy(self) -> None:
        if standup := self._loaded():
            self.app.copy_to_clipboard(standup.markdown)
            self.notify("The digest is on the clipboard as Markdown.", title="Copied", markup=False)

    def action_save(self) -> None:
        """To a file named in a dialog; in a browser tab, a download (nothing on the server)."""
        if not (standup := self._loaded()):
            return
        name = f"standup-{standup.today:%Y-%m-%d}.md"
        if not self.host.served:
            self.app.push_screen(SaveDigestScreen(standup.markdown, name), self._saved)
            return
        self.app.deliver_text(
            io.StringIO(standup.markdown),
            save_filename=name,
            mime_type="text/markdown",
            name=DIGEST_DOWNLOAD,
        )
        self.notify(f"{name} is on its way to your browser.", title="Digest", markup=False)

    def _saved(self, path: Path | None) -> None:
        if path is not None:
            self.notify(str(path), title="Digest saved", markup=False)

    def action_note(self) -> None:
        if self._loaded() and (person := self.person):
            self.app.push_screen(NoteScreen(person), self._noted)

    def _noted(self, written: bool | None) -> None:
        if written:
            self.refresh_data()
