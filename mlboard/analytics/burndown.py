"""Sprint burndown and burnup: remaining, scope and completed points per day, plus the ideal line.

Definitions follow Jira's sprint burndown chart (Atlassian, "View and understand the burndown
chart"): the guideline runs from the commitment at sprint start to zero at sprint end and stays
flat on non-working days; scope changes after the start are listed with their effect in points.
The burnup chart (Jira's "burnup report") draws the same scope and completed values as two lines.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from mlboard.analytics.history import (
    SprintSpan,
    StoryTimeline,
    sprint_members,
    sprint_points,
    sprint_started,
)
from mlboard.analytics.workdays import MON_FRI, WorkCalendar, date_range

ADDED, REMOVED, RE_ESTIMATED = "added", "removed", "re-estimated"
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class BurndownDay:
    """Values at the end of `day`; scope/completed/remaining are None for days after `now`."""

    day: date
    working: bool
    ideal: float
    scope: float | None
    completed: float | None
    remaining: float | None


@dataclass(frozen=True, slots=True)
class ScopeChange:
    """A change of the sprint's scope after it started: `delta` points, and why."""

    day: date
    story: str
    delta: float
    reason: str  # ADDED, REMOVED or RE_ESTIMATED
    at: datetime


@dataclass(frozen=True, slots=True)
class Burndown:
    sprint: str
    committed: float
    days: tuple[BurndownDay, ...]
    scope_changes: tuple[ScopeChange, ...]


@dataclass(frozen=True, slots=True)
class Burnup:
    sprint: str
    days: tuple[date, ...]
    scope: tuple[float | None, ...]
    completed: tuple[float | None, ...]


def ideal_line(committed: float, days: list[date], calendar: WorkCalendar) -> list[float]:
    """Ideal remaining at the end of each day: committed * (1 - w/W), where w counts the working
    days up to and including that day and W the working days of the sprint. A non-working day
    does not advance w, so the line is flat over weekends and holidays. With no working day at
    all the line holds `committed` and drops to 0 on the last day."""
    total = sum(calendar.is_working(day) for day in days)
    line: list[float] = []
    worked = 0
    for index, day in enumerate(days):
        worked += calendar.is_working(day)
        if total:
            line.append(committed * (1 - worked / total))
        else:
            line.append(0.0 if index == len(days) - 1 else committed)
    return line


def _observed_until(sprint: SprintSpan, now: datetime) -> datetime:
    """The last instant the chart reads: `now`, or just before the close if the sprint closed
    (so that a close which moves unfinished stories out is not drawn as removed scope)."""
    if sprint.closed_at is not None:
        return min(now, sprint.closed_at - _TICK)
    return now


def scope_changes(
    sprint: SprintSpan,
    timelines: Iterable[StoryTimeline],
    until: datetime,
    *,
    tz: tzinfo = UTC,
) -> list[ScopeChange]:
    """Every change of the sprint's points after its start and at or before `until`.

    At each instant a story's sprint, points or existence changes, its contribution (points if in
    the sprint, else 0; unestimated = 0) is compared with the one before: entering the sprint
    (including being created in it) is `added` (+points), leaving is `removed` (-points), a new
    estimate while in the sprint is `re-estimated` (new - old). Changes worth 0 points are kept
    for additions and removals (an unestimated story still changes the scope's content).
    Consequently scope(t) = committed + sum of deltas up to t.
    """
    started = sprint_started(sprint)
    found: list[ScopeChange] = []
    for tl in sprint_members(timelines, sprint.name):
        moments = {c.at for field in ("sprint", "points") for c in tl.changes(field)}
        moments.add(tl.created_at)
        was_in = tl.value_at("sprint", started) == sprint.name
        was_points = tl.points_at(started)
        for at in sorted(m for m in moments if started < m <= until):
            is_in = tl.value_at("sprint", at) == sprint.name
            points = tl.points_at(at)
            day = at.astimezone(tz).date()
            if is_in and not was_in:
                found.append(ScopeChange(day, tl.key, points, ADDED, at))
            elif was_in and not is_in:
                found.append(ScopeChange(day, tl.key, -was_points, REMOVED, at))
            elif is_in and points != was_points:
                found.append(ScopeChange(day, tl.key, points - was_points, RE_ESTIMATED, at))
            was_in, was_points = is_in, points
    found.sort(key=lambda change: (change.at, change.story))
    return found


def burndown(
    sprint: SprintSpan,
    timelines: Iterable[StoryTimeline],
    now: datetime,
    *,
    weekdays: Collection[int] = MON_FRI,
    holidays: Collection[date] = (),
    tz: tzinfo = UTC,
) -> Burndown:
    """The sprint's burndown from `sprint.start` to `sprint.end` (inclusive), one row per day.

    committed: points at the sprint's start of the stories then in it (as in velocity).
    scope (end of day d): points of the stories in the sprint at that moment;
    completed: points of those among them whose status is done;
    remaining = scope - completed. "End of day" is the last instant of d in `tz`, but never later
    than `now`, and read just before the sprint's close (so a close that moves unfinished stories
    out is not drawn as removed scope); days after `now` (in `tz`) have no actual values (None).
    ideal: see `ideal_line`; working days are `weekdays` (0 = Monday) minus `holidays`.
    """
    members = sprint_members(timelines, sprint.name)
    calendar = WorkCalendar.of(weekdays, holidays)
    started = sprint_started(sprint)
    committed = sprint_points(members, sprint.name, started)
    days = list(date_range(sprint.start, sprint.end))
    ideal = ideal_line(committed, days, calendar)
    until = _observed_until(sprint, now)
    today = now.astimezone(tz).date()
    rows: list[BurndownDay] = []
    for day, guide in zip(days, ideal, strict=True):
        working = calendar.is_working(day)
        if day > today:
            rows.append(BurndownDay(day, working, guide, None, None, None))
            continue
        moment = min(datetime.combine(day, time.max, tzinfo=tz), until)
        scope = sprint_points(members, sprint.name, moment)
        completed = sprint_points(members, sprint.name, moment, done_only=True)
        rows.append(BurndownDay(day, working, guide, scope, completed, scope - completed))
    last_moment = min(datetime.combine(sprint.end, time.max, tzinfo=tz), until)
    changes = scope_changes(sprint, members, last_moment, tz=tz)
    return Burndown(sprint.name, committed, tuple(rows), tuple(changes))


def burnup(chart: Burndown) -> Burnup:
    """The burnup lines of a burndown: total scope and completed points per day."""
    return Burnup(
        chart.sprint,
        tuple(row.day for row in chart.days),
        tuple(row.scope for row in chart.days),
        tuple(row.completed for row in chart.days),
    )
