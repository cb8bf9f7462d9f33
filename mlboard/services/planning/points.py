"""Committed and completed points of sprints, computed from history by analytics/.

This module is the bridge: it reads only the stories that were ever in the asked sprints (and
only their sprint, status and points events) and hands the rows to `sprint_totals`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_
from sqlmodel import Session, col, select

from mlboard.analytics.history import SprintSpan, StoryTimeline
from mlboard.services.planning.totals import (
    HISTORY_FIELDS,
    SprintPoints,
    sprint_span,
    sprint_totals,
    story_timelines,
)
from mlboard.store.tables import Sprint, Story, StoryEvent


def span(sprint: Sprint) -> SprintSpan:
    return sprint_span(
        sprint.name,
        sprint.start,
        sprint.end,
        sprint.started_at,
        sprint.closed_at,
        sprint.state,
        sprint.created_at,
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
        )
        .where(or_(col(Story.sprint_id).in_(ids), col(Story.id).in_(moved)))
        .order_by(col(Story.id))  # sums of points add up in one order, whoever reads them
    ).all()
    sprint_names = dict(session.exec(select(Sprint.id, Sprint.name)).all())
    events = session.exec(
        select(StoryEvent.story_id, StoryEvent.at, StoryEvent.field, StoryEvent.old, StoryEvent.new)
        .where(
            col(StoryEvent.story_id).in_([story.id for story in stories]),
            col(StoryEvent.field).in_(HISTORY_FIELDS),
        )
        .order_by(col(StoryEvent.at), col(StoryEvent.id))
    ).all()
    return story_timelines(stories, sprint_names, events)


def for_sprints(session: Session, sprints: Sequence[Sprint]) -> dict[str, SprintPoints]:
    if not sprints:
        return {}
    timelines = load_timelines(session, sprints).values()
    return sprint_totals([span(sprint) for sprint in sprints], timelines)
