"""Data and monitoring: pipelines and their runs (with the OpenLineage events already applied),
stories' data dependencies, drift reports and alerts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from mlboard.store.tables.columns import _utc_column


class Pipeline(SQLModel, table=True):
    """A data pipeline (an OpenLineage job): its owner, freshness promise and data label."""

    __table_args__ = (UniqueConstraint("namespace", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    namespace: str
    name: str = Field(index=True)
    owner: str = ""
    freshness_sla_hours: float | None = None
    sensitivity: str = "none"
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))


class PipelineRun(SQLModel, table=True):
    """One run of a pipeline, as its events (or a `pipeline record`) described it."""

    id: int | None = Field(default=None, primary_key=True)
    pipeline_id: int = Field(
        sa_column=Column(Integer, ForeignKey("pipeline.id", ondelete="CASCADE"), nullable=False)
    )
    external_run_id: str = Field(unique=True, index=True)
    parent_run_id: str | None = Field(default=None, index=True)
    state: str | None = None
    started_at: datetime | None = Field(default=None, sa_column=_utc_column(index=True))
    ended_at: datetime | None = Field(default=None, sa_column=_utc_column())
    last_event_at: datetime | None = Field(default=None, sa_column=_utc_column())
    rows_out: int | None = Field(default=None, sa_column=Column(BigInteger))
    error_message: str | None = None
    facets: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class LineageEventSeen(SQLModel, table=True):
    """Events already applied, so that a repeated event changes nothing (idempotent ingest)."""

    __table_args__ = (UniqueConstraint("run_id", "event_type", "event_time"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: str
    event_type: str
    event_time: datetime = Field(sa_column=_utc_column(nullable=False))


class StoryPipeline(SQLModel, table=True):
    """A story's data dependency: a failed or stale pipeline blocks it by data."""

    __table_args__ = (UniqueConstraint("story_id", "pipeline_id"),)

    id: int | None = Field(default=None, primary_key=True)
    story_id: int = Field(
        sa_column=Column(Integer, ForeignKey("story.id", ondelete="CASCADE"), nullable=False)
    )
    pipeline_id: int = Field(
        sa_column=Column(Integer, ForeignKey("pipeline.id", ondelete="CASCADE"), nullable=False)
    )


class DriftReport(SQLModel, table=True):
    """The result of one drift check, kept for the Data screen, alerts and model cards."""

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(sa_column=_utc_column(nullable=False, index=True))
    actor: str = ""
    model_name: str | None = Field(default=None, index=True)
    reference: str
    current: str
    drift_share: float
    dataset_drift: bool
    columns: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    mlflow_run_id: str | None = None


class Alert(SQLModel, table=True):
    """A problem that monitoring found. `problem` identifies it: one open alert per problem.

    An alert resolves when its condition clears; it can open one story in the backlog.
    """

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(index=True)
    problem: str = Field(index=True)
    subject: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    opened_at: datetime = Field(sa_column=_utc_column(nullable=False))
    resolved_at: datetime | None = Field(default=None, sa_column=_utc_column())
    acknowledged_at: datetime | None = Field(default=None, sa_column=_utc_column())
    acknowledged_by: str | None = None
    story_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("story.id", ondelete="SET NULL"), nullable=True),
    )
