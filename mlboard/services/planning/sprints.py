"""Sprints: plan, start, close, and read them with their committed and completed points."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, select

from mlboard.domain import SprintState, StoryStatus
from mlboard.errors import UserError
from mlboard.services.planning import points as sprint_points
from mlboard.services.planning.sprint_view import SprintView
from mlboard.services.stories.lookup import find_sprint
from mlboard.services.stories.records import apply_changes
from mlboard.services.workspace import Workspace
from mlboard.store.tables import Sprint, Story

DEFAULT_LENGTH = timedelta(days=13)  # two weeks: ends the day before the same weekday, 2 weeks on


def _parse_date(text: str | None, what: str) -> date | None:
    if text is None or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise UserError(f"{what}: {text!r} is not a date like 2026-11-30") from None


def add_sprint(
    ws: Workspace,
    name: str,
    *,
    start: str | None = None,
    end: str | None = None,
    goal: str = "",
) -> SprintView:
    name = name.strip()
    if not name:
        raise UserError("sprint name must not be empty")
    start_day, end_day = _parse_date(start, "start"), _parse_date(end, "end")
    if start_day and end_day is None:
        end_day = start_day + DEFAULT_LENGTH
    if start_day and end_day and end_day < start_day:
        raise UserError(f"end {end_day} is before start {start_day}")
    with ws.writing() as session:
        if session.exec(select(Sprint.id).where(Sprint.name == name)).first() is not None:
            raise UserError(f"sprint {name!r} already exists")
        session.add(
            Sprint(name=name, goal=goal.strip(), start=start_day, end=end_day, created_at=ws.now())
        )
    return get_sprint(ws, name)


def start_sprint(ws: Workspace, name: str) -> SprintView:
    """Make a future sprint the active one; its stories at this moment are its commitment."""
    with ws.writing() as session:
        sprint = find_sprint(session, name)
        if sprint.state != SprintState.FUTURE:
            raise UserError(f"sprint {name!r} is {sprint.state}; only a future sprint can start")
        active = _active(session)
        if active is not None:
            raise UserError(f"sprint {active.name!r} is still active: close it first")
        now = ws.now()
        sprint.state = SprintState.ACTIVE.value
        sprint.started_at = now
        sprint.start = sprint.start or ws.today()
        sprint.end = sprint.end or sprint.start + DEFAULT_LENGTH
        session.add(sprint)
    return get_sprint(ws, name)


def close_sprint(ws: Workspace, name: str, *, carry_over_to: str | None = None) -> SprintView:
    """Close the active sprint; unfinished stories go to `carry_over_to`, or to the backlog."""
    with ws.writing() as session:
        sprint = find_sprint(session, name)
        if sprint.state != SprintState.ACTIVE:
            raise UserError(f"sprint {name!r} is {sprint.state}; only the active sprint can close")
        if carry_over_to is not None:
            destination = find_sprint(session, carry_over_to)
            if destination.state == SprintState.CLOSED or destination.id == sprint.id:
                raise UserError(f"cannot carry stories over to sprint {carry_over_to!r}")
        now = ws.now()
        unfinished = session.exec(
            select(Story).where(Story.sprint_id == sprint.id, Story.status != StoryStatus.DONE)
        ).all()
        sprint.state = SprintState.CLOSED.value
        sprint.closed_at = now
        session.add(sprint)
        session.flush()
        for story in unfinished:
            apply_changes(session, ws, story, {"sprint": carry_over_to or ""}, at=now)
    return get_sprint(ws, name)


def _active(session: Session) -> Sprint | None:
    return session.exec(
        select(Sprint).where(Sprint.state == SprintState.ACTIVE).order_by(col(Sprint.id))
    ).first()


def active_sprint_name(ws: Workspace) -> str | None:
    with ws.reading() as session:
        active = _active(session)
        return active.name if active else None


def get_sprint(ws: Workspace, name: str) -> SprintView:
    with ws.reading() as session:
        return _views(session, [find_sprint(session, name)])[0]


def list_sprints(ws: Workspace) -> list[SprintView]:
    """Sprints in time order: closed first, then active, then future ones by start date."""
    with ws.reading() as session:
        sprints = session.exec(select(Sprint).order_by(col(Sprint.start), col(Sprint.id))).all()
        order = {SprintState.CLOSED: 0, SprintState.ACTIVE: 1, SprintState.FUTURE: 2}
        ranked = sorted(sprints, key=lambda s: order.get(SprintState(s.state), 3))
        return _views(session, ranked)


def _views(session: Session, sprints: list[Sprint]) -> list[SprintView]:
    points = sprint_points.for_sprints(session, sprints)
    return [
        SprintView(
            name=s.name,
            state=s.state,
            goal=s.goal,
            start=s.start,
            end=s.end,
            started_at=s.started_at,
            closed_at=s.closed_at,
            committed_points=points[s.name].committed,
            completed_points=points[s.name].completed,
            stories=points[s.name].stories,
            scope_points=points[s.name].scope,
        )
        for s in sprints
    ]


def open_sprint_names(ws: Workspace) -> list[str]:
    """Sprints a story can still be planned into: the active one, then future ones."""
    with ws.reading() as session:
        sprints = session.exec(
            select(Sprint).where(Sprint.state != SprintState.CLOSED).order_by(col(Sprint.start))
        ).all()
        return [s.name for s in sorted(sprints, key=lambda s: s.state != SprintState.ACTIVE)]
