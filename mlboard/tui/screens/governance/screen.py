"""Governance: stories waiting on their Definition-of-Done gates, the checklist, model cards.

The list answers "what stops these stories from being done, and who can unblock them": each
unfinished story with unmet gates, what is missing, and who may sign it (an approval must come
from someone other than the assignee). `ChecklistModal(key)` checks and unchecks a story's
items; the story detail screen opens it too. The rules themselves stay in
`mlboard/services/governance/gates.py`: a refused check shows the service's own message, inline.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import DataTable, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from mlboard.errors import UserError
from mlboard.services.experiments.runs import ModelVersionView, list_model_versions
from mlboard.services.governance.gates import check_item, same_person, story_gates
from mlboard.services.governance.queue import WaitingStory, waiting_on_gates
from mlboard.services.stories.records import get_story
from mlboard.services.team.members import list_members
from mlboard.services.workspace import Workspace
from mlboard.tui.host import host
from mlboard.tui.keys import bind
from mlboard.tui.screens.governance.model_card import ModelCardScreen
from mlboard.tui.screens.governance.rows import (
    MODEL_COLUMNS,
    STORY_COLUMNS,
    ItemChoice,
    gate_detail,
    item_choices,
    model_cells,
    model_rows,
    story_cells,
)
from mlboard.tui.screens.reloading import ReloadingScreen
from mlboard.tui.widgets.key_footer import KeyFooter
from mlboard.tui.widgets.keyed_table import KeyedTable

GovernanceData = tuple[list[WaitingStory], list[ModelVersionView]]  # what one read returns


class GovernanceScreen(ReloadingScreen[GovernanceData]):
    """Stories waiting on gates on top; the highlighted story's gates and the models below."""

    TITLE = "mlboard · Governance"
    CSS_PATH = "governance.tcss"
    READ_GROUP = "governance"
    BINDINGS = [
        bind(
            "edit_checklist", "edit_checklist", "Checklist",
            tooltip="Check items on the highlighted story's checklist",
        ),
        bind(
            "model_card", "model_card", "Model card",
            tooltip="Preview the model card of the highlighted model",
        ),
        bind("refresh", "reload", "Refresh", tooltip="Read the gates again"),
    ]  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.waiting: list[WaitingStory] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("loading…", id="governance-summary")
        yield KeyedTable(STORY_COLUMNS, id="gated-stories")
        with Horizontal(id="governance-bottom"):
            with VerticalScroll(id="gate-detail"):
                yield Static(id="gate-detail-text")
            yield KeyedTable(MODEL_COLUMNS, id="governance-models")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.stories_table.border_title = "Waiting on gates"
        self.models_table.border_title = "Models"
        self.query_one("#gate-detail").border_title = "Gates"
        self.stories_table.focus()

    @property
    def stories_table(self) -> KeyedTable:
        return self.query_one("#gated-stories", KeyedTable)

    @property
    def models_table(self) -> KeyedTable:
        return self.query_one("#governance-models", KeyedTable)

    def read(self) -> GovernanceData:
        """Thread worker: gates of every unfinished story, and the registered models."""
        return waiting_on_gates(self.workspace), list_model_versions(self.workspace)

    def show(self, data: GovernanceData) -> None:
        self.waiting, models = data
        colors = dict(self.app.theme_variables)
        self.stories_table.show_rows((s.key, story_cells(s, colors)) for s in self.waiting)
        rows = model_rows(models)
        self.models_table.show_rows((row.name, model_cells(row, colors)) for row in rows)
        self.stories_table.border_title = f"Waiting on gates ({len(self.waiting)})"
        self.models_table.border_title = f"Models ({len(rows)})"
        self.query_one("#governance-summary", Static).update(self.summary())
        self.show_detail()

    def summary(self) -> Content:
        if not self.waiting:
            return Content.assemble(
                ("Nothing is waiting on a gate. ", "bold"),
                "Stories that need a sign-off, a linked run or a met target before done show here.",
            )
        sign_offs = sum(1 for s in self.waiting if "approval" in s.missing_items)
        review = sum(1 for s in self.waiting if s.status == "review")
        return Content.assemble(
            (f"{len(self.waiting)}", "bold"), " unfinished stories have unmet gates",
            ("  ·  ", "$text-muted"), (f"{review} in review", "bold" if review else ""),
            ("  ·  ", "$text-muted"), f"{sign_offs} need an approval",
            ("  ·  ", "$text-muted"), ("Enter or g opens the checklist", "$text-muted"),
        )  # fmt: skip

    def show_detail(self) -> None:
        key = self.stories_table.highlighted_key
        story = next((s for s in self.waiting if s.key == key), None)
        text = self.query_one("#gate-detail-text", Static)
        if story is None:
            text.update(Content.styled("No story selected.", "$text-muted"))
            return
        text.update(gate_detail(story))

    @on(DataTable.RowHighlighted, "#gated-stories")
    def story_highlighted(self) -> None:
        self.show_detail()

    @on(DataTable.RowSelected, "#gated-stories")
    def story_selected(self) -> None:
        self.action_edit_checklist()

    @on(DataTable.RowSelected, "#governance-models")
    def model_selected(self) -> None:
        self.action_model_card()

    def action_edit_checklist(self) -> None:
        key = self.stories_table.highlighted_key
        if key is not None:
            self.app.push_screen(ChecklistModal(key), self._after_checklist)

    def _after_checklist(self, changed: bool | None) -> None:
        if changed:
            host(self).data_changed()

    def action_model_card(self) -> None:
        name = self.models_table.highlighted_key
        if name is None:
            self.notify("No registered model yet: sync from MLflow (s).", markup=False)
            return
        self.app.push_screen(ModelCardScreen(name))


class ChecklistModal(ModalScreen[bool]):
    """A story's checklist: Enter checks the highlighted item with the note and link typed
    below (checking again replaces the earlier check), `u` unchecks it. The person acting is the
    workspace's actor. Dismissed with True when anything was written, so the opener can refresh.
    """

    CSS_PATH = "governance.tcss"
    BINDINGS = [
        bind("close_checklist", "close", "Close"),
        bind(
            "check_item", "check", "Check",
            tooltip="Check the highlighted item with the note and link",
        ),
        bind("uncheck_item", "uncheck", "Uncheck", tooltip="Uncheck the highlighted item"),
    ]  # fmt: skip

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.changed = False
        self.choices: list[ItemChoice] = []
        self.title_text = ""
        self.has_target = False

    def compose(self) -> ComposeResult:
        with Vertical(id="checklist", classes="governance-dialog"):
            yield Static(id="checklist-heading")
            yield OptionList(id="checklist-items")
            with Horizontal(classes="checklist-field"):
                yield Label("Note")
                yield Input(
                    placeholder="what was checked, e.g. DPIA-42 signed off", id="checklist-note"
                )
            with Horizontal(classes="checklist-field"):
                yield Label("Link")
                yield Input(
                    placeholder="evidence, e.g. https://wiki/model-card", id="checklist-link"
                )
            yield Static(id="checklist-message")
            yield Static(
                Content.styled(
                    "Enter: check the highlighted item with the note and link · u: uncheck · "
                    "Tab: to the note · Esc: close",
                    "$text-muted",
                ),
                id="checklist-hint",
            )
        yield KeyFooter()

    @property
    def workspace(self) -> Workspace:
        return host(self).workspace

    @property
    def items(self) -> OptionList:
        return self.query_one("#checklist-items", OptionList)

    def on_mount(self) -> None:
        try:
            story = get_story(self.workspace, self.key)
        except UserError as error:
            self.notify(error.message, severity="error", markup=False)
            self.dismiss(False)
            return
        self.key, self.title_text, self.has_target = (
            story.key,
            story.title,
            story.target is not None,
        )
        self.show_items()
        self.items.focus()

    def show_items(self, select: str | None = None) -> None:
        ws = self.workspace
        report = story_gates(ws, self.key)
        approvers = [
            m.handle
            for m in list_members(ws)
            if m.active and not same_person(m.handle, report.assignee)
        ]
        self.choices = item_choices(report, ws.settings.done, approvers, self.has_target)
        keep = self.items.highlighted
        self.items.clear_options()
        self.items.add_options(
            Option(choice.prompt, disabled=choice.item is None) for choice in self.choices
        )
        items = [choice.item for choice in self.choices]
        if select in items:
            self.items.highlighted = items.index(select)
        elif keep is not None and self.choices:
            self.items.highlighted = min(keep, len(self.choices) - 1)
        state = (
            ("may move to done ✓", "bold $success")
            if report.may_move_to_done
            else (f"{len(report.missing)} missing", "bold $warning")
        )
        self.query_one("#checklist-heading", Static).update(
            Content.assemble(
                (report.key, "bold $accent"),
                "  ",
                (self.title_text, "bold"),
                "\n",
                ("acting as ", "$text-muted"),
                (f"@{ws.actor.lstrip('@')}", "$text-primary"),
                ("  ·  ", "$text-muted"),
                state,
            )
        )

    def highlighted_item(self) -> str | None:
        index = self.items.highlighted
        if index is None or index >= len(self.choices):
            return None
        return self.choices[index].item

    def say(self, text: str, style: str) -> None:
        self.query_one("#checklist-message", Static).update(Content.styled(text, style))

    @on(OptionList.OptionSelected, "#checklist-items")
    @on(Input.Submitted)
    def action_check(self) -> None:
        item = self.highlighted_item()
        if item is None:
            self.say("Choose an item to check.", "$warning")
            return
        note = self.query_one("#checklist-note", Input)
        link = self.query_one("#checklist-link", Input)
        try:
            check = check_item(self.workspace, self.key, item, note=note.value, link=link.value)
        except UserError as error:
            self.say(error.message, "$error")
            return
        assert check is not None
        self.changed = True
        note.value = link.value = ""
        self.show_items(select=item)
        self.say(f"✓ {check.item} checked by @{check.by}", "$success")
        self.items.focus()

    def action_uncheck(self) -> None:
        item = self.highlighted_item()
        if item is None:
            return
        try:
            check_item(self.workspace, self.key, item, remove=True)
        except UserError as error:
            self.say(error.message, "$error")
            return
        self.changed = True
        self.show_items(select=item)
        self.say(f"{item} unchecked", "$warning")

    def action_close(self) -> None:
        self.dismiss(self.changed)
