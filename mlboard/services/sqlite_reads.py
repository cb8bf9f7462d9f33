"""The board, the story list and the sprint list read straight from a SQLite file with sqlite3.

`load_board`, `list_stories` and `list_sprints` go through SQLAlchemy, SQLModel and pydantic,
whose imports take longer than everything else the board's first paint or `mlboard story list`
does. For a SQLite file already at the newest schema (`store.sqlite_file`), `FileReads` reads
the same rows with the standard library and builds the same views, through the same parsers
and the same sprint arithmetic (`sprint_totals`); tests/test_sqlite_reads.py holds the two
equal on the sample team and on generated boards. `read_file` answers None whenever this path
is not safe, and the caller then asks the services.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from mlboard.analytics.history import StoryTimeline
from mlboard.domain import SprintState, parse_target
from mlboard.errors import UserError
from mlboard.services.changes import CHANGE_MARKER_SQL
from mlboard.services.planning.sprint_view import SprintView
from mlboard.services.planning.totals import (
    HISTORY_FIELDS,
    sprint_span,
    sprint_totals,
    story_timelines,
)
from mlboard.services.stories.board import BoardData, BoardSnapshot
from mlboard.services.stories.fields import parse_field
from mlboard.services.stories.view import StoryView
from mlboard.services.team.handles import typed_handle
from mlboard.store.sqlite_file import open_current

T = TypeVar("T")

# The columns of StoryView, in its order; the joins and the order are those of `list_stories`.
_STORIES = """
SELECT s.key, s.title, s.description, s.kind, s.status, s.blocked, s.blocked_reason, s.points,
       s.estimate_low, s.estimate_high, s.timebox_days, s.gpu_hours, s.target, m.handle, m.name,
       sp.name, s.rank, s.sensitivity, s.created_at, s.updated_at, s.started_at, s.done_at,
       (SELECT count(*) FROM storyevent AS e WHERE e.story_id = s.id)
FROM story AS s
LEFT OUTER JOIN member AS m ON s.assignee_id = m.id
LEFT OUTER JOIN sprint AS sp ON s.sprint_id = sp.id
"""
_SPRINTS = (
    'SELECT id, name, goal, "start", "end", state, started_at, closed_at, created_at FROM sprint'
)


def read_file(location: str, read: Callable[[FileReads], T]) -> T | None:
    """`read` on the database at `location` without SQLAlchemy, or None if that is not safe.

    A UserError (a sprint that does not exist) is the answer and propagates; a value this path
    cannot read as the services would gives None too, so the services decide.
    """
    connection = open_current(location)
    if connection is None:
        return None
    try:
        return read(FileReads(connection))
    except (sqlite3.Error, ValueError, TypeError):
        return None
    finally:
        connection.close()


def _when(text: str | None) -> datetime | None:
    """A stored time (naive UTC text) as the store hands it back: aware UTC."""
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=UTC)


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _story(row: Sequence[Any]) -> StoryView:
    (key, title, description, kind, status, blocked, blocked_reason, points, low, high, timebox,
     gpu_hours, target, handle, name, sprint, rank, sensitivity, created_at, updated_at,
     started_at, done_at, events) = row  # fmt: skip
    return StoryView(
        key=key,
        title=title,
        description=description,
        kind=kind,
        status=status,
        blocked=bool(blocked),
        blocked_reason=blocked_reason,
        points=points,
        estimate_low=low,
        estimate_high=high,
        timebox_days=timebox,
        gpu_hours=gpu_hours,
        target=parse_target(target) if target else None,
        assignee=handle,
        assignee_name=name,
        sprint=sprint,
        rank=rank,
        sensitivity=sensitivity,
        created_at=_when(created_at),  # type: ignore[arg-type]
        updated_at=_when(updated_at),  # type: ignore[arg-type]
        started_at=_when(started_at),
        done_at=_when(done_at),
        events=events,
    )


class FileReads:
    """Reads inside one transaction of an open, checked connection (see `read_file`)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def _one(self, sql: str, *params: object) -> Any:
        row = self._db.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def list_stories(
        self,
        *,
        sprint: str | None = None,
        backlog: bool = False,
        status: str | None = None,
        assignee: str | None = None,
        kind: str | None = None,
    ) -> list[StoryView]:
        """As `stories.list_stories`, with its checks in its order (so its errors too)."""
        where, params = [], []
        if sprint is not None:
            where.append("s.sprint_id = ?")
            params.append(self._sprint_id(sprint))
        if backlog:
            where.append("s.sprint_id IS NULL")
        if status is not None:
            where.append("s.status = ?")
            params.append(parse_field("status", status))
        if assignee is not None:
            where.append("s.assignee_id = ?")
            params.append(self._member_id(assignee))
        if kind is not None:
            where.append("s.kind = ?")
            params.append(parse_field("kind", kind))
        sql = _STORIES + (f"WHERE {' AND '.join(where)} " if where else "")
        rows = self._db.execute(sql + "ORDER BY s.rank, s.number, s.id", params)
        return [_story(row) for row in rows]

    def _sprint_id(self, name: str) -> int:
        found = self._one("SELECT id FROM sprint WHERE name = ?", name)
        if found is None:
            raise UserError(f"sprint {name!r} not found")
        return int(found)

    def _member_id(self, handle: str) -> int:
        found = self._one("SELECT id FROM member WHERE handle = ?", typed_handle(handle))
        if found is None:
            raise UserError(f"member {handle} not found (add them with: mlboard member add)")
        return int(found)

    def active_sprint_name(self) -> str | None:
        return self._one(
            "SELECT name FROM sprint WHERE state = ? ORDER BY id", SprintState.ACTIVE.value
        )

    def get_sprint(self, name: str) -> SprintView:
        rows = self._db.execute(f"{_SPRINTS} WHERE name = ?", (name,)).fetchall()
        if not rows:
            raise UserError(f"sprint {name!r} not found")
        return self._sprint_views(rows[:1])[0]

    def list_sprints(self) -> list[SprintView]:
        """As `sprints.list_sprints`: closed, then active, then future ones, by start date."""
        rows = self._db.execute(f'{_SPRINTS} ORDER BY "start", id').fetchall()
        order = {SprintState.CLOSED: 0, SprintState.ACTIVE: 1, SprintState.FUTURE: 2}
        return self._sprint_views(sorted(rows, key=lambda row: order.get(SprintState(row[5]), 3)))

    def _sprint_views(self, rows: list[Sequence[Any]]) -> list[SprintView]:
        if not rows:
            return []
        spans = [
            sprint_span(name, _day(start), _day(end), _when(started), _when(closed), state,
                        _when(created))  # type: ignore[arg-type]
            for _, name, _, start, end, state, started, closed, created in rows
        ]  # fmt: skip
        points = sprint_totals(spans, self._timelines(rows).values())
        return [
            SprintView(
                name=name,
                state=state,
                goal=goal,
                start=_day(start),
                end=_day(end),
                started_at=_when(started),
                closed_at=_when(closed),
                committed_points=points[name].committed,
                completed_points=points[name].completed,
                stories=points[name].stories,
                scope_points=points[name].scope,
            )
            for _, name, goal, start, end, state, started, closed, _ in rows
        ]

    def _timelines(self, sprints: list[Sequence[Any]]) -> dict[str, StoryTimeline]:
        """As `sprint_points.load_timelines`: every story ever in one of `sprints`."""
        ids, names = [row[0] for row in sprints], [row[1] for row in sprints]
        rows = self._db.execute(
            "SELECT id, key, kind, status, points, sprint_id, created_at, done_at, timebox_days"
            f" FROM story WHERE sprint_id IN ({_marks(ids)}) OR id IN (SELECT story_id"
            " FROM storyevent WHERE field = 'sprint'"
            f" AND (old IN ({_marks(names)}) OR new IN ({_marks(names)}))) ORDER BY id",
            [*ids, *names, *names],
        )
        stories = [
            (id_, key, kind, status, points, sprint_id, _when(created), _when(done), timebox)
            for id_, key, kind, status, points, sprint_id, created, done, timebox in rows
        ]
        story_ids = [story[0] for story in stories]
        rows = self._db.execute(
            "SELECT story_id, at, field, old, new FROM storyevent"
            f" WHERE story_id IN ({_marks(story_ids)}) AND field IN ({_marks(HISTORY_FIELDS)})"
            " ORDER BY at, id",
            [*story_ids, *HISTORY_FIELDS],
        )
        events = [(story_id, _when(at), field, old, new) for story_id, at, field, old, new in rows]
        sprint_names = dict(self._db.execute("SELECT id, name FROM sprint").fetchall())
        return story_timelines(stories, sprint_names, events)

    def board(self) -> BoardData:
        """As `board.load_board` for the active sprint."""
        name = self.active_sprint_name()
        if name is None:
            return BoardData(None, [])
        return BoardData(self.get_sprint(name), self.list_stories(sprint=name))

    def change_marker(self) -> tuple[object, ...]:
        """As `changes.change_marker`, in the same snapshot as the reads beside it."""
        return tuple(self._db.execute(CHANGE_MARKER_SQL).fetchone())

    def board_snapshot(self) -> BoardSnapshot:
        return BoardSnapshot(self.board(), self.change_marker())


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))
