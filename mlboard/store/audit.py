"""The audit trail: every write to the board's own data, append-only, chained and keyed.

Writes are captured where they all pass: the ORM flush. A session listener turns each inserted,
updated or deleted row of an audited table into an `AuditEntry` (actor and time come from the
session, set by `Workspace.writing`), in the same transaction as the write itself. Code that
writes audited tables with Core statements for speed (the sync's links, the ingest's pipelines)
inserts with `insert_audited`; any other caller appends its own entries with `append`.

Each entry's hash covers its content and the previous entry's hash, so editing or deleting a
stored entry breaks the chain from that point on. The hash is an HMAC with the audit key
(`audit_key`), which is not in the database, so nobody with only database access can write a
chain that verifies. Appends take the database's write lock first (SQLite: the IMMEDIATE
transaction; PostgreSQL: an advisory lock), so concurrent writers cannot fork the chain.

Entries written before keyed audit have no key id and a plain SHA-256. The first keyed write to
a board that already holds rows starts with a `baseline`: one entry per existing row, so that
from then on the trail replays to exactly the tables' contents (see `audit_verify`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, event, insert, inspect, select, text
from sqlmodel import Session, SQLModel

from mlboard.store.audit_key import AuditKey, signing_key
from mlboard.store.audit_rows import (
    AUDITED,
    SKIPPED,
    current_rows,
    natural_key,
    orm_values,
    plain,
    recorded_columns,
    story_keys,
    utc_text,
)
from mlboard.store.tables import AuditEntry, Story

GENESIS = "0" * 64
APPENDED = "audit_appended"  # session.info: this transaction added entries (see engine)
_PG_LOCK = 0x6D6C626F  # "mlbo": the advisory lock that serialises appends on PostgreSQL
_ENTRIES = AuditEntry.__table__  # type: ignore[attr-defined]
JSON_TEXT = json.dumps  # how the store writes JSON columns (engine: `json_serializer`)
_LEGACY = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode


def signed_content(
    at: str, actor: str, action: str, entity: str, key: str, before: str | None,
    after: str | None, prev_hash: str, key_id: str, row_id: int | None,
) -> bytes:  # fmt: skip
    """What a keyed entry's HMAC covers: every field as a length-prefixed string, `before` and
    `after` as the JSON text stored, `at` as UTC ISO text (`utc_text`). Unambiguous without
    parsing anything, so `verify` reads 100,000 entries in seconds; the text is what the
    database holds, byte for byte."""
    old = "-" if before is None else f"{len(before)}:{before}"
    new = "-" if after is None else f"{len(after)}:{after}"
    row = "-" if row_id is None else f"{len(str(row_id))}:{row_id}"
    return (
        f"{len(at)}:{at}{len(actor)}:{actor}{len(action)}:{action}{len(entity)}:{entity}"
        f"{len(key)}:{key}{old}{new}{len(prev_hash)}:{prev_hash}{len(key_id)}:{key_id}{row}"
    ).encode()


def legacy_content(
    at: str, actor: str, action: str, entity: str, key: str, before: Any, after: Any,
    prev_hash: str,
) -> bytes:  # fmt: skip
    """What an entry written before keyed audit hashed: canonical JSON of its values."""
    return _LEGACY(
        {"at": at, "actor": actor, "action": action,
         "entity": entity, "key": key, "before": before, "after": after, "prev_hash": prev_hash}
    ).encode()  # fmt: skip


def entry_hash(entry: Mapping[str, Any], key: AuditKey | None = None) -> str:
    """HMAC-SHA256 with `key` for a keyed entry; plain SHA-256 for one written before keys."""
    fields = (utc_text(entry["at"]), entry["actor"], entry["action"], entry["entity"], entry["key"])
    if entry.get("key_id") is None:
        legacy = legacy_content(*fields, entry["before"], entry["after"], entry["prev_hash"])
        return hashlib.sha256(legacy).hexdigest()
    assert key is not None and key.id == entry["key_id"], "an entry is hashed with its own key"
    texts = (JSON_TEXT(entry["before"]), JSON_TEXT(entry["after"]))
    return key.sign(signed_content(*fields, *texts, entry["prev_hash"], key.id, entry["row_id"]))


def _changes(row: SQLModel) -> tuple[dict[str, Any], dict[str, Any]]:
    """The columns an update changed: their values before and after."""
    before, after = {}, {}
    state = inspect(row)
    for attribute in state.mapper.column_attrs:
        history = state.attrs[attribute.key].history
        if history.has_changes() and attribute.key not in SKIPPED:
            before[attribute.key] = plain(history.deleted[0]) if history.deleted else None
            after[attribute.key] = plain(history.added[0]) if history.added else None
    return before, after


def _last(connection: Connection) -> Any:
    """Take the append lock; return the newest entry's hash and key id (None if no entries)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
    query = select(_ENTRIES.c.hash, _ENTRIES.c.key_id).order_by(_ENTRIES.c.id.desc()).limit(1)
    return connection.execute(query).first()


def _keyed_before(connection: Connection) -> bool:
    query = select(_ENTRIES.c.id).where(_ENTRIES.c.key_id.is_not(None)).limit(1)
    return connection.execute(query).first() is not None


def _baseline(
    connection: Connection, pending: list[dict[str, Any]], at: datetime, actor: str
) -> list[dict[str, Any]]:
    """One entry per audited row that exists, but for the rows this append inserts. A row it
    updates is recorded as it is now, after the update: its update entry alone holds only the
    columns that changed."""
    written = {
        (entry["entity"], entry["row_id"]) for entry in pending if entry["action"] == "insert"
    }
    keys = story_keys(connection)
    return [
        {"at": at, "actor": actor, "action": "baseline", "entity": entity, "row_id": row_id,
         "key": natural_key(entity, row_id, values, lambda story: keys.get(story, str(story))),
         "before": None, "after": values}
        for entity, row_id, values in current_rows(connection)
        if (entity, row_id) not in written
    ]  # fmt: skip


def append(session: Session, entries: Iterable[Mapping[str, Any]]) -> None:
    """Chain, key and insert entries (`at, actor, action, entity, key, before, after` and the
    written row's `row_id` where there is one)."""
    pending = [{"before": None, "after": None, "row_id": None, **entry} for entry in entries]
    if not pending:
        return
    key: AuditKey | None = session.info.get("audit_key")
    if key is None:
        key = session.info["audit_key"] = signing_key()
    connection = session.connection()
    last = _last(connection)
    if (last is None or last.key_id is None) and not _keyed_before(connection):
        at, actor = _who(session)
        pending = _baseline(connection, pending, at, actor) + pending
    previous = last.hash if last is not None else GENESIS
    for row in pending:
        row.update(prev_hash=previous, key_id=key.id)
        row["hash"] = previous = entry_hash(row, key)
    connection.execute(insert(_ENTRIES), pending)
    session.info[APPENDED] = True


def insert_audited(
    session: Session, model: type[SQLModel], rows: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Insert rows of an audited table with one Core statement (for speed: a sync's links, an
    ingest's pipelines) and append the entries the flush would have made; return their ids.

    Each row names every recorded column (`audit_rows.recorded_columns`), so that its entry
    replays to exactly the stored row.
    """
    assert model in AUDITED, f"{model.__name__} is not an audited table"
    if not rows:
        return []
    table = model.__table__  # type: ignore[attr-defined]
    connection = session.connection()
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids = list(connection.execute(statement, list(rows)).scalars())
    names, entity = recorded_columns(model), model.__tablename__
    stories = {row["story_id"] for row in rows if "story_id" in row}
    keys = story_keys(connection, stories) if stories else {}
    at, actor = _who(session)
    entries = []
    for row_id, row in zip(ids, rows, strict=True):
        values = {name: plain(row[name]) for name in names}
        entries.append(
            {"at": row.get("at") or at, "actor": row.get("actor") or actor, "action": "insert",
             "entity": entity, "row_id": row_id, "before": None, "after": values,
             "key": natural_key(entity, row_id, values, keys.__getitem__)}
        )  # fmt: skip
    append(session, entries)
    return ids


def _who(session: Session) -> tuple[datetime, str]:
    return session.info.get("at") or datetime.now(UTC), session.info.get("actor", "unknown")


def _collect(session: Session) -> list[dict[str, Any]]:
    """Audited rows of this flush, with who and when: the row's own, else the session's."""
    at, actor = _who(session)
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
                before, after = (None, None) if action == "insert" else (orm_values(row), None)
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
        values = orm_values(row)
        after = values if item["action"] == "insert" else item["after"]
        entity = type(row).__tablename__
        entries.append(
            {"at": item["at"], "actor": item["actor"], "action": item["action"],
             "entity": entity, "row_id": row.id,
             "key": natural_key(entity, row.id, values, lambda story: _story_key(session, story)),
             "before": item["before"], "after": after}
        )  # fmt: skip
    append(session, entries)


def _story_key(session: Session, story_id: int) -> str:
    story = session.get(Story, story_id)
    return story.key if story else str(story_id)
