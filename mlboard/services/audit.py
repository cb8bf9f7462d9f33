"""Reading the audit trail, and checking that nobody rewrote it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from mlboard.errors import UserError
from mlboard.services.workspace import Workspace
from mlboard.store import audit
from mlboard.store.tables import AuditEntry


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
    checked: int
    broken_at: int | None
    reason: str | None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_audit(ws: Workspace) -> Verification:
    with ws.reading() as session:
        checked, broken = audit.verify(session)
    return Verification(
        checked, broken.entry_id if broken else None, broken.reason if broken else None
    )


def parse_moment(text: str) -> datetime:
    """A date or date-time from the command line; naive values are local time."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"--since {text!r} is not a date like 2026-11-24 or 2026-11-24T09:30"
        ) from None
    return moment if moment.tzinfo else moment.astimezone()
