"""One OpenLineage run event: its envelope validated, its times in UTC, its facets read.

Pure standard library: no database, no HTTP. `parse_event` takes one decoded JSON value;
`mlboard.integrations.openlineage_payload` splits a file or request body into such values.

What counts as valid (https://openlineage.io/spec, RunEvent):

* required: `eventType` (one of START, RUNNING, COMPLETE, FAIL, ABORT, OTHER — upper-case only,
  as the spec's enum spells them), `eventTime`, `run.runId`, `job.namespace`, `job.name`.
* `eventTime` is an RFC 3339 date-time *with* an offset (`Z`, `+00:00`, `+10:00`, `+1000`),
  seconds required, 1-9 fractional digits (nanoseconds are truncated to microseconds, never
  rounded). It comes out timezone-aware in UTC.
* `run.runId` (and a parent's `run.runId`) must be a UUID in the canonical 8-4-4-4-12 hex form,
  any version; it is normalised to lower case so that re-sent events match.
* `producer` / `schemaURL` are required by the spec, but real dbt test files lack them: a missing
  one is a warning on the event, not an error. Problems in optional facets are warnings too
  (`mlboard.integrations.openlineage_facets`).
* The whole event must be plain JSON and hold no template placeholders (`{{RUN_START_TIME}}`):
  `mlboard.integrations.openlineage_checks`. Any value whatsoever gives a LineageEvent or an
  EventError, never another exception; the tests fuzz this.

Unknown (vendor) facets are normal and kept verbatim in `LineageEvent.facets`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from mlboard.integrations.openlineage_checks import (
    EventError,
    field,
    kind,
    placeholder_reason,
    scan_event,
    show,
    text_field,
    uuid_field,
)
from mlboard.integrations.openlineage_facets import (
    ParentRef,
    error_message_of,
    facets_of,
    parent_of,
    rows_out_of,
)

__all__ = ["EVENT_TYPES", "LineageEvent", "parse_event"]

EVENT_TYPES = ("START", "RUNNING", "COMPLETE", "FAIL", "ABORT", "OTHER")
_STATES = {
    "START": "running",
    "RUNNING": "running",
    "COMPLETE": "success",
    "FAIL": "failed",
    "ABORT": "aborted",
    "OTHER": None,
}

_TIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?"
    r"(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))?"
)


@dataclass(frozen=True, slots=True)
class LineageEvent:
    """One valid run event. `facets` is {"run": {...}, "job": {...}} as received."""

    event_type: str  # START, RUNNING, COMPLETE, FAIL, ABORT, OTHER
    event_time: datetime  # timezone-aware, UTC
    run_id: str  # lower-case canonical UUID
    namespace: str
    job_name: str
    parent: ParentRef | None
    error_message: str | None  # run.facets.errorMessage.message
    rows_out: int | None  # sum of outputs[].outputFacets.outputStatistics.rowCount
    producer: str | None
    schema_url: str | None
    facets: dict
    warnings: tuple[str, ...]  # non-fatal problems: missing producer, ignored facets

    @property
    def state(self) -> str | None:
        """The run state this event reports; None for OTHER (no state change)."""
        return _STATES[self.event_type]

    @property
    def dedup_key(self) -> tuple[str, str, datetime]:
        """Equal for repeated deliveries of one event, so storing it again changes nothing."""
        return (self.run_id, self.event_type, self.event_time)


def parse_event(obj: object, where: str = "event") -> LineageEvent:
    """Validate one decoded JSON value as a RunEvent; raise EventError saying what is wrong."""
    if not isinstance(obj, dict):
        raise EventError(where, f"event is {kind(obj)}, not an object")
    placeholders, problem = scan_event(obj)
    if problem:
        raise EventError(where, problem)
    if placeholders:
        raise EventError(where, placeholder_reason(placeholders))

    problems: list[str] = []
    event_type = _event_type(obj.get("eventType"), problems)
    event_time = _event_time(obj.get("eventTime"), problems)
    run = obj.get("run")
    job = obj.get("job")
    if run is None and "dataset" in obj:
        problems.append("not a run event (a DatasetEvent has no run)")
    elif run is not None and not isinstance(run, dict):
        problems.append(f"run is {kind(run)}, not an object")
    run_id = uuid_field(field(run, "runId"), "run.runId", problems)
    if job is not None and not isinstance(job, dict):
        problems.append(f"job is {kind(job)}, not an object")
    namespace = text_field(field(job, "namespace"), "job.namespace", problems)
    job_name = text_field(field(job, "name"), "job.name", problems)
    if problems:
        raise EventError(where, "; ".join(problems))
    assert event_type is not None and event_time is not None
    assert run_id is not None and namespace is not None and job_name is not None

    warnings: list[str] = []
    producer = _optional_text(obj, "producer", warnings)
    schema_url = _optional_text(obj, "schemaURL", warnings)
    run_facets = facets_of(run, "run.facets", warnings)
    job_facets = facets_of(job, "job.facets", warnings)
    return LineageEvent(
        event_type=event_type,
        event_time=event_time,
        run_id=run_id,
        namespace=namespace,
        job_name=job_name,
        parent=parent_of(run_facets, run_id, warnings),
        error_message=error_message_of(run_facets, warnings),
        rows_out=rows_out_of(obj.get("outputs"), warnings),
        producer=producer,
        schema_url=schema_url,
        # A copy, so the frozen event never shares dicts with the caller; scan_event made it safe.
        facets=json.loads(json.dumps({"run": run_facets, "job": job_facets})),
        warnings=tuple(warnings),
    )


def _event_type(value: object, problems: list[str]) -> str | None:
    if value is None:
        problems.append("missing eventType")
    elif not isinstance(value, str):
        problems.append(f"eventType is {kind(value)}, not a string")
    elif value not in _STATES:
        hint = f" (did you mean '{value.upper()}'?)" if value.upper() in _STATES else ""
        allowed = ", ".join(EVENT_TYPES)
        problems.append(f"eventType {show(value)} is not one of {allowed}{hint}")
    else:
        return value
    return None


def _event_time(value: object, problems: list[str]) -> datetime | None:
    if value is None:
        problems.append("missing eventTime")
        return None
    if not isinstance(value, str):
        problems.append(f"eventTime is {kind(value)}, not a string")
        return None
    match = _TIME_RE.fullmatch(value)
    if match is None:
        problems.append(f"eventTime {show(value)} is not an ISO 8601 date-time")
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    if not zulu and not sign:
        problems.append(f"eventTime {show(value)} has no UTC offset")
        return None
    try:
        offset = timedelta(0)
        if sign:
            offset = timedelta(hours=int(off_h), minutes=int(off_m))
            if int(off_m) >= 60:
                raise ValueError("offset minutes")
            offset = -offset if sign == "-" else offset
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        local = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro,
            tzinfo=timezone(offset),
        )  # fmt: skip
        return local.astimezone(UTC)
    except (ValueError, OverflowError):
        problems.append(f"eventTime {show(value)} is not a valid date-time")
        return None


def _optional_text(event: dict, key: str, warnings: list[str]) -> str | None:
    value = event.get(key)
    if value is None:
        warnings.append(f"missing {key}")
    elif not isinstance(value, str):
        warnings.append(f"{key} is {kind(value)}, not a string; ignored")
    else:
        return value
    return None
