"""days off

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dayoff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("member_id", "day"),
    )
    with op.batch_alter_table("dayoff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dayoff_day"), ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dayoff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dayoff_day"))

    op.drop_table("dayoff")
