"""Sprint planning: capacity, scope, velocity, flow times, a forecast and the warnings that matter.

The words are the project's: a sprint's *scope* is the points in it now (what planning moves),
its *commitment* the points it held when it started (Jira's velocity definition).

Reads the store once, hands plain records to analytics/, and returns one `Plan` (the record and
its warnings are in `plan_record`) that the CLI (`mlboard plan`) and the Planning screen show.
Definitions live in analytics/ docstrings: velocity is Jira's, capacity Azure Boards', the
forecast ActionableAgile's Monte Carlo. The Planning screen's own actions (choosing a sprint,
moving and ranking stories, the charts) are here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from mlboard.analytics.burndown import Burndown, Burnup, burndown, burnup
from mlboard.analytics.capacity import Member as CapacityMember
from mlboard.analytics.capacity import team_capacity
from mlboard.analytics.flow import sprint_flow, summarize_flow
from mlboard.analytics.forecast import daily_throughput, forecast_when
from mlboard.analytics.history import SprintSpan, sprint_closed
from mlboard.analytics.velocity import (
    AVERAGE_SPRINTS,
    CHART_SPRINTS,
    SprintVelocity,
    average_velocity,
    closed_sprints,
    velocity_chart,
)
from mlboard.domain import SprintState, StoryStatus
from mlboard.errors import UserError
from mlboard.services.experiments.story_signals import (
    OVER_BUDGET,
    sprint_compute,
)
from mlboard.services.planning import points as sprint_points
from mlboard.services.planning.plan_record import MemberLoad, Plan, plan_warnings
from mlboard.services.stories.fields import as_event_text
from mlboard.services.stories.lookup import find_sprint, find_story
from mlboard.services.stories.records import (
    StoryView,
    _between,
    _record,
    apply_changes,
    get_story,
    list_stories,
    rank_story,
)
from mlboard.services.team.members import availability
from mlboard.services.workspace import Workspace
from mlboard.store.tables import Member, Sprint, Story

FORECAST_SEED = 20_240_601  # fixed: the same board gives the same forecast
FORECAST_RUNS = 10_000


def planned_sprint(session: Session, name: str | None) -> Sprint:
    """The named sprint, else the active one, else the next future one."""
    if name:
        return find_sprint(session, name)
    sprints = session.exec(select(Sprint).where(Sprint.state != SprintState.CLOSED)).all()
    active = [s for s in sprints if s.state == SprintState.ACTIVE]
    future = sorted(
        (s for s in sprints if s.state == SprintState.FUTURE),
        key=lambda s: (s.start is None, s.start, s.id),
    )
    chosen = (active or future or [None])[0]
    if chosen is None:
        raise UserError("no sprint to plan: add one with `mlboard sprint add NAME`")
    return chosen


def _recent_closed(session: Session) -> tuple[list[SprintSpan], list[Sprint]]:
    """The last CHART_SPRINTS closed sprints, oldest close first, as spans and as rows."""
    rows = {
        s.name: s for s in session.exec(select(Sprint).where(Sprint.state == SprintState.CLOSED))
    }
    spans = closed_sprints(sprint_points.span(s) for s in rows.values())[-CHART_SPRINTS:]
    return spans, [rows[span.name] for span in spans]


def make_plan(ws: Workspace, sprint_name: str | None = None) -> Plan:
    today = ws.today()
    with ws.reading() as session:
        sprint = planned_sprint(session, sprint_name)
        start = sprint.start or today
        end = sprint.end or start + timedelta(days=13)
        spans, recent = _recent_closed(session)
        timelines = list(sprint_points.load_timelines(session, recent).values())
        committed = sprint_points.for_sprints(session, [sprint])[sprint.name].committed
        members = session.exec(select(Member).where(col(Member.active).is_(True))).all()
        done_at = session.exec(select(Story.done_at).where(col(Story.done_at).is_not(None))).all()
        name, state = sprint.name, sprint.state
        in_sprint = session.exec(select(Story).where(Story.sprint_id == sprint.id)).all()
        compute, signals = sprint_compute(session, in_sprint, ws.now(), ws.settings.plateau)
    stories = list_stories(ws, sprint=name)
    days_off = availability(ws, start, end)
    capacity = team_capacity(
        [
            CapacityMember(m.handle, m.points_per_day, days_off.members.get(m.handle, frozenset()))
            for m in members
        ],
        start,
        end,
        team_days_off=days_off.team,
    )
    scope = sum(s.points or 0 for s in stories)
    chart = velocity_chart(spans, timelines)
    averaged = spans[-AVERAGE_SPRINTS:]
    done = [item for span in averaged for item in sprint_flow(span, timelines, sprint_closed(span))]
    average = average_velocity(spans, timelines)
    remaining = sum(1 for s in stories if s.status != StoryStatus.DONE)
    throughput = daily_throughput(done_at, ws.now(), tz=ws.zone())
    forecast = forecast_when(
        throughput, remaining, max(today, start), runs=FORECAST_RUNS, seed=FORECAST_SEED
    )
    p_finish = 1.0 if remaining == 0 else forecast.p_finish_by(end)
    per_member = {row.handle: row.capacity for row in capacity.members}
    loads = [
        MemberLoad(
            handle,
            per_member.get(handle, 0.0),
            sum(s.points or 0 for s in stories if s.assignee == handle),
        )
        for handle in sorted(per_member)
    ]
    plan = Plan(
        sprint=name,
        state=state,
        start=start,
        end=end,
        capacity=capacity,
        scope_points=scope,
        committed_points=committed,
        stories=stories,
        velocity=chart,
        average_velocity=average,
        remaining=remaining,
        p50=forecast.p50,
        p85=forecast.p85,
        p95=forecast.p95,
        p_finish_sprint=p_finish,
        forecast_note=None if remaining == 0 else forecast.reason,
        loads=loads,
        flow=summarize_flow("all", done),
        flow_sprints=[span.name for span in averaged],
        compute=compute,
    )
    plan.warnings.extend(plan_warnings(plan))
    plan.story_warnings.extend(
        warning
        for story in plan.stories
        for warning in signals[story.key].warnings
        if story.status != StoryStatus.DONE or warning.kind == OVER_BUDGET
    )
    plan.warnings.extend(warning.message for warning in plan.story_warnings)
    from mlboard.services.data.status import data_blockers

    blocked = data_blockers(ws, [s.key for s in stories if s.status != StoryStatus.DONE])
    plan.warnings.extend(
        f"{key} is blocked by data: {'; '.join(reasons)}"
        for key, reasons in sorted(blocked.items())
    )
    return plan


# The Planning screen's own actions: choosing a sprint, moving stories in and out, re-ranking,
# and the charts of the chosen sprint.


@dataclass(frozen=True, slots=True)
class OpenSprint:
    """A sprint stories can still be planned into (no points: cheap to list on every paint)."""

    name: str
    state: str
    goal: str
    start: date | None
    end: date | None


def open_sprints(ws: Workspace) -> list[OpenSprint]:
    """The active sprint, then future ones by start date: the first is what `make_plan` plans
    when no sprint is named (the same order as `planned_sprint`)."""
    with ws.reading() as session:
        sprints = session.exec(select(Sprint).where(Sprint.state != SprintState.CLOSED)).all()
        ordered = sorted(
            sprints,
            key=lambda s: (
                s.state != SprintState.ACTIVE,
                s.start is None,
                s.start or date.min,
                s.id,
            ),
        )
        return [OpenSprint(s.name, s.state, s.goal, s.start, s.end) for s in ordered]


def plan_story(ws: Workspace, key: str, sprint: str | None) -> StoryView:
    """Move a story into `sprint`, or back to the backlog with `sprint=None`, in one transaction.

    Planning a story that is still in the backlog status makes it `todo` (as creating a story in a
    sprint does); taking an untouched `todo` story out makes it `backlog` again, so a move and its
    undo leave the story as it was. Its rank is kept: it appears in the sprint at its place in the
    backlog order, and returns there. Done stories stay where they were completed.
    """
    with ws.writing() as session:
        story = find_story(session, key)
        changes = {"sprint": sprint or ""}
        if sprint:
            target = find_sprint(session, sprint)
            if target.state == SprintState.CLOSED:
                raise UserError(f"sprint {sprint!r} is closed: plan into an open sprint")
            if story.sprint_id == target.id:
                raise UserError(f"{story.key} is already in {sprint}")
            if story.status == StoryStatus.BACKLOG:
                changes["status"] = StoryStatus.TODO.value
        else:
            if story.sprint_id is None:
                raise UserError(f"{story.key} is already in the backlog")
            if story.status == StoryStatus.DONE:
                raise UserError(f"{story.key} is done: it stays in the sprint that completed it")
            if story.status == StoryStatus.TODO:
                changes["status"] = StoryStatus.BACKLOG.value
        apply_changes(session, ws, story, changes, gated=True)
    return get_story(ws, key)


def rank_beside(ws: Workspace, key: str, anchor: str, *, before: bool) -> StoryView:
    """Put story `key` right before (or after) story `anchor` in the rank order.

    The same move as `rank_story(before=/after=)`, but it reads only the anchor's neighbour, not
    every story: one keypress on a backlog of thousands. When the ranks around the anchor leave no
    gap, it falls back to `rank_story`, which renumbers once.
    """
    with ws.writing() as session:
        story = find_story(session, key)
        other = find_story(session, anchor)
        if other.id == story.id:
            raise UserError(f"cannot rank {story.key} relative to itself")
        lower_than = or_(
            col(Story.rank) < other.rank,
            and_(col(Story.rank) == other.rank, col(Story.number) < other.number),
        )
        higher_than = or_(
            col(Story.rank) > other.rank,
            and_(col(Story.rank) == other.rank, col(Story.number) > other.number),
        )
        query = select(Story.rank).where(Story.id != story.id).limit(1)
        if before:
            query = query.where(lower_than).order_by(
                col(Story.rank).desc(), col(Story.number).desc()
            )
            near = session.exec(query).first()
            new_rank = _between(near, other.rank)
        else:
            query = query.where(higher_than).order_by(col(Story.rank), col(Story.number))
            near = session.exec(query).first()
            new_rank = _between(other.rank, near)
        if new_rank is not None:
            at = ws.now()
            _record(
                session, ws, story, "rank", as_event_text(story.rank), as_event_text(new_rank), at
            )
            story.rank = new_rank
            story.updated_at = at
            session.add(story)
    if new_rank is None:
        return rank_story(ws, key, before=anchor) if before else rank_story(ws, key, after=anchor)
    return get_story(ws, key)


@dataclass(frozen=True)
class SprintCharts:
    """What the Charts view draws: the sprint's burndown and burnup, and the team's velocity."""

    sprint: str
    state: str
    burndown: Burndown
    burnup: Burnup
    velocity: list[SprintVelocity]
    average_velocity: float | None


def sprint_charts(ws: Workspace, sprint_name: str | None = None) -> SprintCharts:
    """Burndown/burnup of the sprint (default: the one `make_plan` plans) until now, in the
    team's time zone, with team days off as non-working days; velocity of the last closed
    sprints (up to 7, as Jira shows)."""
    zone = ws.zone()
    with ws.reading() as session:
        sprint = planned_sprint(session, sprint_name)
        span = sprint_points.span(sprint)
        closed, recent = _recent_closed(session)
        timelines = list(sprint_points.load_timelines(session, [*recent, sprint]).values())
        name, state = sprint.name, sprint.state
    holidays = availability(ws, span.start, span.end).team
    chart = burndown(span, timelines, ws.now(), holidays=holidays, tz=zone)
    return SprintCharts(
        sprint=name,
        state=state,
        burndown=chart,
        burnup=burnup(chart),
        velocity=velocity_chart(closed, timelines),
        average_velocity=average_velocity(closed, timelines),
    )
