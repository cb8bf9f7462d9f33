"""Velocity: points committed and completed per closed sprint, and their recent average.

Definitions follow Jira's velocity chart (Atlassian, "View and understand the velocity chart"):
the commitment is what the sprint held when it started; the completed value is what was done in
the sprint when it closed, scope changes included.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from mlboard.analytics.history import (
    SprintSpan,
    StoryTimeline,
    sprint_closed,
    sprint_members,
    sprint_points,
    sprint_started,
)
from mlboard.domain import SprintState

CHART_SPRINTS = 7
AVERAGE_SPRINTS = 3


@dataclass(frozen=True, slots=True)
class SprintVelocity:
    """One bar pair of the velocity chart."""

    sprint: str
    started_at: datetime
    closed_at: datetime
    committed: float
    completed: float


def closed_sprints(sprints: Iterable[SprintSpan]) -> list[SprintSpan]:
    """The closed sprints, oldest close first."""
    closed = [s for s in sprints if s.state == SprintState.CLOSED]
    return sorted(closed, key=lambda s: (sprint_closed(s), s.end, s.name))


def sprint_velocity(sprint: SprintSpan, timelines: Iterable[StoryTimeline]) -> SprintVelocity:
    """Committed and completed points of one sprint (Jira's definitions).

    committed: sum of points, as estimated at the moment the sprint started (`started_at`), of
        the stories in the sprint at that moment. Stories added later and estimate changes after
        the start are excluded.
    completed: sum of points, as estimated at the sprint's end (`closed_at`), of the stories that
        were in the sprint and done at that moment; stories added mid-sprint and re-estimates
        count.
    Unestimated stories count 0. Values "at" a moment follow `StoryTimeline.value_at`.
    """
    members = sprint_members(timelines, sprint.name)
    started, closed = sprint_started(sprint), sprint_closed(sprint)
    return SprintVelocity(
        sprint=sprint.name,
        started_at=started,
        closed_at=closed,
        committed=sprint_points(members, sprint.name, started),
        completed=sprint_points(members, sprint.name, closed, done_only=True),
    )


def velocity_chart(
    sprints: Iterable[SprintSpan], timelines: Iterable[StoryTimeline], *, last: int = CHART_SPRINTS
) -> list[SprintVelocity]:
    """Committed/completed rows of the last `last` closed sprints (Jira shows 7), oldest first."""
    if last < 1:
        return []
    stories = list(timelines)
    return [sprint_velocity(s, stories) for s in closed_sprints(sprints)[-last:]]


def average_velocity(
    sprints: Iterable[SprintSpan],
    timelines: Iterable[StoryTimeline],
    *,
    last: int = AVERAGE_SPRINTS,
) -> float | None:
    """Mean `completed` points over the last `last` closed sprints (fewer if fewer exist).

    This is Jira's velocity: the arithmetic mean of completed points per sprint. None when no
    sprint has closed yet.
    """
    rows = velocity_chart(sprints, timelines, last=last)
    if not rows:
        return None
    return sum(row.completed for row in rows) / len(rows)
