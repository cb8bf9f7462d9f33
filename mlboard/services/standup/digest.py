"""The daily standup digest: what changed since the last standup, per person and in the ML work.

The window runs from the previous working day's standup time (weekends skipped) to now, in the
team's local time; everything is stored in UTC. Each section of the digest is one function in
`SECTIONS`: it reads the window and returns its part, so a new kind of news (pipelines, alerts)
is one more function, not a change to the others. Items are reported in the window they
happened in, so nothing said yesterday is said again today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from mlboard.domain import StoryStatus
from mlboard.errors import UserError
from mlboard.services.standup.context import DigestContext, Section
from mlboard.services.standup.data_section import data_section
from mlboard.services.standup.ml_section import ml_section
from mlboard.services.standup.sprint_section import sprint_section
from mlboard.services.standup.window import Window, default_window, parse_since, standup_clock
from mlboard.services.workspace import Workspace
from mlboard.store.tables import Member, StandupNote, Story, StoryEvent

WORKFLOW = [status.value for status in StoryStatus]


def _moved_back(old: str | None, new: str | None) -> bool:
    if old not in WORKFLOW or new not in WORKFLOW:
        return False
    return WORKFLOW.index(new) < WORKFLOW.index(old)  # type: ignore[arg-type]


def people_section(ctx: DigestContext) -> tuple[str, Any]:
    """Per member: done, doing (days in status), blocked (reason), moved back, their note."""
    window, session = ctx.window, ctx.session
    changes = session.exec(
        select(StoryEvent)
        .where(
            StoryEvent.field == "status",
            col(StoryEvent.at) > window.since,
            col(StoryEvent.at) <= window.until,
        )
        .order_by(col(StoryEvent.at))
    ).all()
    # Only stories somebody is on now, or that moved in the window, can be news.
    stories = session.exec(
        select(Story).where(
            col(Story.assignee_id).is_not(None),
            or_(
                col(Story.status).in_((StoryStatus.IN_PROGRESS, StoryStatus.REVIEW)),
                col(Story.blocked).is_(True),
                col(Story.id).in_({c.story_id for c in changes}),
            ),
        )
    ).all()
    by_story = {story.id: story for story in stories}
    last_status = _last_status_change(session, [s.id for s in stories if s.id is not None])
    notes = {
        note.member_id: note
        for note in session.exec(
            select(StandupNote)
            .where(
                col(StandupNote.day) > window.since.astimezone(window.zone).date(),
                col(StandupNote.day) <= window.today,
            )
            .order_by(col(StandupNote.day))
        )
    }
    people = []
    for member in sorted(ctx.members.values(), key=lambda m: m.handle):
        own = [s for s in stories if s.assignee_id == member.id]
        done = sorted(
            {by_story[c.story_id].key for c in changes
             if c.new == StoryStatus.DONE and c.story_id in by_story
             and by_story[c.story_id].assignee_id == member.id}
        )  # fmt: skip
        moved_back = [
            {"story": by_story[c.story_id].key, "from": c.old, "to": c.new}
            for c in changes
            if c.story_id in by_story
            and by_story[c.story_id].assignee_id == member.id
            and _moved_back(c.old, c.new)
        ]
        doing = [
            {
                "story": s.key,
                "title": s.title,
                "status": s.status,
                "days_in_status": _days(last_status.get(s.id or 0, s.updated_at), window.until),
            }
            for s in own
            if s.status in (StoryStatus.IN_PROGRESS, StoryStatus.REVIEW)
        ]
        blocked = [{"story": s.key, "reason": s.blocked_reason} for s in own if s.blocked]
        note = notes.get(member.id)
        people.append(
            {
                "member": member.handle,
                "name": member.name,
                "done": done,
                "doing": doing,
                "blocked": blocked,
                "moved_back": moved_back,
                "note": (
                    {"yesterday": note.yesterday, "today": note.today, "blockers": note.blockers}
                    if note
                    else None
                ),
            }
        )
    return "people", people


def _last_status_change(session: Session, story_ids: list[int]) -> dict[int, datetime]:
    from sqlalchemy import func

    rows = session.exec(
        select(StoryEvent.story_id, func.max(StoryEvent.at))
        .where(col(StoryEvent.story_id).in_(story_ids), StoryEvent.field == "status")
        .group_by(col(StoryEvent.story_id))
    ).all()
    return dict(rows)


def _days(since: datetime, until: datetime) -> float:
    return round((until - since).total_seconds() / 86_400, 1)


SECTIONS: tuple[Section, ...] = (people_section, ml_section, sprint_section, data_section)


@dataclass(frozen=True)
class Digest:
    window: Window
    sections: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """Stable keys: since, until, people, ml, sprint (and later sections after them)."""
        return {
            "since": self.window.since.isoformat(),
            "until": self.window.until.isoformat(),
            **self.sections,
        }


def standup_digest(ws: Workspace, since: str | None = None) -> Digest:
    from mlboard.config import local_zone

    zone = local_zone(ws.settings.timezone)
    standup_at = standup_clock(ws.settings.standup_time)
    now = ws.now()
    window = (
        Window(
            parse_since(since, now, zone, standup_at).astimezone(zone), now.astimezone(zone), zone
        )
        if since
        else default_window(now.astimezone(zone), zone, standup_at)
    )
    if window.since >= window.until:
        raise UserError(f"--since {since!r} is not in the past")
    with ws.reading() as session:
        members = {
            m.id: m for m in session.exec(select(Member).where(col(Member.active).is_(True)))
        }
        ctx = DigestContext(session, window, ws, members)  # type: ignore[arg-type]
        return Digest(window, dict(section(ctx) for section in SECTIONS))


def write_note(
    ws: Workspace,
    handle: str,
    *,
    yesterday: str | None = None,
    today: str | None = None,
    blockers: str | None = None,
) -> None:
    """Record (or amend) a member's note for today's standup."""
    from mlboard.config import local_zone
    from mlboard.services.stories.lookup import find_member

    day = ws.now().astimezone(local_zone(ws.settings.timezone)).date()
    with ws.writing() as session:
        member = find_member(session, handle)
        note = session.exec(
            select(StandupNote).where(StandupNote.member_id == member.id, StandupNote.day == day)
        ).first() or StandupNote(member_id=member.id or 0, day=day, updated_at=ws.now())
        for name, value in (("yesterday", yesterday), ("today", today), ("blockers", blockers)):
            if value is not None:
                setattr(note, name, value.strip())
        note.updated_at = ws.now()
        session.add(note)
