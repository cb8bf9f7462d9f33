"""A story in full: every field, the description, and its history."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from mlboard.services.stories import EventView, StoryView, get_story, story_history
from mlboard.tui.screens.story_form import StoryFormScreen


def _value(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def story_fields(story: StoryView) -> list[tuple[str, object]]:
    estimate = None
    if story.estimate_low is not None or story.estimate_high is not None:
        estimate = f"{_value(story.estimate_low)} – {_value(story.estimate_high)} pts"
    return [
        ("Status", story.status),
        ("Kind", story.kind),
        ("Points", story.points),
        ("Estimate", estimate),
        ("Timebox", f"{story.timebox_days:g} days" if story.timebox_days else None),
        ("GPU budget", f"{story.gpu_hours:g} h" if story.gpu_hours else None),
        ("Target", story.target),
        ("Assignee", story.assignee_name or story.assignee),
        ("Sprint", story.sprint),
        ("Sensitivity", story.sensitivity),
        ("Blocked", story.blocked_reason if story.blocked else None),
        ("Created", story.created_at.astimezone().strftime("%Y-%m-%d %H:%M")),
    ]


def event_line(event: EventView) -> Content:
    when = event.at.astimezone().strftime("%Y-%m-%d %H:%M")
    if event.field == "created":
        change: list[str | tuple[str, str]] = ["created the story"]
    else:
        change = [(event.field, "bold"), f": {event.old or '—'} → {event.new or '—'}"]
    return Content.assemble(
        (when, "$text-muted"), "  ", (event.actor, "$text-primary"), "  ", *change
    )


class StoryDetailScreen(ModalScreen[str | None]):
    """Dismissed with the story's key when it was edited here, so the board can refresh."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="close_story"),
        Binding("e", "edit", "Edit", id="edit_story"),
    ]

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.edited = False

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="story-detail"):
            yield Static(id="story-title")
            yield Static(id="story-fields")
            yield Static(id="story-description")
            yield Static(id="story-history")
        yield Footer()

    def on_mount(self) -> None:
        self.show_story()

    def show_story(self) -> None:
        workspace = self.app.workspace  # type: ignore[attr-defined]
        story = get_story(workspace, self.key)
        history = story_history(workspace, self.key)
        self.query_one("#story-title", Static).update(
            Content.assemble((story.key, "bold $accent"), "  ", (story.title, "bold"))
        )
        rows = [
            Content.assemble((f"{label:<12}", "$text-muted"), _value(value))
            for label, value in story_fields(story)
        ]
        self.query_one("#story-fields", Static).update(Content("\n").join(rows))
        self.query_one("#story-description", Static).update(Content(story.description or ""))
        lines = [Content.assemble((f"History ({len(history)})", "bold"))]
        lines += [event_line(event) for event in reversed(history)]
        self.query_one("#story-history", Static).update(Content("\n").join(lines))

    def action_close(self) -> None:
        self.dismiss(self.key if self.edited else None)

    def action_edit(self) -> None:
        self.app.push_screen(StoryFormScreen(self.key), self._after_edit)

    def _after_edit(self, key: str | None) -> None:
        if key is not None:
            self.edited = True
            self.show_story()
