"""Replaying the audit trail into the rows it says the tables hold, and comparing with them.

The chain proves that nobody changed the entries; the replay proves the entries still describe
the tables. Every keyed entry names its row (`entity`, `row_id`) and holds its recorded columns
(an insert or a baseline: all of them; an update: those it changed; a delete: the row before),
so applying them in order gives each row's expected values. A row deleted, added or edited
directly in the database, without mlboard writing an entry, then shows as a difference.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy import Connection, select

from mlboard.store.audit_rows import AUDITED, natural_key, story_keys, table_rows
from mlboard.store.tables import Run

# Each kind of difference, and how its message ends.
DELETED = "deleted from the database without an audit entry"
ADDED = "in the database without an audit entry"
KINDS = ("deleted", "added", "changed")


@dataclass(frozen=True)
class Difference:
    kind: str  # deleted, added or changed
    message: str  # "story ML-12: deleted from the database without an audit entry"


@dataclass
class _Found:
    """A row that differs: what the message needs, and how many more of its kind follow."""

    kind: str
    entity: str
    key: str
    row_id: int
    values: dict[str, Any]
    detail: str
    more: int = 0


@dataclass
class Replay:
    """Expected rows per table: {entity: {row id: (natural key, values)}}."""

    rows: dict[str, dict[int, tuple[str, dict[str, Any]]]] = field(
        default_factory=lambda: {model.__tablename__: {} for model in AUDITED}  # type: ignore[misc]
    )

    def apply(
        self, action: str, entity: str, row_id: int, key: str, values: dict[str, Any] | None
    ) -> None:
        table = self.rows.get(entity)
        if table is None:
            return  # an entry about something the replay does not compare (a dataset label)
        if action == "delete":
            table.pop(row_id, None)
        elif action == "update" and row_id in table:
            table[row_id][1].update(values or {})
            table[row_id] = (key, table[row_id][1])
        else:  # an insert or a baseline: the values are this replay's own (parsed per entry)
            table[row_id] = (key, values if values is not None else {})

    def compare(self, connection: Connection) -> tuple[list[Difference], int]:
        """The first difference of each kind (tables in `AUDITED` order) and how many rows
        were compared."""
        first: dict[str, _Found] = {}
        compared = 0
        for found in self._differences(connection):
            compared += 1
            if found is None:
                continue
            if found.kind in first:
                first[found.kind].more += 1
            else:
                first[found.kind] = found
        return [_difference(connection, first[kind]) for kind in KINDS if kind in first], compared

    def _differences(self, connection: Connection) -> Iterator[_Found | None]:
        """None for each row that matches, a difference for each that does not."""
        keys: dict[int, str] = {}
        for model in AUDITED:
            entity: str = model.__tablename__  # type: ignore[assignment]
            expected = self.rows[entity]
            for row_id, values in table_rows(connection, model):
                known = expected.pop(row_id, None)
                if known is None:
                    keys = keys or story_keys(connection)
                    key = natural_key(entity, row_id, values, partial(_story, keys))
                    yield _Found("added", entity, key, row_id, values, ADDED)
                    continue
                key, wanted = known
                if wanted == values:
                    yield None
                    continue
                # a column added after the entry was written is not the trail's to judge
                changed = [n for n, v in wanted.items() if n in values and values[n] != v]
                if changed:
                    verb = "differs" if len(changed) == 1 else "differ"
                    detail = f"{', '.join(changed)} {verb} from the audit trail"
                    yield _Found("changed", entity, key, row_id, values, detail)
                else:
                    yield None
            for row_id, (key, values) in sorted(expected.items()):
                yield _Found("deleted", entity, key, row_id, values, DELETED)


def _story(keys: dict[int, str], story_id: int) -> str:
    return keys.get(story_id) or f"story #{story_id}"


def _difference(connection: Connection, found: _Found) -> Difference:
    what = _what(connection, found)
    more = f" (and {found.more} more)" if found.more else ""
    return Difference(found.kind, f"{what}: {found.detail}{more}")


def _what(connection: Connection, found: _Found) -> str:
    """How a message names a row: as people know it, else by its id."""
    entity, key, row_id, values = found.entity, found.key, found.row_id, found.values
    match entity:
        case "story" | "member" | "sprint" | "pipeline":
            return f"{entity} {key}"
        case "storyevent":
            return f"story event #{row_id} of {key} ({values.get('field', '?')})"
        case "storyrun":
            query = select(Run.run_id).where(Run.id == values.get("run_pk"))  # type: ignore[arg-type]
            run_id = connection.execute(query).scalar()
            return f"link of {key} to run {run_id or values.get('run_pk')}"
        case "checklistitem":
            return f"checklist item {values.get('item', '?')} of {key}"
        case "storypipeline":
            return f"data dependency #{row_id} of {key}"
        case "dayoff" | "standupnote":
            return f"{'day off' if entity == 'dayoff' else 'standup note'} #{row_id}"
        case _:
            return f"{entity} #{row_id}"
