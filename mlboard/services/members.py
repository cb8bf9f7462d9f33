"""Team members: who can own stories, and how much they can take on per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlmodel import col, select

from mlboard.errors import UserError, quoted
from mlboard.services.handles import HANDLE_RULE, is_handle, typed_handle
from mlboard.services.stories import find_member
from mlboard.services.story_fields import FIELDS
from mlboard.services.workspace import Workspace
from mlboard.store.tables import DayOff, Member


@dataclass(frozen=True, slots=True)
class MemberView:
    handle: str
    name: str
    role: str
    email: str
    points_per_day: float
    active: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "handle": self.handle,
            "name": self.name,
            "role": self.role,
            "email": self.email,
            "points_per_day": self.points_per_day,
            "active": self.active,
        }


def _view(member: Member) -> MemberView:
    return MemberView(
        member.handle, member.name, member.role, member.email, member.points_per_day, member.active
    )


def add_member(
    ws: Workspace,
    handle: str,
    name: str | None = None,
    *,
    role: str = "",
    email: str = "",
    points_per_day: str = "1",
) -> MemberView:
    handle = typed_handle(handle)
    if not is_handle(handle):
        raise UserError(f"invalid handle {quoted(handle, 40)}: {HANDLE_RULE}")
    try:
        per_day = FIELDS["points"].parse(points_per_day)
    except ValueError as error:
        raise UserError(f"points per day: {error}") from None
    with ws.writing() as session:
        if session.exec(select(Member.id).where(Member.handle == handle)).first() is not None:
            raise UserError(f"member {handle} already exists")
        member = Member(
            handle=handle,
            name=(name or handle).strip() or handle,
            role=role.strip(),
            email=email.strip(),
            points_per_day=per_day if per_day is not None else 1.0,
            created_at=ws.now(),
        )
        session.add(member)
    return _view(member)


def list_members(ws: Workspace) -> list[MemberView]:
    with ws.reading() as session:
        return [_view(m) for m in session.exec(select(Member).order_by(col(Member.handle)))]


def set_days_off(
    ws: Workspace,
    handle: str | None,
    first: date,
    last: date | None = None,
    *,
    reason: str = "",
    remove: bool = False,
) -> int:
    """Mark (or unmark) days off for a member, or team-wide with `handle=None`.

    Weekends are included as given: capacity already ignores non-working days, so marking a
    holiday week end to end does no harm. Returns how many days changed.
    """
    last = last or first
    if last < first:
        raise UserError(f"days off: {last} is before {first}")
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    with ws.writing() as session:
        member_id = find_member(session, handle).id if handle else None
        existing = {
            off.day: off
            for off in session.exec(
                select(DayOff).where(
                    DayOff.member_id == member_id if member_id else col(DayOff.member_id).is_(None),
                    col(DayOff.day).in_(days),
                )
            )
        }
        if remove:
            for off in existing.values():
                session.delete(off)
            return len(existing)
        for day in days:
            if day not in existing:
                session.add(DayOff(member_id=member_id, day=day, reason=reason.strip()))
        return len(days) - len(existing)


@dataclass(frozen=True)
class Availability:
    team: frozenset[date]
    members: dict[str, frozenset[date]]


def availability(
    ws: Workspace, first: date | None = None, last: date | None = None
) -> Availability:
    """Days off between `first` and `last` (inclusive; open ends allowed)."""
    query = select(DayOff.day, Member.handle).outerjoin(
        Member, col(Member.id) == col(DayOff.member_id)
    )
    if first:
        query = query.where(col(DayOff.day) >= first)
    if last:
        query = query.where(col(DayOff.day) <= last)
    team: set[date] = set()
    members: dict[str, set[date]] = {}
    with ws.reading() as session:
        for day, handle in session.exec(query):
            if handle is None:
                team.add(day)
            else:
                members.setdefault(handle, set()).add(day)
    return Availability(frozenset(team), {h: frozenset(d) for h, d in members.items()})
