"""Audit: who changed what, when — the latest entries of the trail, and a check of its chain.

The trail grows with every write, so the screen reads only the latest `AUDIT_LIMIT` entries
(newest first), in a worker, and narrows them in the database (`/`: a story key or an actor).
`v` verifies the whole trail in a worker (chain, keys, head, replay to the tables) and says
either how many entries it checked or the first thing it found.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Header, Input, Static
from textual.worker import Worker, WorkerState

from mlboard.services.governance.audit import AuditView, Verification, verify_audit
from mlboard.services.governance.audit_search import change_summary, latest_audit
from mlboard.text_safety import hidden
from mlboard.tui.keys import bind
from mlboard.tui.screens.reloading import ReloadingScreen
from mlboard.tui.text import cell, one_line, when
from mlboard.tui.widgets.key_footer import KeyFooter
from mlboard.tui.widgets.keyed_table import KeyedTable
from mlboard.wording import plural

AUDIT_LIMIT = 500
COLUMNS = (
    ("id", "#", 6),
    ("when", "When", 12),
    ("actor", "Actor", 12),
    ("action", "Action", 6),
    ("entity", "Entity", 13),
    ("key", "Key", 20),
    ("change", "Change", 70),
)
ACTION_COLORS = {"insert": "success", "update": "warning", "delete": "error"}
SEP = ("  ·  ", "$text-muted")


@dataclass
class AuditVerified(Message):
    verification: Verification


def entry_cells(entry: AuditView, colors: dict[str, str]) -> list[Text]:
    muted = colors.get("text-muted", "")
    return [
        cell(str(entry.id), muted, "right"),
        cell(when(entry.at)),
        cell(one_line(entry.actor), colors.get("text-primary", "")),
        cell(entry.action, colors.get(ACTION_COLORS.get(entry.action, "text-muted"), "")),
        cell(entry.entity, muted),
        cell(one_line(entry.key), "bold"),
        cell(one_line(change_summary(entry.entity, entry.before, entry.after))),
    ]


def _json(value: object) -> str:
    """A stored value as JSON, on one line: the invisible characters JSON keeps as they are
    (right-to-left overrides, line separators) escaped like the control characters it escapes."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return "".join(json.dumps(ch)[1:-1] if hidden(ch) else ch for ch in text)


def entry_detail(entry: AuditView) -> Content:
    """The whole entry: its before and after as JSON, one field a line."""
    lines = [
        Content.assemble(
            (f"#{entry.id}", "bold"),
            "  ",
            entry.at.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z"),
            "  ",
            (f"@{one_line(entry.actor)}", "$text-primary"),
            "  ",
            entry.action,
            " ",
            (entry.entity, "$text-muted"),
            " ",
            (one_line(entry.key), "bold"),
        )
    ]
    for label, values in (("before", entry.before), ("after", entry.after)):
        if values is None:
            continue
        lines.append(Content.styled(label, "bold $text-secondary"))
        for name, value in values.items():
            lines.append(Content.assemble((f"  {name}: ", "$text-muted"), _json(value)))
    return Content("\n").join(lines)


def verdict(verification: Verification) -> Content:
    if verification.ok:
        return Content.styled(
            f"✓ audit trail intact: {plural(verification.checked, 'entry')} verified",
            "bold $success",
        )
    first, others = verification.findings[0], len(verification.findings) - 1
    more = f" (+{others} more: mlboard audit verify lists them)" if others else ""
    return Content.styled(f"✗ {first.message}{more}", "bold $error")


class AuditScreen(ReloadingScreen[list[AuditView]]):
    """The latest entries on top, the highlighted one in full below."""

    TITLE = "mlboard · Audit"
    CSS_PATH = "governance.tcss"
    READ_GROUP = "audit"
    BINDINGS = [
        bind("filter", "filter", "Filter", tooltip="Only entries about a story key or by an actor"),
        bind(
            "verify_audit", "verify", "Verify", tooltip="Check that no entry was changed or removed"
        ),
        bind("refresh", "reload", "Refresh", tooltip="Read the latest entries again"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[AuditView] = []
        self.query_text = ""
        self.verification: Verification | None = None
        self.verifying = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("loading…", id="audit-summary")
        yield Input(
            placeholder="Story key (ML-4) or actor (@ana) — Enter to keep, Esc to clear",
            id="audit-filter",
        )
        yield KeyedTable(COLUMNS, id="audit-entries")
        with VerticalScroll(id="audit-entry"):
            yield Static(id="audit-entry-text")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.table.border_title = "Entries"
        self.query_one("#audit-entry").border_title = "Entry"
        self.table.focus()

    @property
    def table(self) -> KeyedTable:
        return self.query_one("#audit-entries", KeyedTable)

    def read(self) -> list[AuditView]:
        """Thread worker. A filter typed meanwhile starts a newer read, which replaces this one."""
        return latest_audit(self.workspace, self.query_text, limit=AUDIT_LIMIT)

    def show(self, entries: list[AuditView]) -> None:
        self.entries = entries
        colors = dict(self.app.theme_variables)
        self.table.show_rows((str(e.id), entry_cells(e, colors)) for e in self.entries)
        self.table.border_title = f"Entries ({len(self.entries):,}, newest first)"
        self.show_summary()
        self.show_entry()

    def show_summary(self) -> None:
        parts: list[str | tuple[str, str] | Content] = []
        if self.query_text:
            parts += ["Entries about or by ", (self.query_text, "bold")]
        else:
            parts += ["Latest entries"]
        if len(self.entries) >= AUDIT_LIMIT:
            parts += [(f" (the last {AUDIT_LIMIT:,}; mlboard audit lists them all)", "$text-muted")]
        parts += [SEP]
        if self.verifying:
            parts += [("verifying the chain…", "$text-muted")]
        elif self.verification is None:
            parts += [("v verifies the hash chain", "$text-muted")]
        else:
            parts += [verdict(self.verification)]
        self.query_one("#audit-summary", Static).update(Content.assemble(*parts))

    def show_entry(self) -> None:
        key = self.table.highlighted_key
        entry = next((e for e in self.entries if str(e.id) == key), None)
        text = self.query_one("#audit-entry-text", Static)
        if entry is None:
            empty = "No entries match." if self.query_text else "No entries yet."
            text.update(Content.styled(empty, "$text-muted"))
        else:
            text.update(entry_detail(entry))

    @on(DataTable.RowHighlighted, "#audit-entries")
    def entry_highlighted(self) -> None:
        self.show_entry()

    # -- filter

    def action_filter(self) -> None:
        box = self.query_one("#audit-filter", Input)
        box.add_class("shown")
        box.focus()

    @on(Input.Changed, "#audit-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value.strip()
        self.refresh_data()

    @on(Input.Submitted, "#audit-filter")
    def filter_submitted(self) -> None:
        self.table.focus()

    def key_escape(self) -> None:
        box = self.query_one("#audit-filter", Input)
        if box.has_class("shown"):
            box.value = ""
            box.remove_class("shown")
            self.table.focus()

    # -- verify

    def action_verify(self) -> None:
        if self.verifying:
            return
        self.verifying = True
        self.show_summary()
        self._verify()

    @work(thread=True, exclusive=True, group="audit_verify", exit_on_error=False)
    def _verify(self) -> None:
        self.post_message(AuditVerified(verify_audit(self.workspace)))

    @on(AuditVerified)
    def verified(self, message: AuditVerified) -> None:
        self.verifying = False
        self.verification = message.verification
        self.show_summary()
        broken = message.verification.broken_at
        if broken is not None:
            self.table.highlight(str(broken))

    @on(Worker.StateChanged)
    def _verify_failed(self, event: Worker.StateChanged) -> None:
        """The app reports the error; the summary must not keep saying "verifying"."""
        if event.worker.group == "audit_verify" and event.state == WorkerState.ERROR:
            self.verifying = False
            self.show_summary()
