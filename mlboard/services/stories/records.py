"""Stories: create, edit, move, rank, read. Every change writes its StoryEvents in the same
transaction, so history can never disagree with the story itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from mlboard.domain import StoryStatus, parse_target
from mlboard.errors import UserError
from mlboard.services.stories.fields import FIELDS, as_event_text, parse_field
from mlboard.services.stories.lookup import find_member, find_sprint, find_story
from mlboard.services.stories.view import StoryView
from mlboard.services.workspace import Workspace
from mlboard.store.tables import Member, Sprint, Story, StoryEvent


@dataclass(frozen=True, slots=True)
class EventView:
    at: datetime
    actor: str
    field: str
    old: str | None
    new: str | None


def _view(story: Story, member: Member | None, sprint: Sprint | None, events: int) -> StoryView:
    return StoryView(
        key=story.key,
        title=story.title,
        description=story.description,
        kind=story.kind,
        status=story.status,
        blocked=story.blocked,
        blocked_reason=story.blocked_reason,
        points=story.points,
        estimate_low=story.estimate_low,
        estimate_high=story.estimate_high,
        timebox_days=story.timebox_days,
        gpu_hours=story.gpu_hours,
        target=parse_target(story.target) if story.target else None,
        assignee=member.handle if member else None,
        assignee_name=member.name if member else None,
        sprint=sprint.name if sprint else None,
        rank=story.rank,
        sensitivity=story.sensitivity,
        created_at=story.created_at,
        updated_at=story.updated_at,
        started_at=story.started_at,
        done_at=story.done_at,
        events=events,
    )


# Backlog order; the id settles ties, so every read (`sqlite_reads` too) lists them alike.
STORY_ORDER = (col(Story.rank), col(Story.number), col(Story.id))


def _story_query():  # type: ignore[no-untyped-def]
    counts = (
        select(StoryEvent.story_id, func.count().label("events"))
        .group_by(col(StoryEvent.story_id))
        .subquery()
    )
    return (
        select(Story, Member, Sprint, func.coalesce(counts.c.events, 0))
        .outerjoin(Member, col(Story.assignee_id) == col(Member.id))
        .outerjoin(Sprint, col(Story.sprint_id) == col(Sprint.id))
        .outerjoin(counts, counts.c.story_id == col(Story.id))
    )


def get_story(ws: Workspace, key: str) -> StoryView:
    with ws.reading() as session:
        story = find_story(session, key)
        row = session.exec(_story_query().where(Story.id == story.id)).one()
        return _view(*row)


def list_stories(
    ws: Workspace,
    *,
    sprint: str | None = None,
    backlog: bool = False,
    status: str | None = None,
    assignee: str | None = None,
    kind: str | None = None,
) -> list[StoryView]:
    """Stories in rank order, optionally narrowed; `backlog=True` means "in no sprint"."""
    query = _story_query()
    with ws.reading() as session:
        if sprint is not None:
            query = query.where(Story.sprint_id == find_sprint(session, sprint).id)
        if backlog:
            query = query.where(col(Story.sprint_id).is_(None))
        if status is not None:
            query = query.where(Story.status == parse_field("status", status))
        if assignee is not None:
            query = query.where(Story.assignee_id == find_member(session, assignee).id)
        if kind is not None:
            query = query.where(Story.kind == parse_field("kind", kind))
        rows = session.exec(query.order_by(*STORY_ORDER)).all()
        return [_view(*row) for row in rows]


def story_history(ws: Workspace, key: str) -> list[EventView]:
    with ws.reading() as session:
        story = find_story(session, key)
        events = session.exec(
            select(StoryEvent)
            .where(StoryEvent.story_id == story.id)
            .order_by(col(StoryEvent.at), col(StoryEvent.id))
        ).all()
        return [EventView(e.at, e.actor, e.field, e.old, e.new) for e in events]


def _next_number(session: Session, prefix: str) -> int:
    highest = session.exec(
        select(func.max(Story.number)).where(col(Story.key).startswith(f"{prefix}-"))
    ).one()
    return (highest or 0) + 1


def _bottom_rank(session: Session) -> float:
    return (session.exec(select(func.max(Story.rank))).one() or 0.0) + 1.0


def create_story(
    ws: Workspace,
    title: str,
    fields: Mapping[str, str] | None = None,
    *,
    key: str | None = None,
    created_at: datetime | None = None,
) -> StoryView:
    """Create a story from user text; `key` and `created_at` are for importers keeping theirs."""
    with ws.writing() as session:
        story = add_story(session, ws, title, fields or {}, key=key, created_at=created_at)
        story_key = story.key
    return get_story(ws, story_key)


def add_story(
    session: Session,
    ws: Workspace,
    title: str,
    fields: Mapping[str, str],
    *,
    key: str | None = None,
    created_at: datetime | None = None,
) -> Story:
    """Create within the caller's transaction: one `created` event, no per-field events."""
    at = created_at or ws.now()
    if key is None:
        number = _next_number(session, ws.settings.key_prefix)
        key = f"{ws.settings.key_prefix}-{number}"
    else:
        number = int(key.rsplit("-", 1)[1])
        if session.exec(select(Story.id).where(Story.key == key)).first() is not None:
            raise UserError(f"story {key} already exists")
    story = Story(
        key=key,
        number=number,
        title=parse_field("title", title),
        kind="experiment",
        status=StoryStatus.BACKLOG.value,
        rank=_bottom_rank(session),
        created_at=at,
        updated_at=at,
    )
    if "sprint" in fields and "status" not in fields and fields["sprint"].strip():
        story.status = StoryStatus.TODO.value
    for field, text in fields.items():
        _assign(session, story, field, parse_field(field, text), at)
    _check_estimate_range(story)
    session.add(story)
    session.flush()
    session.add(StoryEvent(story_id=story.id, at=at, actor=ws.actor, field="created"))
    return story


def edit_story(
    ws: Workspace, key: str, changes: Mapping[str, str], *, at: datetime | None = None
) -> StoryView:
    """Apply text changes to a story; unchanged values write no event."""
    with ws.writing() as session:
        story = find_story(session, key)
        apply_changes(session, ws, story, changes, at=at, gated=True)
    return get_story(ws, key)


def apply_changes(
    session: Session,
    ws: Workspace,
    story: Story,
    changes: Mapping[str, str],
    *,
    at: datetime | None = None,
    gated: bool = False,
) -> int:
    """Change fields inside the caller's transaction; return how many actually changed.

    `gated` checks the Definition-of-Done gates when the story moves to done, on the story as
    changed (so one edit may set the assignee and move). People's moves are gated; replays of
    history recorded elsewhere (Jira import, the sample team) are not.
    """
    at = at or ws.now()
    parsed = {field: parse_field(field, text) for field, text in changes.items()}
    was_done = story.status == StoryStatus.DONE
    written = 0
    for field, value in parsed.items():
        before = _event_value(session, story, field)
        _assign(session, story, field, value, at)
        after = _event_value(session, story, field)
        if before != after:
            _record(session, ws, story, field, before, after, at)
            written += 1
    _check_estimate_range(story)
    if gated and not was_done and story.status == StoryStatus.DONE:
        from mlboard.services.governance.gates import refuse_unmet_gates

        refuse_unmet_gates(session, ws, story)
    if written:
        story.updated_at = at
        session.add(story)
    return written


def move_story(ws: Workspace, key: str, status: str) -> StoryView:
    return edit_story(ws, key, {"status": status})


def step_story(ws: Workspace, key: str, offset: int) -> StoryView:
    """Move a story `offset` columns along the workflow (the board's next/previous keys)."""
    with ws.writing() as session:
        story = find_story(session, key)
        target = StoryStatus(story.status).step(offset)
        if target is None:
            edge = "last" if offset > 0 else "first"
            raise UserError(f"{story.key} is already in the {edge} status ({story.status})")
        apply_changes(session, ws, story, {"status": target.value}, gated=True)
    return get_story(ws, key)


def _record(
    session: Session,
    ws: Workspace,
    story: Story,
    field: str,
    old: str | None,
    new: str | None,
    at: datetime,
) -> None:
    """Write one history entry, in the caller's transaction."""
    session.add(StoryEvent(story_id=story.id, at=at, actor=ws.actor, field=field, old=old, new=new))


def _event_value(session: Session, story: Story, field: str) -> str | None:
    """The field's current value, as history writes it (names, not ids)."""
    if field == "assignee":
        member = session.get(Member, story.assignee_id) if story.assignee_id else None
        return member.handle if member else None
    if field == "sprint":
        sprint = session.get(Sprint, story.sprint_id) if story.sprint_id else None
        return sprint.name if sprint else None
    return as_event_text(getattr(story, FIELDS[field].column))


def _assign(session: Session, story: Story, field: str, value: Any, at: datetime) -> None:
    match field:
        case "assignee":
            story.assignee_id = find_member(session, value).id if value else None
        case "sprint":
            story.sprint_id = find_sprint(session, value).id if value else None
        case "blocked":
            story.blocked = value is not None
            story.blocked_reason = value or ""
        case "status":
            _set_status(story, value, at)
        case _:
            setattr(story, FIELDS[field].column, value)


def _set_status(story: Story, status: str, at: datetime) -> None:
    """Keep the dates that cycle time reads: first start, and done (cleared when reopened)."""
    if status == story.status:
        return
    story.status = status
    if status == StoryStatus.IN_PROGRESS and story.started_at is None:
        story.started_at = at
    story.done_at = at if status == StoryStatus.DONE else None


def _check_estimate_range(story: Story) -> None:
    low, high = story.estimate_low, story.estimate_high
    if low is not None and high is not None and low > high:
        raise UserError(f"estimate: low ({low:g}) is above high ({high:g})")


def rank_story(
    ws: Workspace,
    key: str,
    *,
    before: str | None = None,
    after: str | None = None,
    top: bool = False,
    bottom: bool = False,
) -> StoryView:
    """Place a story in the backlog order: at the top, the bottom, or next to another story.

    Ranks are floats: a move takes the midpoint of its new neighbours, so one event and one row
    change. When repeated moves exhaust a gap's precision, every rank is renumbered once.
    """
    if sum((before is not None, after is not None, top, bottom)) != 1:
        raise UserError("say where: exactly one of --top, --bottom, --before KEY, --after KEY")
    with ws.writing() as session:
        story = find_story(session, key)
        ordered = list(session.exec(select(Story).order_by(col(Story.rank), col(Story.number))))
        ordered.remove(story)
        if top:
            index = 0
        elif bottom:
            index = len(ordered)
        else:
            anchor = find_story(session, before or after or "")
            if anchor.id == story.id:
                raise UserError(f"cannot rank {story.key} relative to itself")
            index = ordered.index(anchor) + (0 if before else 1)
        lower = ordered[index - 1].rank if index > 0 else None
        upper = ordered[index].rank if index < len(ordered) else None
        new_rank = _between(lower, upper)
        if new_rank is None:
            for position, other in enumerate(ordered):
                other.rank = float(position if position < index else position + 1)
                session.add(other)
            new_rank = float(index)
        old = as_event_text(story.rank)
        story.rank = new_rank
        at = ws.now()
        story.updated_at = at
        session.add(story)
        _record(session, ws, story, "rank", old, as_event_text(new_rank), at)
    return get_story(ws, key)


def _between(lower: float | None, upper: float | None) -> float | None:
    """A rank strictly between two neighbours (None = open end), or None if none is left."""
    if lower is None and upper is None:
        return 0.0
    if lower is None:
        return upper - 1.0  # type: ignore[operator]
    if upper is None:
        return lower + 1.0
    middle = (lower + upper) / 2
    return middle if lower < middle < upper else None
