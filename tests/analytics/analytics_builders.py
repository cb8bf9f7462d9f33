"""Build story histories for the analytics tests the way the store writes them: one `created`
event, then one event per changed field with old/new as text."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time

from mlboard.analytics.history import (
    FieldChange,
    SprintSpan,
    StoryFacts,
    StoryTimeline,
    build_timelines,
    format_points,
)
from mlboard.domain import SprintState, StoryStatus


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """A UTC moment on `day` (noon unless told)."""
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def sprint(
    name: str,
    start: date,
    end: date,
    *,
    started_hour: int = 9,
    closed_hour: int | None = 18,
    state: str = SprintState.CLOSED,
) -> SprintSpan:
    closed = at(end, closed_hour) if closed_hour is not None else None
    return SprintSpan(name, start, end, at(start, started_hour), closed, state)


@dataclass
class Board:
    """A tiny in-memory store: stories change only through `set`, which records events."""

    facts: dict[str, StoryFacts] = field(default_factory=dict)
    changes: list[FieldChange] = field(default_factory=list)

    def create(
        self,
        key: str,
        when: datetime,
        *,
        kind: str = "model",
        status: str = StoryStatus.TODO,
        points: float | None = None,
        sprint: str | None = None,
        assignee: str | None = None,
        timebox_days: float | None = None,
    ) -> Board:
        done_at = when if status == StoryStatus.DONE else None
        self.facts[key] = StoryFacts(
            key, kind, status, points, sprint, assignee, when, done_at, timebox_days
        )
        self.changes.append(FieldChange(key, when, "created", None, None))
        return self

    def set(self, key: str, when: datetime, field_name: str, value: str | float | None) -> Board:
        facts = self.facts[key]
        if field_name == "points":
            points = None if value is None else float(value)
            old, new = format_points(facts.points), format_points(points)
            facts = replace(facts, points=points)
        else:
            old = getattr(facts, field_name)
            new = None if value is None else str(value)
            facts = replace(facts, **{field_name: new})
            if field_name == "status":
                done = new == StoryStatus.DONE
                facts = replace(facts, done_at=when if done else None)
        if old is not None:
            old = str(old)
        self.changes.append(FieldChange(key, when, field_name, old, new))
        self.facts[key] = facts
        return self

    def timelines(self) -> dict[str, StoryTimeline]:
        return build_timelines(self.facts.values(), self.changes)

    def stories(self) -> list[StoryTimeline]:
        return list(self.timelines().values())


# The worked example shared by the velocity and burndown tests: a two-week sprint from Monday
# 4 March 2024 to Friday 15 March 2024 (12 calendar days, 10 working days, one weekend), started
# on Monday at 09:00 and closed on Friday at 18:00.
MON = date(2024, 3, 4)


def day(offset: int) -> date:
    """The sprint's day `offset` (0 = Monday 4 March 2024)."""
    return date.fromordinal(MON.toordinal() + offset)


def worked_sprint() -> tuple[Board, SprintSpan]:
    """Stories (points):
    A 3  in S1 at start, done Wed 6th.
    B 5  in S1 at start, re-estimated to 8 on Thu 7th, done Tue 12th.
    C 2  in S1 at start, in progress, moved to S2 by the close itself (at closed_at).
    D 3  backlog at start, added to S1 on Mon 11th, done Wed 13th.
    E 1  in S1 at start, removed to the backlog on Fri 8th.
    F -  unestimated, in S1 at start, done Thu 14th.
    G 2  created directly in S1 on Tue 12th, not done.
    H 5  in S2 only (never in S1).
    """
    s1 = sprint("S1", day(0), day(11))
    before = at(day(-3))  # the Friday before
    board = Board()
    for key, points in (("A", 3), ("B", 5), ("C", 2), ("E", 1), ("F", None)):
        board.create(key, before, points=points, sprint="S1")
    board.create("D", before, points=3)
    board.create("H", before, points=5, sprint="S2")
    board.set("A", at(day(1)), "status", "in_progress").set("A", at(day(2)), "status", "done")
    board.set("B", at(day(3)), "points", 8)
    board.set("B", at(day(4)), "status", "in_progress").set("B", at(day(8)), "status", "done")
    board.set("C", at(day(1)), "status", "in_progress")
    board.set("E", at(day(4)), "sprint", None)
    board.set("D", at(day(7)), "sprint", "S1").set("D", at(day(9), 10), "status", "done")
    board.set("F", at(day(10)), "status", "done")
    board.create("G", at(day(8)), points=2, sprint="S1")
    assert s1.closed_at is not None
    board.set("C", s1.closed_at, "sprint", "S2")
    return board, s1
