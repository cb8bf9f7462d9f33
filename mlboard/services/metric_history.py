"""Metric histories, fetched only where charts and checks need them, and cached.

A full history costs one MLflow call per run and metric (~11 ms each), so the board fetches
just the target metric and the train/validation pairs of runs linked to stories, and fetches
again only when the run's status has changed since (a RUNNING run keeps logging).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import delete, insert
from sqlmodel import Session, col, select

from mlboard.analytics.training_signals import MetricPoint, pair_metrics
from mlboard.domain import parse_target
from mlboard.integrations.mlflow_sync import TrackingStore
from mlboard.services.experiments import story_runs
from mlboard.services.workspace import Workspace
from mlboard.store.tables import MetricHistory, Run, Story
from mlboard.store.tables import MetricPoint as StoredPoint

StoreFactory = Callable[[str], TrackingStore]


def wanted_keys(run: Run, target_metric: str | None) -> set[str]:
    """The metrics a run's checks and charts read: the story's target and train/val pairs."""
    keys = {pair.train for pair in pair_metrics(run.metrics)}
    keys |= {pair.val for pair in pair_metrics(run.metrics)}
    if target_metric and target_metric in run.metrics:
        keys.add(target_metric)
    return keys


@dataclass(frozen=True, slots=True)
class FetchPlan:
    run_pk: int
    run_id: str
    tracking_uri: str
    status: str
    key: str


def plan_fetches(session: Session, story_keys: Iterable[str] | None = None) -> list[FetchPlan]:
    """What is missing or stale in the cache, for the given stories (default: all)."""
    query = select(Story.id, Story.target).where(col(Story.target).is_not(None))
    if story_keys is not None:
        query = query.where(col(Story.key).in_(list(story_keys)))
    targets = dict(session.exec(query).all())
    all_linked = select(Story.id)
    if story_keys is not None:
        all_linked = all_linked.where(col(Story.key).in_(list(story_keys)))
    story_ids = list(session.exec(all_linked).all())
    cached = {(h.run_pk, h.key): h.run_status for h in session.exec(select(MetricHistory)).all()}
    plans: dict[tuple[int, str], FetchPlan] = {}
    for story_id, runs in story_runs(session, story_ids).items():
        target = targets.get(story_id)
        metric = parse_target(target).metric if target else None
        for run in runs:
            for key in wanted_keys(run, metric):
                if cached.get((run.id or 0, key)) != run.status:
                    plans[(run.id or 0, key)] = FetchPlan(
                        run.id or 0, run.run_id, run.tracking_uri, run.status, key
                    )
    return list(plans.values())


def refresh_histories(
    ws: Workspace,
    story_keys: Iterable[str] | None = None,
    *,
    store_factory: StoreFactory = TrackingStore,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Fetch what the cache lacks; each history is written in its own short transaction."""
    with ws.reading() as session:
        plans = plan_fetches(session, story_keys)
    stores: dict[str, TrackingStore] = {}
    for done, plan in enumerate(plans, start=1):
        store = stores.get(plan.tracking_uri) or stores.setdefault(
            plan.tracking_uri, store_factory(plan.tracking_uri)
        )
        points = store.metric_history(plan.run_id, plan.key)
        with ws.writing() as session:
            session.execute(
                delete(StoredPoint).where(
                    col(StoredPoint.run_pk) == plan.run_pk, col(StoredPoint.key) == plan.key
                )
            )
            if points:
                session.execute(
                    insert(StoredPoint),
                    [
                        {
                            "run_pk": plan.run_pk,
                            "key": plan.key,
                            "step": p.step,
                            "value": p.value,
                            "timestamp_ms": p.timestamp_ms,
                        }
                        for p in points
                    ],
                )
            session.execute(
                delete(MetricHistory).where(
                    col(MetricHistory.run_pk) == plan.run_pk, col(MetricHistory.key) == plan.key
                )
            )
            session.add(
                MetricHistory(
                    run_pk=plan.run_pk,
                    key=plan.key,
                    points=len(points),
                    run_status=plan.status,
                    fetched_at=ws.now(),
                )
            )
        if progress:
            progress(done, len(plans))
    return len(plans)


def load_histories(
    session: Session, run_pks: Iterable[int]
) -> dict[tuple[int, str], list[MetricPoint]]:
    """Cached points by (run, metric), in step order; missing values are left out."""
    histories: dict[tuple[int, str], list[MetricPoint]] = {}
    rows = session.exec(
        select(StoredPoint)
        .where(col(StoredPoint.run_pk).in_(list(run_pks)), col(StoredPoint.value).is_not(None))
        .order_by(col(StoredPoint.run_pk), col(StoredPoint.key), col(StoredPoint.step))
    )
    for point in rows:
        histories.setdefault((point.run_pk, point.key), []).append(
            MetricPoint(point.step, point.value or 0.0, point.timestamp_ms)
        )
    return histories
