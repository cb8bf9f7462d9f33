"""Ingesting OpenLineage events into the pipelines' runs, in any order and any repetition.

A Pipeline is an OpenLineage job (namespace, name), created the first time an event names it;
a PipelineRun is one run id. Ingest follows `integrations.openlineage_runs.roll_up` exactly, but one
event at a time against the stored run, so a file, a stream of HTTP posts, or both in any order
and any repetition end with the same rows as `roll_up` over all the events:

* A repeated event (same run id, type and time, recorded in LineageEventSeen) changes nothing.
* The state is that of the latest COMPLETE/FAIL/ABORT by event time, else `running` after a
  START/RUNNING; OTHER changes no state. A late START or RUNNING never reopens a finished run.
* started_at is the earliest START/RUNNING time, else the earliest event's; ended_at the latest
  end's. rows_out, error_message and the parent run come from the latest event carrying them.
* A parent run named by a child but without events of its own is stored with no state, under its
  own job's pipeline, so a DAG run shows with its tasks.

To merge exactly whatever the arrival order, `PipelineRun.facets` keeps, next to the received
facets (`{"run": {...}, "job": {...}}`, a later event's facet replacing an earlier one of the same
name), an `"_order"` entry with the event-time keys of those fields. Readers skip it.

`pipeline record` folds its runs with the same `fold_event` (see `pipelines.record_run`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, select

from mlboard.integrations.openlineage_checks import EventError
from mlboard.integrations.openlineage_event import LineageEvent
from mlboard.integrations.openlineage_payload import parse_payload
from mlboard.services.workspace import Workspace
from mlboard.store import audit
from mlboard.store.tables import LineageEventSeen, Pipeline, PipelineRun

_RANK = {"START": 0, "RUNNING": 1, "OTHER": 1, "COMPLETE": 2, "FAIL": 2, "ABORT": 2}
_TERMINAL = frozenset({"COMPLETE", "FAIL", "ABORT"})
_CHUNK = 500  # ids per IN (...) query, well under SQLite's variable limit


@dataclass
class IngestResult:
    """What one ingest did; `as_json` is the shape of `pipeline ingest --format json`."""

    events: int = 0  # valid events received
    applied: int = 0  # new events stored
    repeated: int = 0  # events seen before (or twice in the input): changed nothing
    runs_added: int = 0
    runs_updated: int = 0
    pipelines_added: int = 0
    errors: list[EventError] = field(default_factory=list)
    source: str = "<input>"  # the file it came from, as the user named it

    @property
    def stored(self) -> bool:
        """Whether its events were stored: a source with any error stores none of them."""
        return not self.errors

    def as_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "applied": self.applied,
            "repeated": self.repeated,
            "runs_added": self.runs_added,
            "runs_updated": self.runs_updated,
            "pipelines_added": self.pipelines_added,
            "errors": [{"where": e.where, "reason": e.reason} for e in self.errors],
        }


def ingest_total(results: Sequence[IngestResult]) -> IngestResult:
    """The sums of several ingests (the files of one `pipeline ingest`), with all their errors."""

    def total(name: str) -> int:
        return sum(getattr(result, name) for result in results)

    return IngestResult(
        events=total("events"),
        applied=total("applied"),
        repeated=total("repeated"),
        runs_added=total("runs_added"),
        runs_updated=total("runs_updated"),
        pipelines_added=total("pipelines_added"),
        errors=[error for result in results for error in result.errors],
        source="total",
    )


def ingest_payload(ws: Workspace, data: str | bytes, source: str = "<input>") -> IngestResult:
    """Parse a file or request body and store its events in one transaction: all of them, or
    none when any is invalid (placeholders, missing fields, not JSON), as the HTTP endpoint
    answers a bad body. Each invalid event comes back in `errors`, named `source[i]` or
    `source:line`, so the file can be fixed and ingested again.
    """
    events, errors = parse_payload(data, source)
    if errors or not events:
        return IngestResult(events=len(events), errors=errors, source=source)
    result = ingest_events(ws, events)
    result.source = source
    return result


def ingest_file(ws: Workspace, source: str, read: Callable[[], bytes]) -> IngestResult:
    """`ingest_payload` of what `read` returns (a file, or stdin for `-`); a file that cannot
    be read is reported as a bad file is, with its name."""
    try:
        data = read()
    except OSError as error:
        reason = f"cannot be read: {error.strerror}"
        return IngestResult(errors=[EventError(source, reason)], source=source)
    return ingest_payload(ws, data, source)


def ingest_events(ws: Workspace, events: Sequence[LineageEvent]) -> IngestResult:
    """Store events in one write transaction.

    Write transactions take turns (SQLite's IMMEDIATE transactions, PostgreSQL's advisory write
    lock: see `store.engine`), so concurrent ingests cannot both miss a run and both insert it.
    """
    with ws.writing() as session:
        return apply_events(session, events, ws.now())


def apply_events(session: Session, events: Iterable[LineageEvent], now: datetime) -> IngestResult:
    """Apply events inside the caller's transaction (see the module docstring for the rules).

    Runs are folded as plain objects and written back with bulk statements: a 10,000-event
    file is a handful of statements, not 10,000 ORM objects.
    """
    received = list(events)
    unique: dict[tuple[str, str, datetime], LineageEvent] = {}
    for event in received:
        unique.setdefault(event.dedup_key, event)
    run_ids = {e.run_id for e in unique.values()} | {
        e.parent.run_id for e in unique.values() if e.parent is not None
    }
    seen = _seen_keys(session, run_ids)
    new = [event for key, event in unique.items() if key not in seen]
    result = IngestResult(events=len(received), applied=len(new), repeated=len(received) - len(new))
    runs = _load_runs(session, run_ids)
    existing = set(runs)
    wanted: dict[str, tuple[str, str]] = {}  # new run id -> its job, from its first event
    for event in new:
        if event.run_id not in runs:
            wanted.setdefault(event.run_id, (event.namespace, event.job_name))
        if event.parent is not None and event.parent.run_id not in runs:
            wanted.setdefault(event.parent.run_id, (event.parent.namespace, event.parent.name))
    pipelines, result.pipelines_added = _pipeline_ids(session, set(wanted.values()), now)
    for run_id, job in wanted.items():
        runs[run_id] = _RunState(pipeline_id=pipelines[job], external_run_id=run_id, facets={})
    touched: set[str] = set()
    for event in new:
        fold_event(runs[event.run_id], event)
        touched.add(event.run_id)
    result.runs_added, result.runs_updated = len(wanted), len(touched & existing)
    _write(session, [runs[i] for i in wanted], [runs[i] for i in sorted(touched & existing)])
    if new:
        session.connection().execute(
            insert(_SEEN),
            [
                {"run_id": e.run_id, "event_type": e.event_type, "event_time": e.event_time}
                for e in new
            ],
        )
    return result


_RUNS = PipelineRun.__table__  # type: ignore[attr-defined]
_SEEN = LineageEventSeen.__table__  # type: ignore[attr-defined]
_PIPELINES = Pipeline.__table__  # type: ignore[attr-defined]
_RUN_FIELDS = (
    "pipeline_id", "external_run_id", "parent_run_id", "state", "started_at", "ended_at",
    "last_event_at", "rows_out", "error_message", "facets",
)  # fmt: skip


class _RunState:
    """A run being folded: plain attributes, none of the ORM's bookkeeping per assignment."""

    __slots__ = ("id", *_RUN_FIELDS)

    def __init__(self, **values: Any) -> None:
        for name in self.__slots__:
            setattr(self, name, values.get(name))

    def row(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _RUN_FIELDS}


def _load_runs(session: Session, run_ids: set[str]) -> dict[str, _RunState]:
    runs: dict[str, _RunState] = {}
    columns = [_RUNS.c.id, *(_RUNS.c[name] for name in _RUN_FIELDS)]
    for chunk in chunks(run_ids):
        query = select(*columns).where(_RUNS.c.external_run_id.in_(chunk))
        for row in session.connection().execute(query):
            runs[row.external_run_id] = _RunState(**row._mapping)
    return runs


def _pipeline_ids(
    session: Session, keys: set[tuple[str, str]], now: datetime
) -> tuple[dict[tuple[str, str], int], int]:
    """Ids of the pipelines named (namespace, name), creating the missing ones."""
    found: dict[tuple[str, str], int] = {}
    for chunk in chunks({name for _, name in keys}):
        query = select(_PIPELINES.c.id, _PIPELINES.c.namespace, _PIPELINES.c.name)
        for pid, namespace, name in session.connection().execute(
            query.where(_PIPELINES.c.name.in_(chunk))
        ):
            if (namespace, name) in keys:
                found[(namespace, name)] = pid
    missing = sorted(keys - set(found))
    rows = [
        {"namespace": namespace, "name": name, "owner": "", "freshness_sla_hours": None,
         "sensitivity": "none", "created_at": now}
        for namespace, name in missing
    ]  # fmt: skip
    found.update(zip(missing, audit.insert_audited(session, Pipeline, rows), strict=True))
    return found, len(missing)


def _write(session: Session, added: list[_RunState], changed: list[_RunState]) -> None:
    connection = session.connection()
    if added:
        connection.execute(insert(_RUNS), [run.row() for run in added])
    if changed:
        statement = update(_RUNS).where(_RUNS.c.id == bindparam("run_pk"))
        connection.execute(statement, [{"run_pk": run.id, **run.row()} for run in changed])


def chunks(items: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(items)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


def _seen_keys(session: Session, run_ids: set[str]) -> set[tuple[str, str, datetime]]:
    seen: set[tuple[str, str, datetime]] = set()
    for chunk in chunks(run_ids):
        query = select(_SEEN.c.run_id, _SEEN.c.event_type, _SEEN.c.event_time).where(
            _SEEN.c.run_id.in_(chunk)
        )
        seen.update((r, t, at) for r, t, at in session.connection().execute(query))
    return seen


def _order_key(at: datetime, event_type: str) -> str:
    """Sorts like roll_up's (event time, START < RUNNING/OTHER < ends) as plain text."""
    at = at.astimezone(UTC)
    return f"{at.year:04d}-{at:%m-%dT%H:%M:%S.%f}/{_RANK[event_type]}"


def fold_event(run: PipelineRun | _RunState, event: LineageEvent) -> None:
    """Merge one new event into a stored run with roll_up's rules, whatever the arrival order.

    Ties (same time and rank) go to the event that arrived last, as in roll_up.
    """
    facets = dict(run.facets or {})
    order = dict(facets.get("_order", {}))
    key = _order_key(event.event_time, event.event_type)
    at = event.event_time
    if run.last_event_at is None or at > run.last_event_at:
        run.last_event_at = at

    is_start = event.event_type in ("START", "RUNNING")
    from_start = order.get("start") == "start"
    if (
        run.started_at is None
        or (is_start and not from_start)
        or (is_start == from_start and at < run.started_at)
    ):
        run.started_at = at
    order["start"] = "start" if is_start or from_start else "other"

    if event.event_type in _TERMINAL:
        if run.ended_at is None or key >= _order_key(run.ended_at, event.event_type):
            run.ended_at, run.state = at, event.state
    elif event.state is not None and run.ended_at is None:
        run.state = event.state

    parent = event.parent.run_id if event.parent is not None else None
    carried = (("rows_out", event.rows_out), ("error_message", event.error_message))
    for name, value in (*carried, ("parent_run_id", parent)):
        if value is not None and key >= order.get(name, ""):
            setattr(run, name, value)
            order[name] = key

    newer = key >= order.get("facets", "")
    for part in ("run", "job"):
        merged = dict(facets.get(part, {}))
        for name, value in event.facets.get(part, {}).items():
            if newer or name not in merged:
                merged[name] = value
        facets[part] = merged
    if newer:
        order["facets"] = key
    facets["_order"] = order
    run.facets = facets  # a new dict: the JSON column notices the change
