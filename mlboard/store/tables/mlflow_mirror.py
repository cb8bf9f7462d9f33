"""The mirror of MLflow: runs, their metric histories and datasets, registered model versions,
how far each tracking URI was read, and which runs are evidence for which story.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from mlboard.store.tables.columns import _utc_column


class SyncCursor(SQLModel, table=True):
    """How far the mirror of one MLflow tracking URI has read (run start and end times, in ms)."""

    id: int | None = Field(default=None, primary_key=True)
    tracking_uri: str = Field(unique=True)
    last_start_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    last_end_ms: int | None = Field(default=None, sa_column=Column(BigInteger))
    synced_at: datetime | None = Field(default=None, sa_column=_utc_column())


class Run(SQLModel, table=True):
    """The mirror of one MLflow run, as its tracking server last described it.

    Deleted runs are kept and marked, so links and history that mention them stay readable.
    Metrics hold the latest value of each metric; full histories are in MetricPoint, fetched
    only for the metrics that charts and checks need.
    """

    __table_args__ = (
        # "the newest finished runs of an experiment" (typical durations) without a table scan
        Index("ix_run_experiment_status_start", "experiment_id", "status", "start_time"),
    )

    id: int | None = Field(default=None, primary_key=True)
    run_id: str = Field(unique=True, index=True)
    tracking_uri: str = Field(index=True)
    experiment_id: str = Field(index=True)
    experiment_name: str = ""
    run_name: str = ""
    status: str = Field(index=True)
    user: str = ""
    start_time: datetime | None = Field(default=None, sa_column=_utc_column(index=True))
    end_time: datetime | None = Field(default=None, sa_column=_utc_column())
    deleted: bool = False
    parent_run_id: str | None = Field(default=None, index=True)
    params: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    tags: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    metrics: dict[str, float | None] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    synced_at: datetime = Field(sa_column=_utc_column(nullable=False))


class MetricHistory(SQLModel, table=True):
    """That the history of one metric of one run is cached, and for which state of the run."""

    __table_args__ = (UniqueConstraint("run_pk", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    run_pk: int = Field(
        sa_column=Column(Integer, ForeignKey("run.id", ondelete="CASCADE"), nullable=False)
    )
    key: str
    points: int = 0
    run_status: str = ""
    fetched_at: datetime = Field(sa_column=_utc_column(nullable=False))


class MetricPoint(SQLModel, table=True):
    """One logged value of a metric (NaN and infinities are stored as NULL)."""

    __table_args__ = (Index("ix_metricpoint_run_key", "run_pk", "key", "step"),)

    id: int | None = Field(default=None, primary_key=True)
    run_pk: int = Field(
        sa_column=Column(Integer, ForeignKey("run.id", ondelete="CASCADE"), nullable=False)
    )
    key: str
    step: int = Field(sa_column=Column(BigInteger, nullable=False))
    value: float | None = None
    timestamp_ms: int = Field(sa_column=Column(BigInteger, nullable=False))


class StoryRun(SQLModel, table=True):
    """A run counted as evidence for a story: by its `mlboard.story` tag or linked by hand.

    Unlinking keeps the row with `active` false, so the next sync does not link a tagged run
    again against the user's decision.
    """

    __table_args__ = (UniqueConstraint("story_id", "run_pk"),)

    id: int | None = Field(default=None, primary_key=True)
    story_id: int = Field(
        sa_column=Column(Integer, ForeignKey("story.id", ondelete="CASCADE"), nullable=False)
    )
    run_pk: int = Field(
        sa_column=Column(Integer, ForeignKey("run.id", ondelete="CASCADE"), nullable=False)
    )
    how: str
    active: bool = True
    actor: str = ""
    created_at: datetime = Field(sa_column=_utc_column(nullable=False))


class PendingTag(SQLModel, table=True):
    """A run's `mlboard.story` tag still to be written to MLflow (`story_key`), or removed (None).

    Linking commits the link and this row first and calls MLflow afterwards, outside any write
    transaction; a call that succeeds deletes the row, one that fails leaves it for the next
    sync of the run's tracking URI. One row per run: the latest wish is the one that counts.
    """

    __table_args__ = (UniqueConstraint("run_pk"),)

    id: int | None = Field(default=None, primary_key=True)
    run_pk: int = Field(
        sa_column=Column(Integer, ForeignKey("run.id", ondelete="CASCADE"), nullable=False)
    )
    story_key: str | None = None
    requested_at: datetime = Field(sa_column=_utc_column(nullable=False))


class ModelVersion(SQLModel, table=True):
    """A registered model version (MLflow registry) and the run it came from."""

    __table_args__ = (UniqueConstraint("tracking_uri", "name", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    tracking_uri: str
    name: str = Field(index=True)
    version: int
    status: str = ""
    run_id: str | None = Field(default=None, index=True)
    source: str = ""
    description: str = ""
    aliases: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime | None = Field(default=None, sa_column=_utc_column())
    updated_at: datetime | None = Field(default=None, sa_column=_utc_column())


class Dataset(SQLModel, table=True):
    """A dataset a run logged as input (MLflow `log_input`), with the label of its data."""

    __table_args__ = (UniqueConstraint("name", "digest"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    digest: str = ""
    source: str = ""
    source_type: str = ""
    sensitivity: str = "none"


class RunDataset(SQLModel, table=True):
    """That a run used a dataset (as training, evaluation... data: `context`)."""

    __table_args__ = (UniqueConstraint("run_pk", "dataset_id"),)

    id: int | None = Field(default=None, primary_key=True)
    run_pk: int = Field(
        sa_column=Column(Integer, ForeignKey("run.id", ondelete="CASCADE"), nullable=False)
    )
    dataset_id: int = Field(
        sa_column=Column(Integer, ForeignKey("dataset.id", ondelete="CASCADE"), nullable=False)
    )
    context: str = ""
