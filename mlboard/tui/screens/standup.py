"""The Standup: walk the team one person at a time, with the ML news beside them, and a timer.

The digest is the one `mlboard standup` prints (services/standup.py), computed in a thread so
the screen paints at once and says "loading…" until it arrives. Everything shown comes from
that one digest and the active sprint's cards, so the copied or saved Markdown says exactly
what the screen said. The meeting timer ticks only while it runs: an idle standup costs no CPU.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Input, Label, Static
from textual.worker import Worker, WorkerState

from mlboard.domain import STATUS_LABELS
from mlboard.errors import UserError
from mlboard.services.sprints import active_sprint_name
from mlboard.services.standup import Digest, standup_digest, write_note
from mlboard.services.standup_text import digest_markdown
from mlboard.services.stories import StoryView, list_stories
from mlboard.services.workspace import Workspace

MEETING_MINUTES = 10  # the timer turns $warning past this
MAX_ITEMS = 12  # lines of one kind in an ML panel before "… and N more"
CARD_ORDER = ("in_progress", "review", "todo", "backlog", "done")
STATUS_STYLES = {"in_progress": "$text-primary", "review": "$text-accent", "done": "$success"}
SEP = ("  ·  ", "$text-muted")


@dataclass(frozen=True)
class Standup:
    """What the screen shows: the digest (as JSON and Markdown) and each person's cards."""

    digest: Digest
    data: dict[str, Any]
    markdown: str
    sprint: str | None
    cards: dict[str, list[StoryView]]


def load_standup(ws: Workspace) -> Standup:
    digest = standup_digest(ws)
    sprint = active_sprint_name(ws)
    cards: dict[str, list[StoryView]] = defaultdict(list)
    for story in list_stories(ws, sprint=sprint) if sprint else []:
        if story.assignee:
            cards[story.assignee].append(story)
    return Standup(digest, digest.as_json(), digest_markdown(digest), sprint, dict(cards))


# ---------------------------------------------------------------- what the panels say


def one_line(text: object, width: int | None = None) -> str:
    """User text on one line (breaks and control characters flattened), cut to `width`."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in str(text or "")).split())
    return flat if width is None or len(flat) <= width else flat[: width - 1] + "…"


def percent(value: float | None) -> str:
    if value is None:
        return "—"
    if 0 < value < 0.005:
        return "<1%"
    if 0.995 <= value < 1:
        return ">99%"
    return f"{value:.0%}"


def _points(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def _status(status: str) -> str:
    return STATUS_LABELS.get(status, status)  # type: ignore[call-overload]


def _key_order(key: str) -> tuple[bool, str, int]:
    prefix, _, number = key.rpartition("-")
    return (key == "no story", prefix, int(number) if number.isdigit() else 0)


def window_line(since: datetime) -> Content:
    return Content.assemble(("Standup", "bold"), f" since {since:%a %b %d %H:%M} → now")


def sprint_pulse(sprint: dict[str, Any] | None) -> Content:
    """`Sprint 24: 3 days left · 19 pts remaining (ideal 6.6) · chance to finish 40% (was 55%)`"""
    if sprint is None:
        return Content.styled("no active sprint", "$text-muted")
    left = sprint["days_left"]
    remaining, ideal = sprint["remaining_points"], sprint["ideal_remaining_points"]
    behind = remaining is not None and ideal is not None and remaining > ideal
    parts: list[str | tuple[str, str]] = [
        (one_line(sprint["name"]), "bold"),
        f": {left} day{'' if left == 1 else 's'} left",
        SEP,
        (f"{_points(remaining)} pts remaining", "$warning" if behind else ""),
        f" (ideal {_points(ideal)})",
    ]
    now, then = sprint["p_finish"], sprint["p_finish_at_last_standup"]
    if now is not None:
        parts += [SEP, "chance to finish ", (percent(now), "bold")]
        if then is not None:
            trend = ("", "") if percent(now) == percent(then) else (
                (" ↑", "$success") if now > then else (" ↓", "$warning")
            )  # fmt: skip
            parts += [trend, (f" (was {percent(then)} at the last standup)", "$text-muted")]
    return Content.assemble(*parts)


def timer_text(seconds: float, running: bool) -> Content:
    minutes, rest = divmod(int(seconds), 60)
    style = "bold" if running else "$text-muted"
    if seconds >= MEETING_MINUTES * 60:
        style = "bold $warning"
    state = "" if running else (" paused" if seconds else " t to start")
    return Content.assemble(("◷ ", style), (f"{minutes:02d}:{rest:02d}", style), (state, "dim"))


def _heading(text: str, count: int | None = None) -> Content:
    return Content.styled(text if count is None else f"{text} ({count})", "bold $text-secondary")


def person_lines(person: dict[str, Any], titles: dict[str, str]) -> Content:
    """Done, doing (days in status), blocked (reason), moved back and their note, literally."""
    lines: list[Content] = []

    def section(title: str, items: list[Content]) -> None:
        if items:
            lines.extend([_heading(title), *items, Content("")])

    section(
        "Done since the last standup",
        [
            Content.assemble(("✓ ", "$success"), (key, "bold"), " ", one_line(titles.get(key)))
            for key in person["done"]
        ],
    )
    section(
        "Doing",
        [
            Content.assemble(
                ("● ", STATUS_STYLES.get(item["status"], "")),
                (item["story"], "bold"),
                (f" {_status(item['status'])} · {item['days_in_status']:g} d  ", "$text-muted"),
                one_line(item["title"]),
            )
            for item in person["doing"]
        ],
    )
    section(
        "Blocked",
        [
            Content.assemble(
                ("⊘ ", "$error"), (item["story"], "bold"), " ", one_line(item["reason"])
            )
            for item in person["blocked"]
        ],
    )
    section(
        "Moved back",
        [
            Content.assemble(
                ("↩ ", "$warning"),
                (item["story"], "bold"),
                f" {_status(item['from'])} → {_status(item['to'])}",
            )
            for item in person["moved_back"]
        ],
    )
    if not lines:
        lines += [Content.styled("Nothing on the board since the last standup.", "$text-muted")]
        lines.append(Content(""))
    note = person["note"]
    lines.append(_heading("Note"))
    if note is None:
        lines.append(Content.styled("none yet — w to write one", "$text-muted"))
    for label in ("yesterday", "today", "blockers") if note else ():
        lines.append(
            Content.assemble((f"{label:<10}", "$text-muted"), one_line(note[label]) or "—")
        )
    return Content("\n").join(lines)


def card_lines(cards: list[StoryView], sprint: str | None) -> Content:
    """The person's cards in the active sprint, the ones in motion first; one line each."""
    heading = _heading(
        f"Their cards in {one_line(sprint)}" if sprint else "Their cards", len(cards)
    )
    order = {status: index for index, status in enumerate(CARD_ORDER)}
    lines = [
        Content.assemble(
            (f"{story.key:<8}", "bold"),
            (f"{_status(story.status):<12}", STATUS_STYLES.get(story.status, "$text-muted")),
            ("⊘ " if story.blocked else "", "$error"),
            one_line(story.title),
        )
        for story in sorted(cards, key=lambda s: order.get(s.status, len(order)))
    ]
    if not cards:
        lines = [Content.styled("no cards in the active sprint", "$text-muted")]
    return Content("\n").join([heading, *lines])


def ml_for(ml: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    """The part of the digest's ML news that concerns the stories `keys`."""

    def mine(item: dict[str, Any]) -> bool:
        return item.get("story") in keys or bool(keys.intersection(item.get("stories", ())))

    return {section: [item for item in items if mine(item)] for section, items in ml.items()}


def _capped(lines: list[Content]) -> list[Content]:
    if len(lines) <= MAX_ITEMS:
        return lines
    more = Content.styled(f"… and {len(lines) - MAX_ITEMS + 1} more", "$text-muted")
    return [*lines[: MAX_ITEMS - 1], more]


def run_lines(ml: dict[str, Any]) -> list[Content]:
    """Runs finished and failed, a line per story, failures first.

    `ML-5     ✓ 1 finished  ✗ 1 failed: nan-loss`
    """
    finished: dict[str, int] = defaultdict(int)
    failed: dict[str, list[str]] = defaultdict(list)
    for run in ml["runs_finished"]:
        for key in run["stories"] or ["no story"]:
            finished[key] += 1
    for run in ml["runs_failed"]:
        name = one_line(run["run_name"] or run["run_id"], 24)
        for key in run["stories"] or ["no story"]:
            failed[key].append(
                name if run["status"] == "FAILED" else f"{name} ({run['status'].lower()})"
            )
    lines = []
    for key in sorted(
        finished.keys() | failed.keys(), key=lambda k: (not failed[k], _key_order(k))
    ):
        parts: list[str | tuple[str, str]] = [(f"{key:<8} ", "bold")]
        if finished[key]:
            parts += [("✓ ", "$success"), f"{finished[key]} finished  "]
        if failed[key]:
            names = ", ".join(failed[key][:3]) + (" …" if len(failed[key]) > 3 else "")
            parts += [("✗ ", "$error"), (f"{len(failed[key])} failed: ", "$error"), names]
        lines.append(Content.assemble(*parts))
    return lines


def model_lines(models: list[dict[str, Any]]) -> list[Content]:
    """Plain registrations grouped by model (`fraud  registered v3, v4`); aliases one a line."""
    registered: dict[str, list[str]] = defaultdict(list)
    lines = []
    for model in models:
        if model["event"] == "registered" and not model["aliases"]:
            registered[one_line(model["name"])].append(f"v{model['version']}")
            continue
        verb = " registered" if model["event"] == "registered" else " aliases now"
        lines.append(
            Content.assemble(
                ("◆ ", "$text-accent"),
                (f"{one_line(model['name'])} v{model['version']}", "bold"),
                verb,
                (" " + one_line("@" + ", @".join(model["aliases"])), "$text-accent"),
            )
        )
    for name, versions in registered.items():
        shown = ", ".join(versions[:4]) + (f" … ({len(versions)})" if len(versions) > 4 else "")
        lines.append(
            Content.assemble(("◆ ", "$text-accent"), (name, "bold"), f" registered {shown}")
        )
    return lines


def ml_lines(ml: dict[str, Any], *, quiet: str) -> Content:
    """Every kind of ML news in short literal lines, under a heading per kind."""
    sections: list[tuple[str, list[Content]]] = [
        (
            f"Runs ({len(ml['runs_finished'])} finished, {len(ml['runs_failed'])} failed)",
            run_lines(ml),
        ),
        (
            "New bests",
            [
                Content.assemble(
                    ("★ ", "$success"),
                    (best["story"], "bold"),
                    f" {one_line(best['metric'])} {_points(best['previous'])} → ",
                    (_points(best["new"]), "bold"),
                    ("  target met ✓", "$success")
                    if best["target_met"]
                    else (f"  not met ({one_line(best['target'])})", "$warning"),
                )
                for best in ml["new_bests"]
            ],
        ),
        (
            "Targets met",
            [
                Content.assemble(
                    ("◎ ", "$success"),
                    (met["story"], "bold"),
                    f" {one_line(met['target'])} ({_points(met['value'])})",
                )
                for met in ml["targets_met"]
            ],
        ),
        (
            "Long-running",
            [
                Content.assemble(
                    ("◷ ", "$warning"),
                    (" ".join([*run["stories"], ""]), "bold"),
                    one_line(run["message"]),
                )
                for run in ml["long_running"]
            ],
        ),
        (
            "Overfitting",
            [
                Content.assemble(
                    ("⚠ ", "$warning"), (w["story"], "bold"), " ", one_line(w["message"])
                )
                for w in ml["overfitting"]
            ],
        ),
        (f"Models ({len(ml['models'])} versions)", model_lines(ml["models"])),
    ]
    lines: list[Content] = []
    for title, items in sections:
        if items:
            count = None if title.startswith(("Runs", "Models")) else len(items)
            lines += [_heading(title, count), *_capped(items), Content("")]
    return Content("\n").join(lines[:-1]) if lines else Content.styled(quiet, "$text-muted")


# ---------------------------------------------------------------- the screen


class DigestLoaded(Message):
    def __init__(self, standup: Standup, request: int) -> None:
        super().__init__()
        self.standup = standup
        self.request = request


class DigestFailed(Message):
    def __init__(self, text: str, request: int) -> None:
        super().__init__()
        self.text = text
        self.request = request


class StandupScreen(Screen[None]):
    """One person at a time (`n`/`p`), the team's ML news on the right, the sprint on top."""

    TITLE = "mlboard · Standup"
    CSS_PATH = "../standup.tcss"
    BINDINGS = [
        Binding(
            "n,right", "step(1)", "Next", tooltip="Next person", id="next_person", priority=True
        ),
        Binding(
            "p,left",
            "step(-1)",
            "Previous",
            tooltip="Previous person",
            id="previous_person",
            priority=True,
        ),
        Binding(
            "t", "toggle_timer", "Timer", tooltip="Start or pause the timer", id="toggle_timer"
        ),
        Binding("T", "reset_timer", "Reset timer", show=False, id="reset_timer"),
        Binding("c", "copy", "Copy", tooltip="Copy the digest as Markdown", id="copy_digest"),
        Binding(
            "s", "save", "Save", tooltip="Save the digest to a Markdown file", id="save_digest"
        ),
        Binding("w", "note", "Note", tooltip="Write this person's note", id="write_note"),
        Binding("r", "reload", "Refresh", tooltip="Compute the digest again", id="refresh_digest"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.standup: Standup | None = None
        self.index = 0
        self.data_seen = -1
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
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#standup-team-ml").border_title = "ML since the last standup"
        self.show_timer()
        self.reload()

    @property
    def workspace(self) -> Workspace:
        return self.app.workspace  # type: ignore[attr-defined]

    # -- the digest

    def reload(self) -> None:
        self.data_seen = getattr(self.app, "data_version", 0)
        self._request += 1
        self.call_after_refresh(self._compute, self._request)

    @work(thread=True, exclusive=True, group="standup", exit_on_error=False)
    def _compute(self, request: int) -> None:
        """Thread worker: reads only, and hands the result over in a message."""
        try:
            self.post_message(DigestLoaded(load_standup(self.workspace), request))
        except UserError as error:
            self.post_message(DigestFailed(error.message, request))

    @on(DigestLoaded)
    def digest_loaded(self, message: DigestLoaded) -> None:
        if message.request != self._request:
            return
        handle = self.person["member"] if self.person else None
        self.standup = message.standup
        people = self.standup.data["people"]
        self.index = next((i for i, p in enumerate(people) if p["member"] == handle), self.index)
        self.index = min(self.index, max(len(people) - 1, 0))
        self.redraw()

    @on(DigestFailed)
    def digest_failed(self, message: DigestFailed) -> None:
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

    def refresh_data(self) -> None:
        """A sync or an edit elsewhere: compute the digest again."""
        self.reload()

    def on_screen_resume(self) -> None:
        if self.is_mounted and self.data_seen != getattr(self.app, "data_version", 0):
            self.reload()

    @property
    def person(self) -> dict[str, Any] | None:
        people = self.standup.data["people"] if self.standup else []
        return people[self.index] if people else None

    def redraw(self) -> None:
        standup = self.standup
        if standup is None:
            return
        data = standup.data
        self.query_one("#standup-window", Static).update(window_line(standup.digest.window.since))
        self.query_one("#standup-pulse", Static).update(sprint_pulse(data["sprint"]))
        self.query_one("#team-ml", Static).update(
            ml_lines(
                data["ml"], quiet="No runs finished or failed, no new bests, no model changes."
            )
        )
        self.show_person()

    def show_person(self) -> None:
        standup, person = self.standup, self.person
        heading = self.query_one("#person-heading", Static)
        board, ml = self.query_one("#person-board", Static), self.query_one("#person-ml", Static)
        if standup is None or person is None:
            heading.update(Content.styled("Nobody on the team yet (mlboard member add).", "bold"))
            board.update("")
            ml.update("")
            self.query_one("#person-cards", Static).update("")
            return
        count = len(standup.data["people"])
        heading.update(
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
                    _heading("ML on their stories"),
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

    def action_reload(self) -> None:
        self.reload()

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
        if standup := self._loaded():
            name = f"standup-{standup.digest.window.today:%Y-%m-%d}.md"
            self.app.push_screen(SaveDigestScreen(standup.markdown, name), self._saved)

    def _saved(self, path: Path | None) -> None:
        if path is not None:
            self.notify(str(path), title="Digest saved", markup=False)

    def action_note(self) -> None:
        if self._loaded() and (person := self.person):
            self.app.push_screen(NoteScreen(person), self._noted)

    def _noted(self, written: bool | None) -> None:
        if written:
            self.reload()


# ---------------------------------------------------------------- the dialogs


def write_atomically(path: Path, text: str) -> None:
    """All of `text` at `path`, or nothing: a temporary file beside it, then one rename."""
    if not path.parent.is_dir():
        raise UserError(f"folder {path.parent} does not exist")
    if path.is_dir():
        raise UserError(f"{path} is a folder: give a file name")
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as error:
        raise UserError(f"cannot write in {path.parent}: {error.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise UserError(f"cannot write {path}: {error.strerror}") from None


class SaveDigestScreen(ModalScreen[Path | None]):
    """Asks for a file name; dismissed with the path written, or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="save_cancel")]

    def __init__(self, markdown: str, name: str) -> None:
        super().__init__()
        self.markdown = markdown
        self.default_name = name

    def compose(self) -> ComposeResult:
        with Vertical(id="save-digest", classes="standup-dialog"):
            yield Label("Save the digest as Markdown", classes="dialog-heading")
            yield Input(self.default_name, id="save-path")
            yield Static(
                Content.styled(f"Relative to {Path.cwd()} · Enter to save, Esc to cancel", "dim"),
                classes="dialog-hint",
            )
            yield Static(id="save-error", classes="dialog-error")
        yield Footer()

    @on(Input.Submitted, "#save-path")
    def save(self, event: Input.Submitted) -> None:
        path = Path(event.value.strip()).expanduser()
        if not event.value.strip():
            self.query_one("#save-error", Static).update(Content("Give a file name."))
            return
        path = path if path.is_absolute() else Path.cwd() / path
        try:
            write_atomically(path, self.markdown)
        except UserError as error:
            self.query_one("#save-error", Static).update(Content(error.message))
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)


class NoteScreen(ModalScreen[bool]):
    """The person's note for today: yesterday, today, blockers. Dismissed with True once saved."""

    FIELDS = ("yesterday", "today", "blockers")
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="note_cancel"),
        Binding("ctrl+s", "save", "Save", id="note_save"),
    ]

    def __init__(self, person: dict[str, Any]) -> None:
        super().__init__()
        self.person = person

    def compose(self) -> ComposeResult:
        note = self.person["note"] or {}
        with Vertical(id="standup-note", classes="standup-dialog"):
            yield Static(
                Content.assemble(
                    "Note of ",
                    (one_line(self.person["name"]), "bold"),
                    f" (@{self.person['member']})",
                ),
                classes="dialog-heading",
            )
            for field in self.FIELDS:
                yield Label(field.capitalize())
                yield Input(note.get(field) or "", id=f"note-{field}")
            yield Static(
                Content.styled("Enter: next field, save on the last · Ctrl+S save · Esc", "dim"),
                classes="dialog-hint",
            )
            yield Static(id="note-error", classes="dialog-error")
        yield Footer()

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        if event.input.id == f"note-{self.FIELDS[-1]}":
            self.action_save()
        else:
            self.focus_next(Input)

    def action_save(self) -> None:
        values = {field: self.query_one(f"#note-{field}", Input).value for field in self.FIELDS}
        try:
            write_note(self.app.workspace, self.person["member"], **values)  # type: ignore[attr-defined]
        except UserError as error:
            self.query_one("#note-error", Static).update(Content(error.message))
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
