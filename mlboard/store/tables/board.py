"""The board's tables: members, sprints, stories with their history, days off, standup notes
and the Definition-of-Done items checked on stories.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from mlboard.store.tables.columns import _utc_column


class Member(SQLModel, table=True):
    """A person on the team. `handle` is what people type (`@ana`); `name` is what they read."""

    id: int | None = Field(default=None, primary_key=True)
    handle: str = Field(unique=True, index=True)
    name: str
    role: str = ""
    email: str = ""
    points_per_day: float = 1.0
    active: bool = True
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))


class Sprint(SQLModel, table=True):
    """A time box. `start`/`end` are the planned days (end inclusive); the `*_at` times are real."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    goal: str = ""
    start: date | None = None
    end: date | None = None
    state: str = "future"
    started_at: datetime | None = Field(default=None, sa_column=_utc_column())
    closed_at: datetime | None = Field(default=None, sa_column=_utc_column())
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))


class Story(SQLModel, table=True):
    """A unit of ML work, with the estimates and goals that make ML work plannable."""

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True)
    number: int
    title: str
    description: str = ""
    kind: str
    status: str = Field(index=True)
    blocked: bool = False
    blocked_reason: str = ""
    points: float | None = None
    estimate_low: float | None = None
    estimate_high: float | None = None
    timebox_days: float | None = None
    gpu_hours: float | None = None
    target: str | None = None
    assignee_id: int | None = Field(default=None, foreign_key="member.id", index=True)
    sprint_id: int | None = Field(default=None, foreign_key="sprint.id", index=True)
    rank: float = 0.0
    sensitivity: str = "none"
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))
    updated_at: datetime = Field(sa_column=_utc_column(nullable=False))
    started_at: datetime | None = Field(default=None, sa_column=_utc_column())
    done_at: datetime | None = Field(default=None, sa_column=_utc_column())


class StoryEvent(SQLModel, table=True):
    """One change to one field of a story: the history that burndown, standup and audit read.

    Creating a story writes a single `created` event; every later change writes one event per
    field with the old and new values as text (sprint and assignee by name, as people read them).
    """

    __table_args__ = (Index("ix_storyevent_story_at", "story_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    story_id: int = Field(
        sa_column=Column(Integer, ForeignKey("story.id", ondelete="CASCADE"), nullable=False)
    )
    at: datetime = Field(sa_column=_utc_column(nullable=False, index=True))
    actor: str
    field: str
    old: str | None = None
    new: str | None = None


class DayOff(SQLModel, table=True):
    """A day a member is away (or, with no member, a team-wide holiday): capacity reads these."""

    __table_args__ = (UniqueConstraint("member_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=True),
    )
    day: date = Field(index=True)
    reason: str = ""


class StandupNote(SQLModel, table=True):
    """What a member says at the standup of one day: yesterday, today, blockers."""

    __table_args__ = (UniqueConstraint("member_id", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("member.id", ondelete="CASCADE"), nullable=False)
    )
    day: date = Field(index=True)
    yesterday: str = ""
    today: str = ""
    blockers: str = ""
    updated_at: datetime = Field(sa_column=_utc_column(nullable=False))


class ChecklistItem(SQLModel, table=True):
    """One Definition-of-Done item checked on a story: who, when, and the evidence."""

    __table_args__ = (UniqueConstraint("story_id", "item"),)

    id: int | None = Field(default=None, primary_key=True)
    story_id: int = Field(
        sa_column=Column(Integer, ForeignKey("story.id", ondelete="CASCADE"), nullable=False)
    )
    item: str
    actor: str
    at: datetime = Field(sa_column=_utc_column(nullable=False))
    note: str = ""
    link: str = ""
