"""The Planning screen's dialogs: a story's estimates, and days off for a member or the team."""

from __future__ import annotations

from datetime import date

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from mlboard.errors import UserError
from mlboard.services.planning.plan import OpenSprint
from mlboard.services.stories.records import edit_story, get_story
from mlboard.services.team.members import availability, list_members, set_days_off
from mlboard.services.workspace import Workspace
from mlboard.tui.host import host
from mlboard.tui.keys import bind
from mlboard.tui.screens.stories.story_form import TEXT_FIELDS, current_text
from mlboard.tui.widgets.key_footer import KeyFooter
from mlboard.wording import plural

ESTIMATE_FIELDS = ("points", "estimate_low", "estimate_high", "timebox_days", "gpu_hours", "target")
TEAM = "@team"  # not a valid handle, so it can stand for "the whole team" in the member list


class EstimatesScreen(ModalScreen[str | None]):
    """Points, low/high, timebox, GPU hours and target; dismissed with the key once saved."""

    CSS_PATH = "planning.tcss"
    BINDINGS = [
        bind("estimates_cancel", "cancel", "Cancel"),
        bind("estimates_save", "save", "Save"),
    ]

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    def compose(self) -> ComposeResult:
        story = self.story = get_story(host(self).workspace, self.key)
        with Vertical(id="estimates", classes="plan-dialog"):
            yield Static(
                Content.assemble((story.key, "bold $accent"), "  ", (story.title, "bold")),
                classes="dialog-heading",
            )
            with Grid(classes="dialog-grid"):
                for field, label, placeholder in TEXT_FIELDS:
                    if field in ESTIMATE_FIELDS:
                        yield Label(label)
                        yield Input(
                            current_text(story, field),
                            placeholder=placeholder,
                            id=f"estimate-{field}",
                        )
            yield Static("", id="estimates-error", classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="estimates-save")
                yield Button("Cancel", id="estimates-cancel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#estimate-points", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#estimates-save")
    def action_save(self) -> None:
        values = {f: self.query_one(f"#estimate-{f}", Input).value for f in ESTIMATE_FIELDS}
        changes = {f: v for f, v in values.items() if v != current_text(self.story, f)}
        try:
            if changes:
                edit_story(host(self).workspace, self.key, changes)
        except UserError as error:
            self.query_one("#estimates-error", Static).update(Content(error.message))
            return
        self.dismiss(self.key if changes else None)

    @on(Button.Pressed, "#estimates-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def _day(text: str, what: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{what}: {text.strip()!r} is not a date like 2026-11-30") from None


def days_off_summary(workspace: Workspace, sprint: OpenSprint | None) -> Content:
    """Who is off during the sprint, so a day off can be checked or taken back."""
    if sprint is None or sprint.start is None or sprint.end is None:
        return Content("")
    off = availability(workspace, sprint.start, sprint.end)
    rows = [(handle, days) for handle, days in sorted(off.members.items()) if days]
    if off.team:
        rows.insert(0, ("whole team", off.team))
    parts: list[str | tuple[str, str]] = [(f"Days off in {sprint.name}: ", "bold")]
    if not rows:
        parts.append(("none", "$text-muted"))
    for index, (who, days) in enumerate(rows):
        listed = ", ".join(f"{day:%a %b %d}" for day in sorted(days))
        parts += ["; " if index else "", (who, "$text-primary"), f" {listed}"]
    return Content.assemble(*parts)


class DaysOffScreen(ModalScreen[str | None]):
    """Add or remove days off for a member or the whole team; dismissed with a summary."""

    CSS_PATH = "planning.tcss"
    BINDINGS = [
        bind("days_off_cancel", "cancel", "Cancel"),
        bind("days_off_save", "save", "Save"),
    ]

    def __init__(self, sprint: OpenSprint | None, member: str | None) -> None:
        super().__init__()
        self.sprint = sprint
        self.member = member

    def compose(self) -> ComposeResult:
        workspace: Workspace = host(self).workspace
        members = [(Text(f"{m.name} (@{m.handle})"), m.handle) for m in list_members(workspace)]
        members.append((Text("Whole team (holiday)"), TEAM))
        handles = [handle for _, handle in members]
        chosen = self.member if self.member in handles else handles[0]
        today = workspace.today()
        with Vertical(id="days-off", classes="plan-dialog"):
            yield Static(Content.styled("Days off", "bold"), classes="dialog-heading")
            with Grid(classes="dialog-grid"):
                yield Label("Member")
                yield Select(members, value=chosen, allow_blank=False, id="days-off-member")
                yield Label("From")
                yield Input(today.isoformat(), placeholder="2026-12-24", id="days-off-from")
                yield Label("Until")
                yield Input(placeholder="same day", id="days-off-until")
                yield Label("Reason")
                yield Input(placeholder="optional", id="days-off-reason")
            yield Checkbox("Remove these days off", id="days-off-remove")
            yield Static(days_off_summary(workspace, self.sprint), id="days-off-current")
            yield Static("", id="days-off-error", classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="days-off-save")
                yield Button("Cancel", id="days-off-cancel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#days-off-from", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#days-off-save")
    def action_save(self) -> None:
        handle = str(self.query_one("#days-off-member", Select).value)
        remove = self.query_one("#days-off-remove", Checkbox).value
        who = "the whole team" if handle == TEAM else handle
        try:
            first = _day(self.query_one("#days-off-from", Input).value, "from")
            if first is None:
                raise UserError("from: give the first day off, e.g. 2026-12-24")
            last = _day(self.query_one("#days-off-until", Input).value, "until")
            changed = set_days_off(
                host(self).workspace,
                None if handle == TEAM else handle,
                first,
                last,
                reason=self.query_one("#days-off-reason", Input).value,
                remove=remove,
            )
        except UserError as error:
            self.query_one("#days-off-error", Static).update(Content(error.message))
            return
        self.dismiss(f"{'removed' if remove else 'added'} {plural(changed, 'day')} off for {who}")

    @on(Button.Pressed, "#days-off-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
