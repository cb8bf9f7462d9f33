"""standup notes

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "standupnote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("yesterday", sa.String(), nullable=False),
        sa.Column("today", sa.String(), nullable=False),
        sa.Column("blockers", sa.String(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("member_id", "day"),
    )
    with op.batch_alter_table("standupnote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_standupnote_day"), ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("standupnote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_standupnote_day"))

    op.drop_table("standupnote")
