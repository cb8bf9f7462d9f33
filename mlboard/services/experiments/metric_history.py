"""Metric histories, fetched only where charts and checks need them, and cached.

A full history costs one MLflow call per run and metric (~11 ms each), so a sync fetches just
the target metric and the train/validation pairs of runs linked to stories; a view that opens
one run (or compares a few) fetches the rest it needs on demand. A cached history is fetched
again only when the run's status has changed since (a RUNNING run keeps logging).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, insert
from sqlmodel import Session, col, select

from mlboard.analytics.metric_pairs import pair_metrics
from mlboard.analytics.training_signals import MetricPoint
from mlboard.domain import parse_target
from mlboard.integrations.mlflow_sync import TrackingError, TrackingStore
from mlboard.services.experiments.runs import story_runs
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
    wanted = []
    for story_id, runs in story_runs(session, story_ids).items():
        target = targets.get(story_id)
        metric = parse_target(target).metric if target else None
        wanted += [(run, wanted_keys(run, metric)) for run in runs]
    return _stale(wanted, cached)


def plan_run_fetches(
    session: Session, runs: Iterable[Run], keys: Iterable[str] | None = None
) -> list[FetchPlan]:
    """What the cache lacks of `keys` of these runs (default: every metric each run logged),
    or holds for an earlier state of the run. Keys a run never logged are left out."""
    runs = list(runs)
    query = select(MetricHistory.run_pk, MetricHistory.key, MetricHistory.run_status)
    rows = session.exec(query.where(col(MetricHistory.run_pk).in_([run.id for run in runs])))
    cached = {(run_pk, key): status for run_pk, key, status in rows}
    chosen = None if keys is None else set(keys)
    return _stale(
        [(run, set(run.metrics) if chosen is None else chosen & set(run.metrics)) for run in runs],
        cached,
    )


def _stale(
    wanted: Iterable[tuple[Run, Iterable[str]]], cached: dict[tuple[int, str], str]
) -> list[FetchPlan]:
    plans: dict[tuple[int, str], FetchPlan] = {}
    for run, keys in wanted:
        for key in sorted(keys):
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
    """Fetch what the cache lacks for the stories' checks and charts (default: every story)."""
    with ws.reading() as session:
        plans = plan_fetches(session, story_keys)
    return fetch_histories(ws, plans, store_factory=store_factory, progress=progress)


def fetch_histories(
    ws: Workspace,
    plans: Sequence[FetchPlan],
    *,
    store_factory: StoreFactory = TrackingStore,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Fetch the planned histories from MLflow and cache them; returns how many.

    Each history is fetched with no transaction open, then written in its own short one, so
    a server that stops answering midway (a `TrackingError`) leaves the ones before cached.
    """
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


@dataclass(frozen=True, slots=True)
class HistoryFetch:
    """What an on-demand fetch did: histories cached, and why it stopped early (or None)."""

    fetched: int
    error: str | None = None


def fetch_run_histories(
    ws: Workspace,
    run_ids: Sequence[str],
    keys: Iterable[str] | None = None,
    *,
    store_factory: StoreFactory = TrackingStore,
    progress: Callable[[int, int], None] | None = None,
) -> HistoryFetch:
    """Fetch what the cache lacks of these runs' histories (`keys`, default every metric).

    For views that open a run on demand: a tracking store that cannot be read is not an error
    here but a sentence in `error`, and whatever was fetched before it stays cached, so the
    view shows the cache and says why it may be incomplete.
    """
    with ws.reading() as session:
        runs = session.exec(select(Run).where(col(Run.run_id).in_(list(run_ids)))).all()
        plans = plan_run_fetches(session, runs, keys)
    done = 0

    def count(finished: int, total: int) -> None:
        nonlocal done
        done = finished
        if progress:
            progress(finished, total)

    try:
        fetch_histories(ws, plans, store_factory=store_factory, progress=count)
    except TrackingError as error:
        return HistoryFetch(done, error.message)
    return HistoryFetch(done)


def cached_histories(
    ws: Workspace, run_ids: Sequence[str], key: str
) -> dict[str, list[MetricPoint]]:
    """One metric's cached history for each run that has it, by run id: a chart's series."""
    with ws.reading() as session:
        query = select(Run.id, Run.run_id).where(col(Run.run_id).in_(run_ids))
        pks = dict(session.exec(query).all())
        loaded = load_histories(session, list(pks), key)
    return {pks[run_pk]: points for (run_pk, _), points in loaded.items()}


def load_histories(
    session: Session, run_pks: Iterable[int], key: str | None = None
) -> dict[tuple[int, str], list[MetricPoint]]:
    """Cached points by (run, metric), in step order, of every metric or just `key`; missing
    values are left out."""
    columns = (
        StoredPoint.run_pk,
        StoredPoint.key,
        StoredPoint.step,
        StoredPoint.value,
        StoredPoint.timestamp_ms,
    )  # plain rows, not table objects: a chart of 20 runs reads thousands of points
    query = select(*columns).where(
        col(StoredPoint.run_pk).in_(list(run_pks)), col(StoredPoint.value).is_not(None)
    )
    if key is not None:
        query = query.where(StoredPoint.key == key)
    histories: dict[tuple[int, str], list[MetricPoint]] = {}
    rows = session.exec(
        query.order_by(col(StoredPoint.run_pk), col(StoredPoint.key), col(StoredPoint.step))
    )
    for run_pk, name, step, value, timestamp_ms in rows:
        histories.setdefault((run_pk, name), []).append(
            MetricPoint(step, value or 0.0, timestamp_ms)
        )
    return histories
