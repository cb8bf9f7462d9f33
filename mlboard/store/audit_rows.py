"""What the audit trail records of a row, and the audited rows as the database holds them now.

An entry's `before`/`after` hold a row's columns as plain JSON values (times as UTC ISO text),
without the row's id (kept beside, in `row_id`) and without the bookkeeping times
(`created_at`, `updated_at`). Replaying the entries gives, per table and row id, the values the
row must have; `current_rows` reads the same shape from the tables, so the two compare directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Date, DateTime, String, inspect, select, type_coerce
from sqlmodel import SQLModel

from mlboard.store.tables import (
    Alert,
    ChecklistItem,
    DayOff,
    Member,
    Pipeline,
    Sprint,
    StandupNote,
    Story,
    StoryEvent,
    StoryPipeline,
    StoryRun,
)

# In the order a replay compares them: a story's own row before the rows that hang off it.
AUDITED: tuple[type[SQLModel], ...] = (
    Story,
    StoryEvent,
    Member,
    Sprint,
    StoryRun,
    ChecklistItem,
    DayOff,
    StandupNote,
    Pipeline,
    StoryPipeline,
    Alert,
)
SKIPPED = frozenset({"id", "created_at", "updated_at"})
_OF_A_STORY = frozenset({"storyevent", "storyrun", "checklistitem", "storypipeline"})


def plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def recorded_columns(model: type[SQLModel]) -> list[str]:
    return [column.key for column in inspect(model).columns if column.key not in SKIPPED]


def orm_values(row: SQLModel) -> dict[str, Any]:
    """The recorded columns of an ORM row, as its attributes hold them."""
    return {name: plain(getattr(row, name)) for name in recorded_columns(type(row))}


def natural_key(
    entity: str, row_id: int | None, values: dict[str, Any], story_key: Callable[[int], str]
) -> str:
    """How people name the row: the story key, the member handle, the sprint name... else its id."""
    if entity == "story":
        return str(values["key"])
    if entity in _OF_A_STORY:
        return story_key(values["story_id"])
    if entity == "member":
        return str(values["handle"])
    if entity == "sprint":
        return str(values["name"])
    if entity == "pipeline":
        return f"{values['namespace']}/{values['name']}"
    return str(row_id or "")


def story_keys(connection: Connection, ids: set[int] | None = None) -> dict[int, str]:
    query = select(Story.id, Story.key)  # type: ignore[call-overload]
    if ids is not None:
        query = query.where(Story.id.in_(ids))  # type: ignore[union-attr]
    return dict(connection.execute(query).all())


def utc_text(value: datetime | str) -> str:
    """A time as the trail writes it (UTC, ISO 8601), from a datetime or as stored: SQLite's
    text of naive UTC, or PostgreSQL's naive UTC timestamp. Reading the stored value straight
    costs a fraction of the column type's parsing, which `verify` does 100,000s of times."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return utc.isoformat()


def _date_text(value: date | str) -> str:
    return value if isinstance(value, str) else value.isoformat()


def _as_text(column_type: Any) -> Callable[[Any], str] | None:
    """How a date or time column's stored value becomes the trail's text; None for others."""
    kind = getattr(column_type, "impl", column_type)  # UTCDateTime decorates DateTime
    if isinstance(kind, DateTime):
        return utc_text
    return _date_text if isinstance(kind, Date) else None


def table_rows(connection: Connection, model: type[SQLModel]) -> Iterator[tuple[int, dict]]:
    """The rows of one audited table as the trail records them, by id: (id, values)."""
    table = model.__table__  # type: ignore[attr-defined]
    names = recorded_columns(model)
    timed = [(i, f) for i, name in enumerate(names) if (f := _as_text(table.c[name].type))]
    stored = {i for i, _ in timed}  # read as stored, turned into text below
    columns = [
        type_coerce(table.c[name], String) if i in stored else table.c[name]
        for i, name in enumerate(names)
    ]
    query = select(table.c.id, *columns).order_by(table.c.id)
    for row_id, *values in connection.execute(query.execution_options(yield_per=5000)):
        for index, as_text in timed:
            if values[index] is not None:
                values[index] = as_text(values[index])
        yield row_id, dict(zip(names, values, strict=True))


def current_rows(connection: Connection) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """Every audited row, table by table in `AUDITED` order: (entity, id, values)."""
    for model in AUDITED:
        for row_id, values in table_rows(connection, model):
            yield model.__tablename__, row_id, values  # type: ignore[misc]
