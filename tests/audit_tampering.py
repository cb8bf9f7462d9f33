"""What someone with access to the database, and mlboard's source, can do to the audit trail."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, text, update

from mlboard.store.audit import GENESIS, entry_hash, legacy_content
from mlboard.store.audit_key import AuditKey
from mlboard.store.audit_rows import utc_text
from mlboard.store.tables import AuditEntry

ENTRIES = AuditEntry.__table__


def tamper(workspace, statement: str, **parameters: Any) -> None:
    """Change the stored data behind mlboard's back."""
    with workspace.engine.begin() as connection:
        connection.execute(text(statement), parameters)


def delete_newest(workspace, count: int | None) -> None:
    """Cut the newest `count` entries off the chain (None: all of them)."""
    if count is None:
        tamper(workspace, "DELETE FROM auditentry")
    else:
        tamper(
            workspace,
            "DELETE FROM auditentry WHERE id IN "
            "(SELECT id FROM auditentry ORDER BY id DESC LIMIT :count)",
            count=count,
        )


def public_sha256(entry: dict[str, Any]) -> str:
    fields = [entry[name] for name in ("actor", "action", "entity", "key", "before", "after")]
    content = legacy_content(utc_text(entry["at"]), *fields, entry["prev_hash"])
    return hashlib.sha256(content).hexdigest()


def rewrite_chain(
    workspace, change: Callable[[dict[str, Any]], None], *, start: int = 1,
    key: AuditKey | None = None,
) -> None:  # fmt: skip
    """Apply `change` to every entry from id `start` on and recompute the chain from there: with
    the public SHA-256 over the entry's JSON (as entries before keyed audit were hashed), or with
    mlboard's own keyed hash under `key` (the change sets `key_id` to that key's)."""
    with workspace.engine.begin() as connection:
        query = select(ENTRIES).order_by(ENTRIES.c.id)
        rows = [dict(row._mapping) for row in connection.execute(query)]
        previous = GENESIS
        for row in rows:
            if row["id"] >= start:
                change(row)
                row["prev_hash"] = previous
                row["hash"] = entry_hash(row, key) if key else public_sha256(row)
                connection.execute(
                    update(ENTRIES).where(ENTRIES.c.id == row["id"]).values(
                        {name: value for name, value in row.items() if name != "id"}
                    )
                )  # fmt: skip
            previous = row["hash"]
