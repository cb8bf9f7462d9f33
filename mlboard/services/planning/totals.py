"""Committed and completed points of sprints, from plain rows: the half of `sprint_points` that
needs no database.

`sprint_points` reads the rows through SQLAlchemy; the light read of the board's file
(`sqlite_reads`) reads the same rows with sqlite3. Both hand them to these functions, so the
figures cannot differ between the two.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from mlboard.analytics.history import (
    FieldChange,
    SprintSpan,
    StoryFacts,
    StoryTimeline,
    build_timelines,
)
from mlboard.analytics.velocity import sprint_velocity
from mlboard.domain import SprintState

HISTORY_FIELDS = ("sprint", "status", "points")


@dataclass(frozen=True, slots=True)
class SprintPoints:
    """The project's two words: `committed` is what the sprint held at its start, `scope` what
    it holds now (so scope − committed is the scope change since the start)."""

    committed: float | None  # None until the sprint has started
    completed: float
    stories: int  # in it now
    scope: float  # points of the stories in it now


def sprint_span(
    name: str,
    start: date | None,
    end: date | None,
    started_at: datetime | None,
    closed_at: datetime | None,
    state: str,
    created_at: datetime,
) -> SprintSpan:
    """A sprint's span; a sprint planned without dates spans the day it was created."""
    return SprintSpan(
        name=name,
        start=start or created_at.date(),
        end=end or created_at.date(),
        started_at=started_at,
        closed_at=closed_at,
        state=state,
    )


def story_timelines(
    stories: Iterable[Sequence[Any]],
    sprint_names: Mapping[int, str],
    events: Iterable[Sequence[Any]],
) -> dict[str, StoryTimeline]:
    """Timelines from story rows `(id, key, kind, status, points, sprint_id, created_at, done_at,
    timebox_days)` and event rows `(story_id, at, field, old, new)` in time order."""
    facts, keys = [], {}
    for id_, key, kind, status, points, sprint_id, created_at, done_at, timebox_days in stories:
        keys[id_] = key
        facts.append(
            StoryFacts(
                key=key,
                kind=kind,
                status=status,
                points=points,
                sprint=sprint_names.get(sprint_id) if sprint_id else None,
                assignee=None,
                created_at=created_at,
                done_at=done_at,
                timebox_days=timebox_days,
            )
        )
    changes = [FieldChange(keys[story_id], *rest) for story_id, *rest in events]
    return build_timelines(facts, changes)


def _by_sprint(timelines: Iterable[StoryTimeline]) -> dict[str, list[StoryTimeline]]:
    """Each sprint's stories: those in it now or moved in or out of it at some point."""
    members: dict[str, list[StoryTimeline]] = defaultdict(list)
    for timeline in timelines:
        names = {timeline.facts.sprint}
        for change in timeline.changes("sprint"):
            names.update((change.old, change.new))
        for name in names - {None}:
            members[name].append(timeline)  # type: ignore[index]
    return members


def sprint_totals(
    spans: Sequence[SprintSpan], timelines: Iterable[StoryTimeline]
) -> dict[str, SprintPoints]:
    """Points of each sprint in `spans`, from the timelines of every story ever in one of them."""
    timelines = list(timelines)
    members = _by_sprint(timelines)
    current = Counter(timeline.facts.sprint for timeline in timelines)
    scope: Counter[str | None] = Counter()
    for timeline in timelines:
        scope[timeline.facts.sprint] += timeline.facts.points or 0
    result = {}
    for span in spans:
        figures = sprint_velocity(span, members.get(span.name, []))
        started = span.state != SprintState.FUTURE
        result[span.name] = SprintPoints(
            committed=figures.committed if started else None,
            completed=figures.completed,
            stories=current[span.name],
            scope=scope[span.name],
        )
    return result
