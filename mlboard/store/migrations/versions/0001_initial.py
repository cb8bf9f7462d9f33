"""initial: members, sprints, stories and their events

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("email", sa.String(), nullable=False),
        sa.Column("points_per_day", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_member_handle"), ["handle"], unique=True)

    op.create_table(
        "sprint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("goal", sa.String(), nullable=False),
        sa.Column("start", sa.Date(), nullable=True),
        sa.Column("end", sa.Date(), nullable=True),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sprint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sprint_name"), ["name"], unique=True)

    op.create_table(
        "story",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("blocked", sa.Boolean(), nullable=False),
        sa.Column("blocked_reason", sa.String(), nullable=False),
        sa.Column("points", sa.Float(), nullable=True),
        sa.Column("estimate_low", sa.Float(), nullable=True),
        sa.Column("estimate_high", sa.Float(), nullable=True),
        sa.Column("timebox_days", sa.Float(), nullable=True),
        sa.Column("gpu_hours", sa.Float(), nullable=True),
        sa.Column("target", sa.String(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("sprint_id", sa.Integer(), nullable=True),
        sa.Column("rank", sa.Float(), nullable=False),
        sa.Column("sensitivity", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["member.id"],
        ),
        sa.ForeignKeyConstraint(
            ["sprint_id"],
            ["sprint.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("story", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_story_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_story_key"), ["key"], unique=True)
        batch_op.create_index(batch_op.f("ix_story_sprint_id"), ["sprint_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_story_status"), ["status"], unique=False)

    op.create_table(
        "storyevent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("field", sa.String(), nullable=False),
        sa.Column("old", sa.String(), nullable=True),
        sa.Column("new", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["story_id"], ["story.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("storyevent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_storyevent_at"), ["at"], unique=False)
        batch_op.create_index("ix_storyevent_story_at", ["story_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("storyevent", schema=None) as batch_op:
        batch_op.drop_index("ix_storyevent_story_at")
        batch_op.drop_index(batch_op.f("ix_storyevent_at"))

    op.drop_table("storyevent")
    with op.batch_alter_table("story", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_story_status"))
        batch_op.drop_index(batch_op.f("ix_story_sprint_id"))
        batch_op.drop_index(batch_op.f("ix_story_key"))
        batch_op.drop_index(batch_op.f("ix_story_assignee_id"))

    op.drop_table("story")
    with op.batch_alter_table("sprint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sprint_name"))

    op.drop_table("sprint")
    with op.batch_alter_table("member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_member_handle"))

    op.drop_table("member")
