"""Finding one story, member or sprint by what people type, or saying in one line that none is.

Every capability looks things up by key, handle or name; this module needs nothing above the
store, so any service may use it without importing another capability's module.
"""

from __future__ import annotations

from sqlmodel import Session, select

from mlboard.errors import UserError
from mlboard.services.team.handles import typed_handle
from mlboard.store.tables import Member, Sprint, Story


def find_story(session: Session, key: str) -> Story:
    story = session.exec(select(Story).where(Story.key == key.strip().upper())).first()
    if story is None:
        raise UserError(f"story {key} not found")
    return story


def find_member(session: Session, handle: str) -> Member:
    member = session.exec(select(Member).where(Member.handle == typed_handle(handle))).first()
    if member is None:
        raise UserError(f"member {handle} not found (add them with: mlboard member add)")
    return member


def find_sprint(session: Session, name: str) -> Sprint:
    sprint = session.exec(select(Sprint).where(Sprint.name == name)).first()
    if sprint is None:
        raise UserError(f"sprint {name!r} not found")
    return sprint
