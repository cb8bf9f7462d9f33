"""Mirror MLflow tracking stores into the board: runs, story links and registered models.

Incremental and idempotent. Runs carry no "last updated" field and MLflow filters have no OR,
so each sync reads, per tracking URI:
  1. runs that started at or after the start-time cursor (new runs),
  2. runs that ended at or after the end-time cursor (runs that finished since),
  3. runs the mirror still holds as RUNNING (`attributes.run_id IN (...)`),
  4. deleted runs (`DELETED_ONLY`), to mark deletions and restorations,
then the registry's model versions, and last the `mlboard.story` tags a link could not write
(`retry_pending_tags`: network calls, made outside any write transaction). Every page of runs
is written in one transaction together with the cursor it advances, so a sync killed at any
point resumes where it stopped and ends with exactly the rows a clean sync gives. The datasets
a run logged (`mlflow.log_input`) come with the search results and are mirrored in the same
transaction as their run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from mlboard.integrations.mlflow_sync import (
    DELETED_ONLY,
    ModelVersionRecord,
    RunRecord,
    TrackingStore,
)
from mlboard.services.linking import retry_pending_tags
from mlboard.services.workspace import Workspace
from mlboard.store import audit
from mlboard.store.tables import (
    Dataset,
    ModelVersion,
    Run,
    RunDataset,
    Story,
    StoryEvent,
    StoryRun,
    SyncCursor,
)
from mlboard.wording import plural

Progress = Callable[[str], None]
_COMPARED = (
    "experiment_id",
    "experiment_name",
    "run_name",
    "status",
    "user",
    "start_time",
    "end_time",
    "deleted",
    "parent_run_id",
    "params",
    "tags",
    "metrics",
)


@dataclass
class SyncResult:
    """What one sync did; `as_json` is the stable shape of `mlboard sync --format json`."""

    tracking_uri: str
    runs_seen: int = 0
    runs_added: int = 0
    runs_updated: int = 0
    links_added: int = 0
    model_versions: int = 0
    tags_pending: int = 0  # link tags not yet written to MLflow after this sync's retry
    seen: set[str] = field(default_factory=set, repr=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "tracking_uri": self.tracking_uri,
            "runs_seen": self.runs_seen,
            "runs_added": self.runs_added,
            "runs_updated": self.runs_updated,
            "links_added": self.links_added,
            "model_versions": self.model_versions,
            "tags_pending": self.tags_pending,
        }


def to_datetime(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def _row(record: RunRecord, uri: str, now: datetime) -> dict[str, Any]:
    return {
        "run_id": record.run_id,
        "tracking_uri": uri,
        "experiment_id": record.experiment_id,
        "experiment_name": record.experiment_name,
        "run_name": record.run_name,
        "status": record.status,
        "user": record.user,
        "start_time": to_datetime(record.start_ms),
        "end_time": to_datetime(record.end_ms),
        "deleted": record.deleted,
        "parent_run_id": record.parent_run_id,
        "params": record.params,
        "tags": record.tags,
        "metrics": record.metrics,
        "synced_at": now,
    }


def sync(
    ws: Workspace,
    tracking_uri: str,
    *,
    progress: Progress | None = None,
    store: TrackingStore | None = None,
) -> SyncResult:
    """Bring the mirror of `tracking_uri` up to date; see the module docstring for how."""
    report = progress or (lambda _message: None)
    store = store or TrackingStore(tracking_uri)
    result = SyncResult(tracking_uri)
    cursor = _cursor(ws, tracking_uri)
    start_filter = (
        f"attributes.start_time >= {cursor.last_start_ms}" if cursor.last_start_ms else ""
    )
    report("reading new runs")
    for page in store.search(start_filter, order_by="attributes.start_time ASC"):
        _store_page(ws, result, page, advance="start")
        report(f"{plural(result.runs_seen, 'run')} read")
    if cursor.last_end_ms:
        report("reading finished runs")
        for page in store.search(
            f"attributes.end_time >= {cursor.last_end_ms}", order_by="attributes.end_time ASC"
        ):
            _store_page(ws, result, page, advance="end")
    running = _running_run_ids(ws, tracking_uri, exclude=result.seen)
    if running:
        report(f"checking {len(running)} running runs")
        for page in store.runs_by_id(running):
            _store_page(ws, result, page)
    report("checking deleted runs")
    deleted = [record for page in store.search("", view=DELETED_ONLY) for record in page]
    _mark_deletions(ws, result, deleted)
    report("reading the model registry")
    result.model_versions = _store_versions(ws, tracking_uri, store.model_versions())
    result.tags_pending = retry_pending_tags(ws, store)
    return result


def _cursor(ws: Workspace, uri: str) -> SyncCursor:
    with ws.writing() as session:
        cursor = session.exec(select(SyncCursor).where(SyncCursor.tracking_uri == uri)).first()
        if cursor is None:
            cursor = SyncCursor(tracking_uri=uri)
            session.add(cursor)
            session.flush()
        return cursor


def _running_run_ids(ws: Workspace, uri: str, *, exclude: set[str]) -> list[str]:
    with ws.reading() as session:
        ids = session.exec(
            select(Run.run_id).where(
                Run.tracking_uri == uri,
                col(Run.status).in_(("RUNNING", "SCHEDULED")),
                col(Run.deleted).is_(False),
            )
        ).all()
    return [run_id for run_id in ids if run_id not in exclude]


def _store_page(
    ws: Workspace, result: SyncResult, records: Sequence[RunRecord], *, advance: str | None = None
) -> None:
    """Upsert one page of runs, link tagged ones, and advance the cursor: one transaction."""
    fresh = [r for r in records if r.run_id not in result.seen]
    result.seen.update(r.run_id for r in records)
    result.runs_seen += len(fresh)
    now = ws.now()
    with ws.writing() as session:
        _upsert_runs(session, result, fresh, now)
        _store_datasets(session, fresh)
        result.links_added += _link_tagged(session, ws, fresh, now)
        if advance and records:
            _advance(session, result.tracking_uri, records, advance, now)


def _upsert_runs(
    session: Session, result: SyncResult, records: Sequence[RunRecord], now: datetime
) -> None:
    if not records:
        return
    existing = {
        run.run_id: run
        for run in session.exec(select(Run).where(col(Run.run_id).in_([r.run_id for r in records])))
    }
    added, changed = [], []
    for record in records:
        row = _row(record, result.tracking_uri, now)
        old = existing.get(record.run_id)
        if old is None:
            added.append(row)
        elif any(getattr(old, name) != row[name] for name in _COMPARED):
            changed.append({"id": old.id, **row})
    if added:
        session.connection().execute(insert(Run.__table__), added)
    if changed:
        session.execute(update(Run), changed)
    result.runs_added += len(added)
    result.runs_updated += len(changed)


def _store_datasets(session: Session, records: Sequence[RunRecord]) -> None:
    """Mirror the datasets runs logged, and which run used which (for what context).

    A dataset is one (name, digest): a new version of the data is a new row. An input's
    `mlboard.sensitivity` tag can only raise the dataset's label, never lower one a person set.
    """
    from mlboard.services.sensitivity import known_level, rank

    contexts: dict[tuple[str, str, str], set[str]] = {}
    for record in records:
        for used in record.inputs:
            key = (record.run_id, used.name, used.digest)
            contexts.setdefault(key, set()).update([used.context] if used.context else [])
    if not contexts:
        return
    datasets = {
        (row.name, row.digest): row
        for row in session.exec(
            select(Dataset).where(col(Dataset.name).in_({name for _, name, _ in contexts}))
        )
    }
    for record in records:
        for used in record.inputs:
            row = datasets.get((used.name, used.digest))
            if row is None:
                row = Dataset(name=used.name, digest=used.digest, source=used.source,
                              source_type=used.source_type)  # fmt: skip
                datasets[(used.name, used.digest)] = row
            label = known_level(used.sensitivity)
            if label and rank(label) > rank(row.sensitivity):
                row.sensitivity = label
            session.add(row)
    session.flush()
    runs = dict(
        session.exec(
            select(Run.run_id, Run.id).where(col(Run.run_id).in_({r for r, _, _ in contexts}))
        ).all()
    )
    existing = {
        (row.run_pk, row.dataset_id): row
        for row in session.exec(
            select(RunDataset).where(col(RunDataset.run_pk).in_(list(runs.values())))
        )
    }
    for (run_id, name, digest), used_as in contexts.items():
        run_pk, dataset_id = runs[run_id], datasets[(name, digest)].id
        context = ",".join(sorted(used_as))
        row = existing.get((run_pk, dataset_id))
        if row is None:
            session.add(RunDataset(run_pk=run_pk, dataset_id=dataset_id, context=context))
        elif row.context != context:
            row.context = context
            session.add(row)


def _link_tagged(
    session: Session, ws: Workspace, records: Iterable[RunRecord], now: datetime
) -> int:
    """Link runs whose `mlboard.story` tag names a story, unless a person unlinked them."""
    tagged = {r.run_id: r.story_key for r in records if r.story_key}
    if not tagged:
        return 0
    stories = dict(
        session.exec(
            select(Story.key, Story.id).where(col(Story.key).in_(set(tagged.values())))
        ).all()
    )
    runs = dict(
        session.exec(select(Run.run_id, Run.id).where(col(Run.run_id).in_(list(tagged)))).all()
    )
    linked = set(
        session.exec(
            select(StoryRun.story_id, StoryRun.run_pk).where(
                col(StoryRun.run_pk).in_(list(runs.values()))
            )
        ).all()
    )
    links, events = [], []
    for run_id, key in tagged.items():
        story_id, run_pk = stories.get(key or ""), runs.get(run_id)
        if story_id is None or run_pk is None or (story_id, run_pk) in linked:
            continue
        links.append(
            {"story_id": story_id, "run_pk": run_pk, "how": "tag", "active": True,
             "actor": ws.actor, "created_at": now}
        )  # fmt: skip
        events.append(
            {"story_id": story_id, "at": now, "actor": ws.actor, "field": "run", "old": None,
             "new": run_id}
        )  # fmt: skip
    audit.insert_audited(session, StoryRun, links)
    audit.insert_audited(session, StoryEvent, events)
    return len(links)


def _advance(
    session: Session, uri: str, records: Sequence[RunRecord], which: str, now: datetime
) -> None:
    cursor = session.exec(select(SyncCursor).where(SyncCursor.tracking_uri == uri)).one()
    if which == "start":
        latest = max((r.start_ms for r in records if r.start_ms is not None), default=None)
        if latest is not None:
            cursor.last_start_ms = max(latest, cursor.last_start_ms or 0)
    ended = max((r.end_ms for r in records if r.end_ms is not None), default=None)
    if ended is not None:
        cursor.last_end_ms = max(ended, cursor.last_end_ms or 0)
    cursor.synced_at = now
    session.add(cursor)


def _mark_deletions(ws: Workspace, result: SyncResult, deleted: Sequence[RunRecord]) -> None:
    """Mark runs deleted in MLflow; unmark mirrored deletions MLflow has restored."""
    deleted_ids = {r.run_id for r in deleted}
    with ws.writing() as session:
        marked = set(
            session.exec(
                select(Run.run_id).where(
                    Run.tracking_uri == result.tracking_uri, col(Run.deleted).is_(True)
                )
            ).all()
        )
        newly = deleted_ids - marked - result.seen
        restored = marked - deleted_ids - result.seen
    if newly:
        _store_page(ws, result, [r for r in deleted if r.run_id in newly])
    if restored:
        with ws.writing() as session:
            session.execute(update(Run).where(col(Run.run_id).in_(restored)).values(deleted=False))
        result.runs_updated += len(restored)


def _store_versions(ws: Workspace, uri: str, versions: Sequence[ModelVersionRecord]) -> int:
    """Replace the registry mirror of `uri` with what the registry says now."""
    with ws.writing() as session:
        existing = {
            (v.name, v.version): v
            for v in session.exec(select(ModelVersion).where(ModelVersion.tracking_uri == uri))
        }
        for record in versions:
            row = existing.pop((record.name, record.version), None) or ModelVersion(
                tracking_uri=uri, name=record.name, version=record.version
            )
            row.status = record.status
            row.run_id = record.run_id
            row.source = record.source
            row.description = record.description
            row.aliases = list(record.aliases)
            row.created_at = to_datetime(record.created_ms)
            row.updated_at = to_datetime(record.updated_ms)
            session.add(row)
        for gone in existing.values():
            session.delete(gone)
    return len(versions)
