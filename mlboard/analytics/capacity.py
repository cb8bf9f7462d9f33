"""Sprint capacity: how much work the team can take, from each member's daily capacity.

Definition follows Azure Boards' sprint capacity (Microsoft Learn, "Set sprint capacity"): a
member's capacity is capacity per day times their available days, where available days are the
sprint's working days minus the team's days off minus the member's own days off; a day off that
is both personal and team-wide, or falls on a non-working day, is subtracted once (or not at all).
Team capacity is the sum over members.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from mlboard.analytics.workdays import MON_FRI, WorkCalendar


@dataclass(frozen=True, slots=True)
class Member:
    """A team member: handle, capacity per working day (hours or points), personal days off."""

    handle: str
    per_day: float
    days_off: frozenset[date] = frozenset()


MemberLike = Member | tuple[str, float, Collection[date]]


@dataclass(frozen=True, slots=True)
class MemberCapacity:
    handle: str
    per_day: float
    days_off: int  # own days off that removed a working day not already a team day off
    available_days: int
    capacity: float


@dataclass(frozen=True, slots=True)
class TeamCapacity:
    working_days: int  # working days in the sprint (weekdays), before any day off
    team_days_off: int  # of those, how many are team days off
    members: tuple[MemberCapacity, ...]
    total: float


@dataclass(frozen=True, slots=True)
class CapacitySummary:
    """Commitment set against capacity and against average velocity.

    load = commitment / capacity and velocity_load = commitment / average_velocity (None when the
    divisor is missing or 0). The capacity comparison only means something when per-day capacity
    is expressed in the commitment's unit (points per day).
    """

    commitment: float
    capacity: float
    average_velocity: float | None
    load: float | None
    velocity_load: float | None
    over_capacity: bool
    over_velocity: bool | None


def _member(member: MemberLike) -> Member:
    if isinstance(member, Member):
        return member
    handle, per_day, days_off = member
    return Member(handle, float(per_day), frozenset(days_off))


def available_days(
    start: date,
    end: date,
    *,
    team_days_off: Collection[date] = (),
    member_days_off: Collection[date] = (),
    weekdays: Collection[int] = MON_FRI,
) -> list[date]:
    """Working days from `start` to `end` (inclusive) that are neither a team nor a member day
    off: a set difference, so overlapping days off and days off on weekends count once/never."""
    calendar = WorkCalendar.of(weekdays, set(team_days_off) | set(member_days_off))
    return calendar.working_days(start, end)


def member_capacity(
    member: MemberLike,
    start: date,
    end: date,
    *,
    team_days_off: Collection[date] = (),
    weekdays: Collection[int] = MON_FRI,
) -> MemberCapacity:
    """capacity = per_day × (working days − team days off − member days off), Azure's rule."""
    who = _member(member)
    team_free = available_days(start, end, team_days_off=team_days_off, weekdays=weekdays)
    days = available_days(
        start, end, team_days_off=team_days_off, member_days_off=who.days_off, weekdays=weekdays
    )
    return MemberCapacity(
        handle=who.handle,
        per_day=who.per_day,
        days_off=len(team_free) - len(days),
        available_days=len(days),
        capacity=who.per_day * len(days),
    )


def team_capacity(
    members: Iterable[MemberLike],
    start: date,
    end: date,
    *,
    team_days_off: Collection[date] = (),
    weekdays: Collection[int] = MON_FRI,
) -> TeamCapacity:
    """Every member's capacity and their sum (Azure Boards' team capacity)."""
    rows = tuple(
        member_capacity(m, start, end, team_days_off=team_days_off, weekdays=weekdays)
        for m in members
    )
    working = WorkCalendar.of(weekdays).count(start, end)
    team_free = len(available_days(start, end, team_days_off=team_days_off, weekdays=weekdays))
    return TeamCapacity(
        working_days=working,
        team_days_off=working - team_free,
        members=rows,
        total=sum(row.capacity for row in rows),
    )


def _ratio(part: float, whole: float | None) -> float | None:
    return part / whole if whole else None


def capacity_summary(
    commitment: float, capacity: float | TeamCapacity, average_velocity: float | None
) -> CapacitySummary:
    """Compare the sprint's commitment with the team's capacity and its average velocity."""
    total = capacity.total if isinstance(capacity, TeamCapacity) else float(capacity)
    velocity_load = _ratio(commitment, average_velocity)
    return CapacitySummary(
        commitment=commitment,
        capacity=total,
        average_velocity=average_velocity,
        load=_ratio(commitment, total),
        velocity_load=velocity_load,
        over_capacity=commitment > total,
        over_velocity=None if average_velocity is None else commitment > average_velocity,
    )
