"""One run in full, as `mlboard run show` prints it and the run view shows it.

`run_detail` reads only the board's mirror and history cache, so a view can show it at once;
the histories it lacks (`missing_histories`) are fetched by `metric_history.fetch_run_histories`
(in a worker, with progress) and the detail read again. `load_run_detail` does both in turn for
the command line, and reports an unreachable tracking store in `history_error` instead of
failing: the cached part is still worth showing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from mlboard.analytics.compare import SYSTEM_PREFIX
from mlboard.analytics.compute import duration_ms, gpu_hours
from mlboard.domain import iso, parse_target
from mlboard.integrations.mlflow_sync import TrackingStore
from mlboard.services.experiments import find_run
from mlboard.services.metric_history import StoreFactory, fetch_run_histories, plan_run_fetches
from mlboard.services.story_signals import compute_run
from mlboard.services.workspace import Workspace
from mlboard.store.tables import MetricHistory, ModelVersion, Run, Story, StoryRun
from mlboard.store.tables import MetricPoint as StoredPoint

MLFLOW_TAG_PREFIX = "mlflow."
VIA_PARENT = "parent"  # `how` of a story reached through the run's parent run


@dataclass(frozen=True, slots=True)
class MetricSummary:
    """A metric's latest value, and its range and step count from the cached history (None
    while the history is not cached)."""

    name: str
    last: float | None
    min: float | None
    max: float | None
    steps: int | None

    def as_json(self) -> dict[str, Any]:
        return {"last": self.last, "min": self.min, "max": self.max, "steps": self.steps}


@dataclass(frozen=True, slots=True)
class RunRef:
    """Another run, named: a parent or a child. `status` is empty for a run not mirrored."""

    run_id: str
    run_name: str
    status: str

    @property
    def label(self) -> str:
        return self.run_name or self.run_id[:12]

    def as_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "run_name": self.run_name, "status": self.status}


@dataclass(frozen=True, slots=True)
class StoryLink:
    """A story the run counts for, and how: `tag`, `manual`, or `parent` (its parent's link)."""

    key: str
    how: str


@dataclass(frozen=True, slots=True)
class ModelRef:
    name: str
    version: int
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class RunDetail:
    run_id: str
    run_name: str
    experiment: str
    status: str
    user: str
    start: datetime | None
    end: datetime | None
    duration_s: float | None  # a running run: so far
    deleted: bool
    parent: RunRef | None
    children: tuple[RunRef, ...]
    params: dict[str, str]
    metrics: dict[str, MetricSummary]  # by name; model metrics first, `system/…` last
    tags: dict[str, str]
    stories: tuple[StoryLink, ...]
    model_versions: tuple[ModelRef, ...]
    gpus: int
    gpu_hours: float
    tracking_uri: str
    chart_metrics: tuple[str, ...]  # what a chart offers, the linked stories' targets first
    missing_histories: tuple[str, ...]  # metrics whose history is not cached (or is stale)
    history_error: str | None = None

    @property
    def label(self) -> str:
        return self.run_name or self.run_id[:12]

    @property
    def own_tags(self) -> dict[str, str]:
        """Tags people and training code set; MLflow's own `mlflow.*` tags left out."""
        return {k: v for k, v in self.tags.items() if not k.startswith(MLFLOW_TAG_PREFIX)}

    def as_json(self) -> dict[str, Any]:
        """`mlboard run show --format json` (documented in the README)."""
        return {
            "run_id": self.run_id,
            "run_name": self.run_name,
            "experiment": self.experiment,
            "status": self.status,
            "user": self.user,
            "start": iso(self.start),
            "end": iso(self.end),
            "duration_s": self.duration_s,
            "parent_run_id": self.parent.run_id if self.parent else None,
            "children": [child.as_json() for child in self.children],
            "params": self.params,
            "metrics": {name: summary.as_json() for name, summary in self.metrics.items()},
            "tags": self.tags,
            "stories": [{"key": link.key, "how": link.how} for link in self.stories],
            "model_versions": [
                {"name": m.name, "version": m.version, "aliases": list(m.aliases)}
                for m in self.model_versions
            ],
            "gpus": self.gpus,
            "gpu_hours": round(self.gpu_hours, 3),
            "tracking_uri": self.tracking_uri,
            "deleted": self.deleted,
            "history_error": self.history_error,
        }


def _metric_order(name: str) -> tuple[bool, str]:
    return name.startswith(SYSTEM_PREFIX), name


def _summaries(session: Session, run: Run) -> dict[str, MetricSummary]:
    cached = set(session.exec(select(MetricHistory.key).where(MetricHistory.run_pk == run.id)))
    ranges = {
        key: (low, high, steps)
        for key, low, high, steps in session.exec(
            select(
                StoredPoint.key,
                func.min(StoredPoint.value),
                func.max(StoredPoint.value),
                func.count(func.distinct(StoredPoint.step)),
            )
            .where(StoredPoint.run_pk == run.id)
            .group_by(col(StoredPoint.key))
        )
    }
    summaries = {}
    for name in sorted(run.metrics, key=_metric_order):
        low, high, steps = ranges.get(name, (None, None, 0 if name in cached else None))
        summaries[name] = MetricSummary(name, run.metrics[name], low, high, steps)
    return summaries


def _stories(session: Session, run: Run) -> list[tuple[StoryLink, str | None]]:
    """Links of the run and of its parent (nested runs count for their parent's stories),
    with each story's target."""
    parent_pk = None
    if run.parent_run_id:
        parent_pk = session.exec(select(Run.id).where(Run.run_id == run.parent_run_id)).first()
    rows = session.exec(
        select(StoryRun.run_pk, StoryRun.how, Story.key, Story.target, Story.number)
        .join(Story, col(Story.id) == col(StoryRun.story_id))
        .where(col(StoryRun.active).is_(True), col(StoryRun.run_pk).in_([run.id, parent_pk]))
        .order_by(col(Story.number))
    ).all()
    own = {key: (how, target) for run_pk, how, key, target, _ in rows if run_pk == run.id}
    links = [(StoryLink(key, how), target) for key, (how, target) in own.items()]
    links += [
        (StoryLink(key, VIA_PARENT), target)
        for run_pk, _, key, target, _ in rows
        if run_pk != run.id and key not in own
    ]
    return links


def _relatives(session: Session, run: Run) -> tuple[RunRef | None, tuple[RunRef, ...]]:
    parent = None
    if run.parent_run_id:
        found = session.exec(
            select(Run.run_name, Run.status).where(Run.run_id == run.parent_run_id)
        ).first()
        name, status = found if found else ("", "")
        parent = RunRef(run.parent_run_id, name, status)
    children = session.exec(
        select(Run.run_id, Run.run_name, Run.status)
        .where(Run.parent_run_id == run.run_id, col(Run.deleted).is_(False))
        .order_by(col(Run.start_time), col(Run.run_id))
    ).all()
    return parent, tuple(RunRef(*child) for child in children)


def _duration_s(run: Run, now: datetime) -> float | None:
    """end − start, or so far for a running run; None when that cannot be known."""
    if run.start_time is None or (run.end_time is None and run.status != "RUNNING"):
        return None
    return duration_ms(compute_run(run), int(now.timestamp() * 1000)) / 1000


def detail_of(session: Session, run: Run, now: datetime) -> RunDetail:
    """The detail of a mirrored run, from the mirror and the history cache only."""
    links = _stories(session, run)
    targets = [parse_target(target).metric for _, target in links if target]
    chart = dict.fromkeys(name for name in targets if name in run.metrics)
    chart |= dict.fromkeys(sorted(run.metrics, key=_metric_order))
    parent, children = _relatives(session, run)
    versions = session.exec(
        select(ModelVersion)
        .where(ModelVersion.run_id == run.run_id)
        .order_by(col(ModelVersion.name), col(ModelVersion.version))
    ).all()
    computed = compute_run(run)
    return RunDetail(
        run_id=run.run_id,
        run_name=run.run_name,
        experiment=run.experiment_name,
        status=run.status,
        user=run.user,
        start=run.start_time,
        end=run.end_time,
        duration_s=_duration_s(run, now),
        deleted=run.deleted,
        parent=parent,
        children=children,
        params=dict(sorted(run.params.items())),
        metrics=_summaries(session, run),
        tags=dict(sorted(run.tags.items())),
        stories=tuple(link for link, _ in links),
        model_versions=tuple(ModelRef(v.name, v.version, tuple(v.aliases)) for v in versions),
        gpus=computed.gpus,
        gpu_hours=gpu_hours(computed, int(now.timestamp() * 1000)),
        tracking_uri=run.tracking_uri,
        chart_metrics=tuple(chart),
        missing_histories=tuple(plan.key for plan in plan_run_fetches(session, [run])),
    )


def run_detail(ws: Workspace, run_id: str) -> RunDetail:
    """The run with this id or unique id prefix (`experiments.find_run`), from the cache only:
    fast enough for a view to show at once."""
    with ws.reading() as session:
        return detail_of(session, find_run(session, run_id), ws.now())


def load_run_detail(
    ws: Workspace,
    run_id: str,
    *,
    fetch: bool = True,
    store_factory: StoreFactory = TrackingStore,
    progress: Callable[[int, int], None] | None = None,
) -> RunDetail:
    """The run's detail with every metric history cached first (fetched from MLflow when
    missing, outside any transaction). When the tracking store cannot be read, the detail
    holds what is cached and `history_error` says why."""
    detail = run_detail(ws, run_id)
    if not fetch or not detail.missing_histories:
        return detail
    outcome = fetch_run_histories(
        ws, [detail.run_id], store_factory=store_factory, progress=progress
    )
    return replace(run_detail(ws, detail.run_id), history_error=outcome.error)
