"""Create or edit a story in a form. The services validate; their message is shown inline."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static, TextArea

from mlboard.domain import Sensitivity, StoryKind, StoryStatus
from mlboard.errors import UserError
from mlboard.services.planning.sprints import open_sprint_names
from mlboard.services.stories.fields import as_event_text
from mlboard.services.stories.records import StoryView, create_story, edit_story, get_story
from mlboard.services.team.members import list_members
from mlboard.tui.host import host
from mlboard.tui.keys import bind
from mlboard.tui.widgets.key_footer import KeyFooter

TEXT_FIELDS = (
    ("title", "Title", "What is to be done"),
    ("points", "Points", "e.g. 3"),
    ("estimate_low", "Low estimate", "points"),
    ("estimate_high", "High estimate", "points"),
    ("timebox_days", "Timebox (days)", "for spikes"),
    ("gpu_hours", "GPU hours", "compute budget"),
    ("target", "Target", "e.g. val_f1 >= 0.82"),
    ("blocked", "Blocked by", "reason (empty = not blocked)"),
)


def current_text(story: StoryView | None, field: str) -> str:
    """The story's value of `field` as the form shows it."""
    if story is None:
        return ""
    value = {
        "blocked": story.blocked_reason if story.blocked else None,
        "target": str(story.target) if story.target else None,
    }.get(field, getattr(story, field, None))
    return as_event_text(value) or ""


class StoryFormScreen(ModalScreen[str | None]):
    """Dismissed with the story key once saved, or None when cancelled."""

    CSS_PATH = "story.tcss"
    BINDINGS = [
        bind("form_cancel", "cancel", "Cancel"),
        bind("form_save", "save", "Save"),
    ]

    def __init__(self, key: str | None, *, sprint: str | None = None) -> None:
        super().__init__()
        self.key = key
        self.default_sprint = sprint
        self.story: StoryView | None = None

    def compose(self) -> ComposeResult:
        workspace = host(self).workspace
        self.story = get_story(workspace, self.key) if self.key else None
        story = self.story
        members = [(f"{m.name} (@{m.handle})", m.handle) for m in list_members(workspace)]
        sprints = open_sprint_names(workspace)
        if story and story.sprint and story.sprint not in sprints:
            sprints.insert(0, story.sprint)
        heading = f"Edit {story.key}" if story else "New story"
        with VerticalScroll(id="story-form"):
            yield Static(heading, id="form-heading", markup=False)
            with Grid(id="form-grid"):
                for field, label, placeholder in TEXT_FIELDS:
                    yield Label(label)
                    yield Input(
                        current_text(story, field), placeholder=placeholder, id=f"field-{field}"
                    )
                yield from self._choices(
                    "kind", "Kind", [(k.value, k.value) for k in StoryKind], story
                )
                yield from self._choices(
                    "status", "Status", [(s.label, s.value) for s in StoryStatus], story
                )
                yield from self._choices("assignee", "Assignee", members, story, blank=True)
                yield from self._choices(
                    "sprint", "Sprint", [(name, name) for name in sprints], story, blank=True
                )
                yield from self._choices(
                    "sensitivity", "Sensitivity", [(s.value, s.value) for s in Sensitivity], story
                )
            yield Label("Description")
            yield TextArea(story.description if story else "", id="field-description")
            yield Static("", id="form-error", markup=False)
            with Horizontal(id="form-buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")
        yield KeyFooter()  # the form's own keys, not the board's behind it

    def _choices(
        self,
        field: str,
        label: str,
        options: list[tuple[str, str]],
        story: StoryView | None,
        *,
        blank: bool = False,
    ) -> ComposeResult:
        """A labelled Select of `(prompt, value)` options; prompts are shown literally, as member
        and sprint names are typed by people and may hold brackets."""
        value = current_text(story, field)
        if story is None and field == "sprint":
            value = self.default_sprint or ""
        if story is None and field == "kind":
            value = StoryKind.EXPERIMENT.value
        if story is None and field in ("status", "sensitivity"):
            value = options[0][1] if field == "sensitivity" else ""
        yield Label(label)
        yield Select(
            [(Text(prompt), choice) for prompt, choice in options],
            value=value if value else Select.NULL,
            allow_blank=blank or not value,
            id=f"field-{field}",
        )

    def on_mount(self) -> None:
        self.query_one("#field-title", Input).focus()

    def form_values(self) -> dict[str, str]:
        values = {
            field: self.query_one(f"#field-{field}", Input).value for field, *_ in TEXT_FIELDS
        }
        for select in self.query(Select):
            field = (select.id or "").removeprefix("field-")
            values[field] = "" if select.is_blank() else str(select.value)
        values["description"] = self.query_one("#field-description", TextArea).text
        return values

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        workspace = host(self).workspace
        values = self.form_values()
        try:
            if self.story is None:
                title = values.pop("title")
                fields = {field: text for field, text in values.items() if text.strip()}
                saved = create_story(workspace, title, fields)
            else:
                changes = {
                    field: text
                    for field, text in values.items()
                    if text != current_text(self.story, field)
                }
                saved = edit_story(workspace, self.story.key, changes) if changes else self.story
        except UserError as error:
            self.query_one("#form-error", Static).update(error.message)
            return
        self.dismiss(saved.key)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
