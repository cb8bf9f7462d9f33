"""The Standup screen's dialogs: save the digest to a file, write a person's note."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from mlboard.errors import UserError
from mlboard.files import write_atomically
from mlboard.tui.host import host
from mlboard.tui.keys import bind
from mlboard.tui.text import one_line
from mlboard.tui.widgets.key_footer import KeyFooter


class SaveDigestScreen(ModalScreen[Path | None]):
    """Asks for a file name; dismissed with the path written, or None when cancelled."""

    CSS_PATH = "standup.tcss"
    BINDINGS = [bind("save_cancel", "cancel", "Cancel")]

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
        yield KeyFooter()

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
            self.query_one("#save-error", Static).update(Content.assemble(error.message))
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)


class NoteScreen(ModalScreen[bool]):
    """The person's note for today: yesterday, today, blockers. Dismissed with True once saved."""

    CSS_PATH = "standup.tcss"
    FIELDS = ("yesterday", "today", "blockers")
    BINDINGS = [
        bind("note_cancel", "cancel", "Cancel"),
        bind("note_save", "save", "Save"),
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
        yield KeyFooter()

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        if event.input.id == f"note-{self.FIELDS[-1]}":
            self.action_save()
        else:
            self.focus_next(Input)

    def action_save(self) -> None:
        from mlboard.services.standup.digest import write_note

        values = {field: self.query_one(f"#note-{field}", Input).value for field in self.FIELDS}
        try:
            write_note(host(self).workspace, self.person["member"], **values)
        except UserError as error:
            self.query_one("#note-error", Static).update(Content.assemble(error.message))
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
