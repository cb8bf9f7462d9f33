"""The tables. Each later feature adds its own tables through a new Alembic migration.

Times are stored as naive UTC and handed back as aware UTC (see `UTCDateTime`): SQLite has no
time-zone type, and PostgreSQL's `timestamp` behaves the same way, so both stores agree.
Enumerated values (kind, status, sensitivity, state) are stored as their plain strings; the
services validate them with the enums of `mlboard.domain`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Store any aware datetime as naive UTC; read it back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"refusing to store a naive datetime: {value!r}")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _utc_column(*, nullable: bool = True, index: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable, index=index)


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


class AuditEntry(SQLModel, table=True):
    """One write to the board, append-only, chained: `hash` covers the entry and `prev_hash`.

    Editing or deleting an entry breaks the chain at that point, which `mlboard audit verify`
    reports. Entries are only ever inserted. `hash` is an HMAC with the team's audit key, whose
    fingerprint is `key_id` (entries written before keyed audit have none and a plain SHA-256);
    `row_id` is the id of the row written, so that the trail replays to the tables.
    """

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_utc_column(nullable=False, index=True))
    actor: str
    action: str
    entity: str = Field(index=True)
    key: str = Field(index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    prev_hash: str
    hash: str = Field(unique=True)
    key_id: str | None = None
    row_id: int | None = None
