"""pipelines, lineage events, data dependencies, drift reports, alerts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "driftreport",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("model_name", sa.String(), nullable=True),
        sa.Column("reference", sa.String(), nullable=False),
        sa.Column("current", sa.String(), nullable=False),
        sa.Column("drift_share", sa.Float(), nullable=False),
        sa.Column("dataset_drift", sa.Boolean(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("mlflow_run_id", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("driftreport", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_driftreport_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_driftreport_model_name"), ["model_name"], unique=False)

    op.create_table(
        "lineageeventseen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("event_type", sa.String(), nullable=False),
        sa.Column("event_time", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "event_type", "event_time"),
    )
    op.create_table(
        "pipeline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("namespace", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("owner", sa.String(), nullable=False),
        sa.Column("freshness_sla_hours", sa.Float(), nullable=True),
        sa.Column("sensitivity", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("namespace", "name"),
    )
    with op.batch_alter_table("pipeline", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pipeline_name"), ["name"], unique=False)

    op.create_table(
        "pipelinerun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pipeline_id", sa.Integer(), nullable=False),
        sa.Column("external_run_id", sa.String(), nullable=False),
        sa.Column("parent_run_id", sa.String(), nullable=True),
        sa.Column("state", sa.String(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("last_event_at", sa.DateTime(), nullable=True),
        sa.Column("rows_out", sa.BigInteger(), nullable=True),
        sa.Column("error_message", sa.String(), nullable=True),
        sa.Column("facets", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["pipeline_id"], ["pipeline.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("pipelinerun", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pipelinerun_external_run_id"), ["external_run_id"], unique=True
        )
        batch_op.create_index(
            batch_op.f("ix_pipelinerun_parent_run_id"), ["parent_run_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_pipelinerun_started_at"), ["started_at"], unique=False)

    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("problem", sa.String(), nullable=False),
        sa.Column("subject", sa.String(), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.String(), nullable=True),
        sa.Column("story_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["story_id"], ["story.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_problem"), ["problem"], unique=False)

    op.create_table(
        "storypipeline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("pipeline_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["pipeline_id"], ["pipeline.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["story_id"], ["story.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("story_id", "pipeline_id"),
    )


def downgrade() -> None:
    op.drop_table("storypipeline")
    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_problem"))
        batch_op.drop_index(batch_op.f("ix_alert_kind"))

    op.drop_table("alert")
    with op.batch_alter_table("pipelinerun", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pipelinerun_started_at"))
        batch_op.drop_index(batch_op.f("ix_pipelinerun_parent_run_id"))
        batch_op.drop_index(batch_op.f("ix_pipelinerun_external_run_id"))

    op.drop_table("pipelinerun")
    with op.batch_alter_table("pipeline", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pipeline_name"))

    op.drop_table("pipeline")
    op.drop_table("lineageeventseen")
    with op.batch_alter_table("driftreport", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_driftreport_model_name"))
        batch_op.drop_index(batch_op.f("ix_driftreport_created_at"))

    op.drop_table("driftreport")
