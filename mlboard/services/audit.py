"""Reading the audit trail, checking that nobody rewrote it, and its head for anchoring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from mlboard.errors import UserError
from mlboard.services.workspace import Workspace
from mlboard.store import audit_head, audit_verify
from mlboard.store.audit_head import Head
from mlboard.store.audit_key import existing_key
from mlboard.store.audit_verify import Finding
from mlboard.store.tables import AuditEntry

HEX = "0123456789abcdef"


@dataclass(frozen=True, slots=True)
class AuditView:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "entity": self.entity,
            "key": self.key,
            "before": self.before,
            "after": self.after,
        }


def audit_entries(
    ws: Workspace,
    *,
    story: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[AuditView]:
    """Entries oldest first; `story` keeps those about one story, `since` those after a time."""
    query = select(AuditEntry).order_by(col(AuditEntry.id))
    if story:
        query = query.where(AuditEntry.key == story.strip().upper())
    if since:
        query = query.where(col(AuditEntry.at) > since)
    if limit:
        query = query.order_by(None).order_by(col(AuditEntry.id).desc()).limit(limit)
    with ws.reading() as session:
        rows = list(session.exec(query))
    rows.sort(key=lambda row: row.id or 0)
    return [
        AuditView(r.id or 0, r.at, r.actor, r.action, r.entity, r.key, r.before, r.after)
        for r in rows
    ]


@dataclass(frozen=True)
class Verification:
    """What `audit verify` found: one finding per kind (the first of each), and notes saying
    what the head was checked against and what the replay compared."""

    checked: int
    findings: tuple[Finding, ...]
    notes: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def broken_at(self) -> int | None:
        """The first entry a finding points at (the one to show), if any."""
        return next((f.entry_id for f in self.findings if f.entry_id is not None), None)


def verify_audit(ws: Workspace, head: str | None = None) -> Verification:
    """Check the chain, keys, head and replay; `head` is an anchor `COUNT:HASH`, else this
    machine's checkpoint of the database is used (if it has one)."""
    anchor = parse_head(head) if head is not None else None
    key = existing_key()
    with ws.reading() as session:
        report = audit_verify.verify(session.connection(), key, anchor)
    return Verification(report.checked, tuple(report.findings), tuple(report.notes))


def parse_head(text: str) -> Head:
    count, _, digest = text.strip().partition(":")
    digest = digest.strip().lower()
    if not count.strip().isdigit() or len(digest) != 64 or set(digest) - set(HEX):
        raise UserError(
            f"--head {text!r} is not COUNT:HASH as `mlboard audit head` prints it "
            "(e.g. 120:3fa4…, 64 hex digits)"
        )
    return Head(int(count), digest)


@dataclass(frozen=True)
class ChainHead:
    """The head to anchor outside the database: `audit head --format json`."""

    entries: int
    head: str
    key_id: str | None
    database: str

    @property
    def anchor(self) -> str:
        return f"{self.entries}:{self.head}"

    def as_json(self) -> dict[str, Any]:
        return {
            "entries": self.entries,
            "head": self.head,
            "key_id": self.key_id,
            "database": self.database,
        }


def chain_head(ws: Workspace) -> ChainHead:
    with ws.reading() as session:
        head = audit_head.chain_head(session.connection())
    return ChainHead(head.entries, head.head, head.key_id, audit_head.identity(ws.engine.url))


def parse_moment(text: str) -> datetime:
    """A date or date-time from the command line; naive values are local time."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"--since {text!r} is not a date like 2026-11-24 or 2026-11-24T09:30"
        ) from None
    return moment if moment.tzinfo else moment.astimezone()
