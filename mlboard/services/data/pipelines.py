"""Data pipelines: finding them by name, recording a run (`pipeline record`), configuring them.

A Pipeline is an OpenLineage job (namespace, name); its runs come from OpenLineage events
(`lineage_ingest`) or from scripts and CI jobs through `record_run`, which folds what it is told
with the same rules as an event stream, so both kinds of report agree on one run.

Freshness (`status.pipeline_statuses`) is judged against each pipeline's SLA; a story that depends
on a failed or stale pipeline is "blocked by data" (`status.data_blockers`), which the board,
planning and the standup show.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, select

from mlboard.domain import Sensitivity, parse_choice
from mlboard.errors import UserError
from mlboard.integrations.openlineage_event import LineageEvent
from mlboard.services.data.lineage_ingest import fold_event
from mlboard.services.workspace import Workspace
from mlboard.store.tables import Pipeline, PipelineRun

STATES = ("running", "success", "failed", "aborted")
FINISHED = frozenset({"success", "failed", "aborted"})
DEFAULT_NAMESPACE = "mlboard"
_END_EVENT = {"success": "COMPLETE", "failed": "FAIL", "aborted": "ABORT"}


def full_name(pipeline: Pipeline) -> str:
    return f"{pipeline.namespace}/{pipeline.name}"


# --- finding pipelines ---------------------------------------------------------------------


def find_pipeline(session: Session, text: str) -> Pipeline:
    """`namespace/name`, or just `name` when only one namespace has it.

    Namespaces may hold slashes themselves (`postgres://db:5432`), so every split is tried.
    """
    found = match_pipelines(session, text)
    if not found:
        raise UserError(f"pipeline {text!r} not found (see: mlboard pipeline list)")
    if len(found) > 1:
        names = ", ".join(sorted(full_name(p) for p in found))
        raise UserError(f"pipeline {text!r} is ambiguous: say which of {names}")
    return found[0]


def match_pipelines(session: Session, text: str) -> list[Pipeline]:
    text = text.strip()
    if not text:
        raise UserError("pipeline name must not be empty")
    found = {p.id: p for p in session.exec(select(Pipeline).where(Pipeline.name == text))}
    for i, char in enumerate(text):
        if char == "/":
            namespace, name = text[:i], text[i + 1 :]
            for p in session.exec(
                select(Pipeline).where(Pipeline.namespace == namespace, Pipeline.name == name)
            ):
                found[p.id] = p
    return list(found.values())


def _get_or_create(
    session: Session, cache: dict[tuple[str, str], Pipeline], key: tuple[str, str], now: datetime
) -> tuple[Pipeline, bool]:
    pipeline = cache.get(key)
    if pipeline is not None:
        return pipeline, False
    pipeline = session.exec(
        select(Pipeline).where(Pipeline.namespace == key[0], Pipeline.name == key[1])
    ).first()
    created = pipeline is None
    if pipeline is None:
        pipeline = Pipeline(namespace=key[0], name=key[1], created_at=now)
        session.add(pipeline)
        session.flush()
    cache[key] = pipeline
    return pipeline, created


# --- record and configure --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordedRun:
    pipeline: str  # namespace/name
    run_id: str
    state: str | None
    started_at: datetime | None
    ended_at: datetime | None
    rows_out: int | None
    error_message: str | None


def _aware(value: datetime | None) -> datetime | None:
    """Naive times are local times, as Python's own `astimezone` reads them."""
    return None if value is None else value.astimezone(UTC)


def record_run(
    ws: Workspace,
    name: str,
    state: str,
    *,
    rows: int | None = None,
    error: str | None = None,
    run_id: str | None = None,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    namespace: str | None = None,
) -> RecordedRun:
    """Record a run reported by a script or CI job, with the same rules as an event stream.

    `namespace=None` looks `name` up (`ns/name` or an unambiguous name) and otherwise creates it
    in the `mlboard` namespace. Recording `running` then `success` with the same `run_id` is one
    run; recording `running` for a finished run is refused, as a late event would be ignored.
    """
    state = _parse_state(state)
    if rows is not None and (type(rows) is not int or not 0 <= rows < 2**63):
        raise UserError(f"rows must be a whole number >= 0, got {rows!r}")
    started, ended = _aware(started_at), _aware(ended_at)
    if started and ended and ended < started:
        raise UserError("the run cannot end before it started")
    now = ws.now()
    with ws.writing() as session:
        pipeline = _pipeline_for_record(session, name, namespace, now)
        run_id = (run_id or "").strip() or str(uuid.uuid4())
        run = session.exec(select(PipelineRun).where(PipelineRun.external_run_id == run_id)).first()
        if run is not None and run.pipeline_id != pipeline.id:
            raise UserError(f"run {run_id} belongs to another pipeline")
        if run is not None and state == "running" and run.state in FINISHED:
            raise UserError(f"run {run_id} already finished ({run.state}); it cannot run again")
        if run is None:
            run = PipelineRun(pipeline_id=pipeline.id, external_run_id=run_id, facets={})
            session.add(run)
        base = {"run_id": run_id, "namespace": pipeline.namespace, "job_name": pipeline.name}
        events = []
        if state == "running" or run.started_at is None or started:
            events.append(_event("START", started or ended or now, base))
        if state != "running":
            events.append(_event(_END_EVENT[state], ended or now, base))
        events[-1] = _event(events[-1].event_type, events[-1].event_time, base, rows, error)
        for event in events:
            fold_event(run, event)
        return RecordedRun(
            full_name(pipeline), run_id, run.state, run.started_at, run.ended_at,
            run.rows_out, run.error_message,
        )  # fmt: skip


def _event(
    event_type: str, at: datetime, base: dict[str, str], rows: int | None = None,
    error: str | None = None,
) -> LineageEvent:  # fmt: skip
    return LineageEvent(
        event_type=event_type, event_time=at, parent=None, error_message=error,
        rows_out=rows, producer="mlboard", schema_url=None,
        facets={"run": {}, "job": {}}, warnings=(), **base,
    )  # fmt: skip


def _parse_state(text: str) -> str:
    state = text.strip().lower()
    if state not in STATES:
        raise UserError(f"unknown state {text!r} (choose from {', '.join(STATES)})")
    return state


def _pipeline_for_record(
    session: Session, name: str, namespace: str | None, now: datetime
) -> Pipeline:
    name = name.strip()
    if not name:
        raise UserError("pipeline name must not be empty")
    if namespace is None:
        found = match_pipelines(session, name)
        if len(found) == 1:
            return found[0]
        if found:
            find_pipeline(session, name)  # raises the ambiguity error
        namespace = DEFAULT_NAMESPACE
    return _get_or_create(session, {}, (namespace.strip() or DEFAULT_NAMESPACE, name), now)[0]


def set_pipeline(
    ws: Workspace,
    name: str,
    *,
    owner: str | None = None,
    sla_hours: str | float | None = None,
    sensitivity: str | None = None,
    create: bool = False,
) -> str:
    """Configure a pipeline; `sla_hours=""` clears the SLA. Returns `namespace/name`.

    `create` adds a pipeline not seen yet (`ns/name`, or `name` in the mlboard namespace), so
    its SLA can be set before the first run reports.
    """
    with ws.writing() as session:
        if create and not match_pipelines(session, name):
            namespace, _, short = name.strip().rpartition("/")
            key = (namespace or DEFAULT_NAMESPACE, short)
            pipeline = _get_or_create(session, {}, key, ws.now())[0]
        else:
            pipeline = find_pipeline(session, name)
        if owner is not None:
            pipeline.owner = owner.strip().lstrip("@")
        if sla_hours is not None:
            pipeline.freshness_sla_hours = _sla(sla_hours)
        if sensitivity is not None:
            try:
                pipeline.sensitivity = parse_choice(Sensitivity, sensitivity, "sensitivity").value
            except ValueError as error:
                raise UserError(str(error)) from None
        session.add(pipeline)
        return full_name(pipeline)


def _sla(value: str | float) -> float | None:
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            value = float(value)
        except ValueError:
            raise UserError(f"--sla-hours must be a number of hours, got {value!r}") from None
    if not 0 < value < float("inf"):
        raise UserError(f"--sla-hours must be above 0, got {value:g}")
    return float(value)
