"""The audit trail's table: one append-only, chained entry per write to the board."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from mlboard.store.tables.columns import _utc_column


class AuditEntry(SQLModel, table=True):
    """One write to the board, append-only, chained: `hash` covers the entry and `prev_hash`.

    Editing or deleting an entry breaks the chain at that point, which `mlboard audit verify`
    reports. Entries are only ever inserted. `hash` is an HMAC with the team's audit key, whose
    fingerprint is `key_id` (entries written before keyed audit have none and a plain SHA-256);
    `row_id` is the id of the row written, so that the trail replays to the tables.
    """

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_utc_column(nullable=False, index=True))
    actor: str
    action: str
    entity: str = Field(index=True)
    key: str = Field(index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    prev_hash: str
    hash: str = Field(unique=True)
    key_id: str | None = None
    row_id: int | None = None
