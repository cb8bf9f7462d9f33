"""The audit trail: every write to the board's own data, append-only and hash-chained.

Writes are captured where they all pass: the ORM flush. A session listener turns each inserted,
updated or deleted row of an audited table into an `AuditEntry` (actor and time come from the
session, set by `Workspace.writing`), in the same transaction as the write itself. Code that
writes with Core statements for speed (the sync's links) appends its entries with `append`.

Each entry's hash covers its content and the previous entry's hash, so editing or deleting a
stored entry breaks the chain from that point on; `verify` finds the first break. Appends take
the database's write lock first (SQLite: the IMMEDIATE transaction; PostgreSQL: an advisory
lock), so concurrent writers cannot fork the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import event, insert, inspect, select, text
from sqlmodel import Session, SQLModel

from mlboard.store.tables import (
    Alert,
    AuditEntry,
    ChecklistItem,
    DayOff,
    Member,
    Pipeline,
    Sprint,
    StandupNote,
    StoryEvent,
    StoryPipeline,
    StoryRun,
)

GENESIS = "0" * 64
_PG_LOCK = 0x6D6C626F  # "mlbo": the advisory lock that serialises appends on PostgreSQL
_SKIP = {"id", "created_at", "updated_at"}


def _natural_key(row: SQLModel, session: Session) -> str:
    """How people name the row: the story key, the member handle, the sprint name..."""
    from mlboard.store.tables import Story

    match row:
        case StoryEvent() | StoryRun() | ChecklistItem() | StoryPipeline():
            story = session.get(Story, row.story_id)
            return story.key if story else str(row.story_id)
        case Member():
            return row.handle
        case Sprint():
            return row.name
        case Pipeline():
            return f"{row.namespace}/{row.name}"
        case _:
            return str(getattr(row, "id", ""))


AUDITED: tuple[type[SQLModel], ...] = (
    StoryEvent,
    StoryRun,
    ChecklistItem,
    Member,
    Sprint,
    DayOff,
    StandupNote,
    Pipeline,
    StoryPipeline,
    Alert,
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _row(row: SQLModel) -> dict[str, Any]:
    return {
        column.key: _plain(getattr(row, column.key))
        for column in inspect(type(row)).columns
        if column.key not in _SKIP
    }


def _changes(row: SQLModel) -> tuple[dict[str, Any], dict[str, Any]]:
    """The columns an update changed: their values before and after."""
    before, after = {}, {}
    state = inspect(row)
    for attribute in state.mapper.column_attrs:
        history = state.attrs[attribute.key].history
        if history.has_changes() and attribute.key not in _SKIP:
            before[attribute.key] = _plain(history.deleted[0]) if history.deleted else None
            after[attribute.key] = _plain(history.added[0]) if history.added else None
    return before, after


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 over the entry's content and the previous hash, in a canonical JSON form."""
    content = {
        "at": _plain(entry["at"]),
        "actor": entry["actor"],
        "action": entry["action"],
        "entity": entry["entity"],
        "key": entry["key"],
        "before": entry["before"],
        "after": entry["after"],
        "prev_hash": entry["prev_hash"],
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lock_and_last_hash(session: Session) -> str:
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
    last = connection.execute(
        select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)  # type: ignore[union-attr]
    ).scalar()
    return last or GENESIS


def append(session: Session, entries: Iterable[Mapping[str, Any]]) -> None:
    """Chain and insert entries (`at, actor, action, entity, key, before, after`)."""
    pending = list(entries)
    if not pending:
        return
    previous = _lock_and_last_hash(session)
    rows = []
    for entry in pending:
        row = {**entry, "prev_hash": previous}
        row["hash"] = previous = entry_hash(row)
        rows.append(row)
    session.connection().execute(insert(AuditEntry.__table__), rows)


def _collect(session: Session) -> list[dict[str, Any]]:
    """Audited rows of this flush, with who and when: the row's own, else the session's."""
    actor = session.info.get("actor", "unknown")
    at = session.info.get("at") or datetime.now(UTC)
    found = []
    for action, rows in (("insert", session.new), ("update", session.dirty),
                         ("delete", session.deleted)):  # fmt: skip
        for row in rows:
            if not isinstance(row, AUDITED):
                continue
            if action == "update":
                before, after = _changes(row)
                if not after:
                    continue
            else:  # an insert's values are read after the flush, defaults included
                before, after = (None, None) if action == "insert" else (_row(row), None)
            found.append(
                {"row": row, "action": action, "before": before, "after": after,
                 "at": getattr(row, "at", None) or at, "actor": getattr(row, "actor", "") or actor}
            )  # fmt: skip
    return found


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    session.info.setdefault("audit_pending", []).extend(_collect(session))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    """Rows have their ids now: name them and append their entries, in flush order."""
    pending = session.info.pop("audit_pending", [])
    entries = []
    for item in pending:
        row = item["row"]
        after = _row(row) if item["action"] == "insert" else item["after"]
        entries.append(
            {
                "at": item["at"],
                "actor": item["actor"],
                "action": item["action"],
                "entity": type(row).__tablename__,
                "key": _natural_key(row, session),
                "before": item["before"],
                "after": after,
            }
        )
    append(session, entries)


@dataclass(frozen=True)
class Break:
    """Where the chain stops holding, and why."""

    entry_id: int
    reason: str


def verify(session: Session) -> tuple[int, Break | None]:
    """Walk the whole chain; return how many entries were checked and the first break."""
    previous, checked = GENESIS, 0
    for row in _entries(session):
        checked += 1
        if row.prev_hash != previous:
            return checked, Break(row.id or 0, "it does not follow the entry before it")
        expected = entry_hash(
            {
                "at": row.at,
                "actor": row.actor,
                "action": row.action,
                "entity": row.entity,
                "key": row.key,
                "before": row.before,
                "after": row.after,
                "prev_hash": row.prev_hash,
            }
        )
        if expected != row.hash:
            return checked, Break(row.id or 0, "its content does not match its hash")
        previous = row.hash
    return checked, None


def _entries(session: Session) -> Iterator[AuditEntry]:
    yield from session.execute(
        select(AuditEntry).order_by(AuditEntry.id).execution_options(yield_per=1000)  # type: ignore[arg-type]
    ).scalars()
