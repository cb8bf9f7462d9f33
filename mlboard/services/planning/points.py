"""Committed and completed points of sprints, computed from history by analytics/.

This module is the bridge: it reads only the stories that were ever in the asked sprints (and
only their sprint, status and points events), hands plain records to the analytics functions,
and returns their figures.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import or_
from sqlmodel import Session, col, select

from mlboard.analytics.history import (
    FieldChange,
    SprintSpan,
    StoryFacts,
    StoryTimeline,
    build_timelines,
)
from mlboard.analytics.velocity import sprint_velocity
from mlboard.domain import SprintState
from mlboard.store.tables import Sprint, Story, StoryEvent

HISTORY_FIELDS = ("sprint", "status", "points")


@dataclass(frozen=True, slots=True)
class SprintPoints:
    """The project's two words: `committed` is what the sprint held at its start, `scope` what
    it holds now (so scope − committed is the scope change since the start)."""

    committed: float | None  # None until the sprint has started
    completed: float
    stories: int  # in it now
    scope: float  # points of the stories in it now


def span(sprint: Sprint) -> SprintSpan:
    return SprintSpan(
        name=sprint.name,
        start=sprint.start or sprint.created_at.date(),
        end=sprint.end or sprint.created_at.date(),
        started_at=sprint.started_at,
        closed_at=sprint.closed_at,
        state=sprint.state,
    )


def load_timelines(session: Session, sprints: Sequence[Sprint]) -> dict[str, StoryTimeline]:
    """Timelines of every story that was ever in one of `sprints`."""
    ids = [s.id for s in sprints]
    names = [s.name for s in sprints]
    moved = select(StoryEvent.story_id).where(
        StoryEvent.field == "sprint",
        or_(col(StoryEvent.old).in_(names), col(StoryEvent.new).in_(names)),
    )
    stories = session.exec(
        select(
            Story.id,
            Story.key,
            Story.kind,
            Story.status,
            Story.points,
            Story.sprint_id,
            Story.created_at,
            Story.done_at,
            Story.timebox_days,
        ).where(or_(col(Story.sprint_id).in_(ids), col(Story.id).in_(moved)))
    ).all()
    sprint_names = dict(session.exec(select(Sprint.id, Sprint.name)).all())
    keys = {story.id: story.key for story in stories}
    events = session.exec(
        select(StoryEvent.story_id, StoryEvent.at, StoryEvent.field, StoryEvent.old, StoryEvent.new)
        .where(col(StoryEvent.story_id).in_(list(keys)), col(StoryEvent.field).in_(HISTORY_FIELDS))
        .order_by(col(StoryEvent.at), col(StoryEvent.id))
    ).all()
    facts = [
        StoryFacts(
            key=story.key,
            kind=story.kind,
            status=story.status,
            points=story.points,
            sprint=sprint_names.get(story.sprint_id) if story.sprint_id else None,
            assignee=None,
            created_at=story.created_at,
            done_at=story.done_at,
            timebox_days=story.timebox_days,
        )
        for story in stories
    ]
    changes = [FieldChange(keys[e.story_id], e.at, e.field, e.old, e.new) for e in events]
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


def for_sprints(session: Session, sprints: Sequence[Sprint]) -> dict[str, SprintPoints]:
    if not sprints:
        return {}
    timelines = load_timelines(session, sprints).values()
    members = _by_sprint(timelines)
    current = Counter(timeline.facts.sprint for timeline in timelines)
    scope: Counter[str | None] = Counter()
    for timeline in timelines:
        scope[timeline.facts.sprint] += timeline.facts.points or 0
    result = {}
    for sprint in sprints:
        figures = sprint_velocity(span(sprint), members.get(sprint.name, []))
        started = sprint.state != SprintState.FUTURE
        result[sprint.name] = SprintPoints(
            committed=figures.committed if started else None,
            completed=figures.completed,
            stories=current[sprint.name],
            scope=scope[sprint.name],
        )
    return result
