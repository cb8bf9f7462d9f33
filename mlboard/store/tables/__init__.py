"""The tables. Each later feature adds its own tables through a new Alembic migration.

Importing this package declares every table on SQLModel's metadata, which Alembic's environment
and `migrations` compare with the revisions: a table module that is not imported here would be
missing from both. The tables are grouped by what they hold: the board (`board`), the mirror
of MLflow (`mlflow_mirror`), data and monitoring (`data`) and the audit trail (`audit_trail`);
everyone else imports them from here.

Times are stored as naive UTC and handed back as aware UTC (see `columns.UTCDateTime`): SQLite
has no time-zone type, and PostgreSQL's `timestamp` behaves the same way, so both stores agree.
Enumerated values (kind, status, sensitivity, state) are stored as their plain strings; the
services validate them with the enums of `mlboard.domain`.
"""

from __future__ import annotations

from mlboard.store.tables.audit_trail import AuditEntry
from mlboard.store.tables.board import (
    ChecklistItem,
    DayOff,
    Member,
    Sprint,
    StandupNote,
    Story,
    StoryEvent,
)
from mlboard.store.tables.columns import UTCDateTime
from mlboard.store.tables.data import (
    Alert,
    DriftReport,
    LineageEventSeen,
    Pipeline,
    PipelineRun,
    StoryPipeline,
)
from mlboard.store.tables.mlflow_mirror import (
    Dataset,
    MetricHistory,
    MetricPoint,
    ModelVersion,
    PendingTag,
    Run,
    RunDataset,
    StoryRun,
    SyncCursor,
)

__all__ = [
    "Alert",
    "AuditEntry",
    "ChecklistItem",
    "Dataset",
    "DayOff",
    "DriftReport",
    "LineageEventSeen",
    "Member",
    "MetricHistory",
    "MetricPoint",
    "ModelVersion",
    "PendingTag",
    "Pipeline",
    "PipelineRun",
    "Run",
    "RunDataset",
    "Sprint",
    "StandupNote",
    "Story",
    "StoryEvent",
    "StoryPipeline",
    "StoryRun",
    "SyncCursor",
    "UTCDateTime",
]
