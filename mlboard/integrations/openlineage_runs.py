"""OpenLineage run events folded into one row per run, as the board shows pipeline runs.

`roll_up` is the definition the store's incremental ingest (`mlboard.services.data.lineage_ingest`)
follows event by event; the tests hold the two to the same result.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from mlboard.integrations.openlineage_event import LineageEvent
from mlboard.integrations.openlineage_facets import ParentRef

__all__ = ["RunRollup", "roll_up"]

_TERMINAL = frozenset({"COMPLETE", "FAIL", "ABORT"})
# Tie-break for events with the same eventTime: a run starts before it ends.
_RANK = {"START": 0, "RUNNING": 1, "OTHER": 1, "COMPLETE": 2, "FAIL": 2, "ABORT": 2}


@dataclass(frozen=True, slots=True)
class RunRollup:
    """One run as the board shows it, from all its events ordered by event time."""

    run_id: str
    namespace: str
    job_name: str
    state: str | None  # running / success / failed / aborted; None if never reported
    started_at: datetime | None
    ended_at: datetime | None
    rows_out: int | None
    error_message: str | None
    parent: ParentRef | None
    children: tuple[str, ...]  # run ids whose parent is this run, by start time


def roll_up(events: Iterable[LineageEvent]) -> dict[str, RunRollup]:
    """Fold events into one RunRollup per run id, independent of the order they arrive in.

    Events are deduplicated by `dedup_key` and ordered by event time (START before RUNNING
    before an end at the same instant). started_at is the first START/RUNNING time, else the
    first event's; the final state is that of the latest COMPLETE/FAIL/ABORT if there is one
    (a late RUNNING does not reopen a finished run), else of the latest event with a state.
    rows_out, error_message and parent come from the latest event carrying them.

    A parent run referenced by a child but without events of its own still gets a RunRollup
    (state None, no times) so the DAG run shows with its tasks; `children` lists a run's
    child run ids by start time.
    """
    unique: dict[tuple[str, str, datetime], LineageEvent] = {}
    for event in events:
        unique.setdefault(event.dedup_key, event)
    by_run: dict[str, list[tuple[datetime, int, int, LineageEvent]]] = {}
    for index, event in enumerate(unique.values()):
        key = (event.event_time, _RANK[event.event_type], index, event)
        by_run.setdefault(event.run_id, []).append(key)

    rollups: dict[str, RunRollup] = {}
    for run_id, keyed in by_run.items():
        ordered = [event for *_, event in sorted(keyed, key=lambda k: k[:3])]
        rollups[run_id] = _fold(run_id, ordered)

    children: dict[str, list[RunRollup]] = {}
    for rollup in list(rollups.values()):
        parent = rollup.parent
        if parent is None:
            continue
        children.setdefault(parent.run_id, []).append(rollup)
        if parent.run_id not in rollups:
            rollups[parent.run_id] = RunRollup(
                run_id=parent.run_id,
                namespace=parent.namespace,
                job_name=parent.name,
                state=None,
                started_at=None,
                ended_at=None,
                rows_out=None,
                error_message=None,
                parent=None,
                children=(),
            )
    far_future = datetime.max.replace(tzinfo=UTC)
    for parent_id, kids in children.items():
        kids.sort(key=lambda r: (r.started_at or far_future, r.run_id))
        rollups[parent_id] = replace(rollups[parent_id], children=tuple(k.run_id for k in kids))
    return rollups


def _fold(run_id: str, ordered: list[LineageEvent]) -> RunRollup:
    first = ordered[0]
    starts = [e.event_time for e in ordered if e.event_type in ("START", "RUNNING")]
    ends = [e for e in ordered if e.event_type in _TERMINAL]
    with_state = [e for e in ordered if e.state is not None]
    final = ends[-1] if ends else (with_state[-1] if with_state else None)
    rows = [e.rows_out for e in ordered if e.rows_out is not None]
    errors = [e.error_message for e in ordered if e.error_message is not None]
    parents = [e.parent for e in ordered if e.parent is not None]
    return RunRollup(
        run_id=run_id,
        namespace=first.namespace,
        job_name=first.job_name,
        state=final.state if final else None,
        started_at=starts[0] if starts else first.event_time,
        ended_at=ends[-1].event_time if ends else None,
        rows_out=rows[-1] if rows else None,
        error_message=errors[-1] if errors else None,
        parent=parents[-1] if parents else None,
        children=(),
    )
