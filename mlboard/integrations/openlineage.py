"""Parse and validate OpenLineage run events; roll them up per run.

Pure standard library: no database, no HTTP. `mlboard pipeline ingest` and `mlboard pipeline
serve` call `parse_payload` on a file or request body and store what comes back.

What counts as valid (https://openlineage.io/spec, RunEvent):

* required: `eventType` (one of START, RUNNING, COMPLETE, FAIL, ABORT, OTHER — upper-case only,
  as the spec's enum spells them), `eventTime`, `run.runId`, `job.namespace`, `job.name`.
* `eventTime` is an RFC 3339 date-time *with* an offset (`Z`, `+00:00`, `+10:00`, `+1000`),
  seconds required, 1-9 fractional digits (nanoseconds are truncated to microseconds, never
  rounded). It comes out timezone-aware in UTC.
* `run.runId` (and a parent's `run.runId`) must be a UUID in the canonical 8-4-4-4-12 hex form,
  any version; it is normalised to lower case so that re-sent events match.
* `producer` / `schemaURL` are required by the spec, but real dbt test files lack them: a missing
  one is a warning on the event, not an error. Problems in optional facets (a parent facet
  without `run.runId`, a `rowCount` that is not a non-negative integer) are warnings too; the
  facet stays in `facets` but is not interpreted.
* Template placeholders (`{{RUN_START_TIME}}`, `{{ any(result) }}`) are test-fixture text, not
  data: an event holding one is an error naming the field. In the identifying fields (eventType,
  eventTime, run/job ids and names, parent ids, producer, schemaURL) any `{{...}}` counts; in
  facets only a string that is *entirely* a placeholder does, so that real text which merely
  quotes Jinja (a dbt error message, raw SQL) is kept.
* The whole event must be plain JSON: no NaN/Infinity, no unpaired surrogates (SQLite cannot
  store them), no deeper than `MAX_DEPTH` levels. Any value whatsoever gives a LineageEvent or an
  EventError, never another exception; the tests fuzz this.

Unknown (vendor) facets are normal and kept verbatim in `LineageEvent.facets`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone

__all__ = [
    "EVENT_TYPES",
    "MAX_DEPTH",
    "EventError",
    "LineageEvent",
    "ParentRef",
    "RunRollup",
    "parse_event",
    "parse_payload",
    "roll_up",
]

EVENT_TYPES = ("START", "RUNNING", "COMPLETE", "FAIL", "ABORT", "OTHER")
MAX_DEPTH = 128  # real events nest about 10 levels; this keeps json.dumps downstream safe

_STATES = {
    "START": "running",
    "RUNNING": "running",
    "COMPLETE": "success",
    "FAIL": "failed",
    "ABORT": "aborted",
    "OTHER": None,
}
_TERMINAL = frozenset({"COMPLETE", "FAIL", "ABORT"})
# Tie-break for events with the same eventTime: a run starts before it ends.
_RANK = {"START": 0, "RUNNING": 1, "OTHER": 1, "COMPLETE": 2, "FAIL": 2, "ABORT": 2}

_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_TIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]{1,9}))?"
    r"(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))?"
)
_PLACEHOLDER_IN = re.compile(r"\{\{.*?\}\}", re.S)
_PLACEHOLDER_WHOLE = re.compile(r"\s*\{\{.*\}\}\s*", re.S)
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SHOW = 60  # characters of a bad value quoted in a reason
_MAX_ROWS = 2**63 - 1  # rows_out goes into a 64-bit INTEGER column
_MAX_INT_BITS = 14_000  # under Python's 4300-digit int/str limit, so json.dumps cannot fail

# Fields where any {{...}} is a placeholder, in the order reasons name them.
_CORE_PATHS: tuple[tuple[str, ...], ...] = (
    ("eventType",),
    ("eventTime",),
    ("run", "runId"),
    ("job", "namespace"),
    ("job", "name"),
    ("run", "facets", "parent", "run", "runId"),
    ("run", "facets", "parent", "job", "namespace"),
    ("run", "facets", "parent", "job", "name"),
    ("producer",),
    ("schemaURL",),
)
_CORE_RANK = {path: rank for rank, path in enumerate(_CORE_PATHS)}

_Path = tuple[str | int, ...]


class EventError(ValueError):
    """One invalid event: `where` names it (file, line/array index), `reason` says what is wrong."""

    where: str
    reason: str

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(where, reason)
        self.where = where
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"

    def __repr__(self) -> str:
        return f"EventError({self.where!r}, {self.reason!r})"


@dataclass(frozen=True, slots=True)
class ParentRef:
    """The run this run belongs to (`run.facets.parent`): a task's DAG run, a Spark app run."""

    namespace: str
    name: str
    run_id: str


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


# --- one event ---------------------------------------------------------------------------------


def parse_event(obj: object, where: str = "event") -> LineageEvent:
    """Validate one decoded JSON value as a RunEvent; raise EventError saying what is wrong."""
    if not isinstance(obj, dict):
        raise EventError(where, f"event is {_kind(obj)}, not an object")
    placeholders, problem = _scan(obj)
    if problem:
        raise EventError(where, problem)
    if placeholders:
        raise EventError(where, _placeholder_reason(placeholders))

    problems: list[str] = []
    event_type = _event_type(obj.get("eventType"), problems)
    event_time = _event_time(obj.get("eventTime"), problems)
    run = obj.get("run")
    job = obj.get("job")
    if run is None and "dataset" in obj:
        problems.append("not a run event (a DatasetEvent has no run)")
    elif run is not None and not isinstance(run, dict):
        problems.append(f"run is {_kind(run)}, not an object")
    run_id = _uuid(_field(run, "runId"), "run.runId", problems)
    if job is not None and not isinstance(job, dict):
        problems.append(f"job is {_kind(job)}, not an object")
    namespace = _text(_field(job, "namespace"), "job.namespace", problems)
    job_name = _text(_field(job, "name"), "job.name", problems)
    if problems:
        raise EventError(where, "; ".join(problems))
    assert event_type is not None and event_time is not None
    assert run_id is not None and namespace is not None and job_name is not None

    warnings: list[str] = []
    producer = _optional_text(obj, "producer", warnings)
    schema_url = _optional_text(obj, "schemaURL", warnings)
    run_facets = _facets(run, "run.facets", warnings)
    job_facets = _facets(job, "job.facets", warnings)
    return LineageEvent(
        event_type=event_type,
        event_time=event_time,
        run_id=run_id,
        namespace=namespace,
        job_name=job_name,
        parent=_parent(run_facets, run_id, warnings),
        error_message=_error_message(run_facets, warnings),
        rows_out=_rows_out(obj.get("outputs"), warnings),
        producer=producer,
        schema_url=schema_url,
        # A copy, so the frozen event never shares dicts with the caller; _scan made it safe.
        facets=json.loads(json.dumps({"run": run_facets, "job": job_facets})),
        warnings=tuple(warnings),
    )


def _scan(event: dict) -> tuple[list[tuple[_Path, str]], str | None]:
    """Walk the whole event (iteratively: depth cannot blow the stack).

    Return the placeholders found as (path, value) in document order, and the first reason the
    event is not plain JSON (or None).
    """
    found: list[tuple[_Path, str]] = []
    stack: list[tuple[object, _Path]] = [(event, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if not value.isascii() and _SURROGATE.search(value):
                return found, f"{_dotted(path)} holds an unpaired surrogate, not valid Unicode"
            if "{{" in value and _is_placeholder(path, value):
                found.append((path, value))
        elif isinstance(value, dict):
            if len(path) >= MAX_DEPTH:
                return found, f"{_dotted(path)} is nested more than {MAX_DEPTH} levels deep"
            children: list[tuple[object, _Path]] = []
            for key, item in value.items():
                if not isinstance(key, str):
                    return found, f"{_dotted(path)} has a key that is not a string"
                if not key.isascii() and _SURROGATE.search(key):
                    return found, f"{_dotted(path)} has a key with an unpaired surrogate"
                children.append((item, (*path, key)))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            if len(path) >= MAX_DEPTH:
                return found, f"{_dotted(path)} is nested more than {MAX_DEPTH} levels deep"
            stack.extend((item, (*path, i)) for i, item in reversed(list(enumerate(value))))
        elif isinstance(value, float):
            if not math.isfinite(value):
                return found, f"{_dotted(path)} is {value!r}, which JSON cannot hold"
        elif isinstance(value, int):  # bool is an int too
            if value.bit_length() > _MAX_INT_BITS:
                return found, f"{_dotted(path)} is an integer too long to write as JSON"
        elif value is not None:
            return found, f"{_dotted(path)} is a Python {type(value).__name__}, not a JSON value"
    return found, None


def _is_placeholder(path: _Path, value: str) -> bool:
    if path in _CORE_RANK:
        return _PLACEHOLDER_IN.search(value) is not None
    return _PLACEHOLDER_WHOLE.fullmatch(value) is not None


def _placeholder_reason(found: list[tuple[_Path, str]]) -> str:
    ordered = sorted(found, key=lambda item: _CORE_RANK.get(item[0], len(_CORE_RANK)))
    path, value = ordered[0]
    reason = f"{_dotted(path)} {_show(value)} is a template placeholder"
    others = [_dotted(p) for p, _ in ordered[1:]]
    if others:
        listed = ", ".join(others[:2])
        more = f" and {len(others) - 2} more" if len(others) > 2 else ""
        reason += f" (also in {listed}{more})"
    return reason


def _event_type(value: object, problems: list[str]) -> str | None:
    if value is None:
        problems.append("missing eventType")
    elif not isinstance(value, str):
        problems.append(f"eventType is {_kind(value)}, not a string")
    elif value not in _STATES:
        hint = f" (did you mean '{value.upper()}'?)" if value.upper() in _STATES else ""
        allowed = ", ".join(EVENT_TYPES)
        problems.append(f"eventType {_show(value)} is not one of {allowed}{hint}")
    else:
        return value
    return None


def _event_time(value: object, problems: list[str]) -> datetime | None:
    if value is None:
        problems.append("missing eventTime")
        return None
    if not isinstance(value, str):
        problems.append(f"eventTime is {_kind(value)}, not a string")
        return None
    match = _TIME_RE.fullmatch(value)
    if match is None:
        problems.append(f"eventTime {_show(value)} is not an ISO 8601 date-time")
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    if not zulu and not sign:
        problems.append(f"eventTime {_show(value)} has no UTC offset")
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
        problems.append(f"eventTime {_show(value)} is not a valid date-time")
        return None


def _field(container: object, key: str) -> object:
    return container.get(key) if isinstance(container, dict) else None


def _uuid(value: object, name: str, problems: list[str]) -> str | None:
    if value is None:
        problems.append(f"missing {name}")
    elif not isinstance(value, str):
        problems.append(f"{name} is {_kind(value)}, not a string")
    elif _UUID_RE.fullmatch(value) is None:
        problems.append(f"{name} {_show(value)} is not a UUID")
    else:
        return value.lower()
    return None


def _text(value: object, name: str, problems: list[str]) -> str | None:
    if value is None:
        problems.append(f"missing {name}")
    elif not isinstance(value, str):
        problems.append(f"{name} is {_kind(value)}, not a string")
    elif not value.strip():
        problems.append(f"{name} is empty")
    else:
        return value
    return None


def _optional_text(event: dict, key: str, warnings: list[str]) -> str | None:
    value = event.get(key)
    if value is None:
        warnings.append(f"missing {key}")
    elif not isinstance(value, str):
        warnings.append(f"{key} is {_kind(value)}, not a string; ignored")
    else:
        return value
    return None


def _facets(container: dict | None, name: str, warnings: list[str]) -> dict:
    facets = _field(container, "facets")
    if facets is None:
        return {}
    if not isinstance(facets, dict):
        warnings.append(f"{name} is {_kind(facets)}, not an object; ignored")
        return {}
    return facets


def _parent(run_facets: dict, run_id: str, warnings: list[str]) -> ParentRef | None:
    facet = run_facets.get("parent")
    if facet is None:
        return None
    name = "run.facets.parent"
    problems: list[str] = []
    parent_id = _uuid(_field(_field(facet, "run"), "runId"), f"{name}.run.runId", problems)
    job = _field(facet, "job")
    namespace = _text(_field(job, "namespace"), f"{name}.job.namespace", problems)
    job_name = _text(_field(job, "name"), f"{name}.job.name", problems)
    if parent_id == run_id:
        problems.append(f"{name} names the run itself")
    if problems:
        warnings.append("; ".join(problems) + "; parent ignored")
        return None
    assert parent_id is not None and namespace is not None and job_name is not None
    return ParentRef(namespace=namespace, name=job_name, run_id=parent_id)


def _error_message(run_facets: dict, warnings: list[str]) -> str | None:
    facet = run_facets.get("errorMessage")
    if facet is None:
        return None
    message = _field(facet, "message")
    if isinstance(message, str):
        return message
    warnings.append("run.facets.errorMessage has no string message; ignored")
    return None


def _rows_out(outputs: object, warnings: list[str]) -> int | None:
    if outputs is None:
        return None
    if not isinstance(outputs, list):
        warnings.append(f"outputs is {_kind(outputs)}, not an array; ignored")
        return None
    total: int | None = None
    for i, dataset in enumerate(outputs):
        stats = _field(_field(dataset, "outputFacets"), "outputStatistics")
        count = _field(stats, "rowCount")
        if count is None:
            continue
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= _MAX_ROWS:
            where = f"outputs[{i}].outputFacets.outputStatistics.rowCount"
            warnings.append(f"{where} is not an integer from 0 to 2**63-1; ignored")
            continue
        total = count if total is None else total + count
    if total is not None and total > _MAX_ROWS:
        warnings.append("outputs' rowCount sum exceeds 2**63-1; ignored")
        return None
    return total


def _kind(value: object) -> str:
    """Name a value's JSON type for a reason: 'an array', 'a number'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return f"a Python {type(value).__name__}"


def _show(value: str) -> str:
    """Quote a bad value for a reason: clipped, control characters escaped."""
    if not value.isprintable():
        value = repr(value[: _SHOW * 2])[1:-1]
    if len(value) > _SHOW:
        value = value[: _SHOW - 1] + "…"
    return f"'{value}'"


def _dotted(path: _Path) -> str:
    """`run.facets.parent.run.runId`, `outputs[0]`; odd keys quoted, long paths clipped."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
            continue
        if not part.isprintable() or not part or len(part) > _SHOW or "." in part:
            part = repr(part[:_SHOW])
        text += f".{part}" if text else part
    if len(text) > 2 * _SHOW:
        text = "…" + text[-2 * _SHOW :]
    return text or "event"


# --- a file or request body --------------------------------------------------------------------


def parse_payload(
    text: str | bytes, source: str = "<input>"
) -> tuple[list[LineageEvent], list[EventError]]:
    """Parse one event (an object), an array of events, or JSON lines (one event per line).

    Return the valid events in input order and one EventError per invalid one: `where` is
    `source` for a single object, `source[i]` for array element i, `source:n` for line n (1-based)
    of JSON lines. Input that is not JSON at all gives one EventError for the whole input, with
    the parser's line and column. Never raises for any str or bytes.
    """
    if isinstance(text, bytes | bytearray | memoryview):
        data = bytes(text)
        encoding = json.detect_encoding(data)
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            reason = f"not {encoding} text: undecodable byte at offset {exc.start}"
            return [], [EventError(source, reason)]
    elif not isinstance(text, str):
        raise TypeError(f"parse_payload needs str or bytes, not {type(text).__name__}")
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return [], [EventError(source, "empty input: no events")]

    value, reason = _loads(text)
    if reason is not None:
        if _looks_like_json_lines(text):
            return _parse_lines(text, source)
        return [], [EventError(source, f"not valid JSON: {reason}")]

    events: list[LineageEvent] = []
    errors: list[EventError] = []
    if isinstance(value, dict):
        _collect(value, source, events, errors)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _collect(item, f"{source}[{i}]", events, errors)
    else:
        reason = f"expected an event object, an array of events or JSON lines, got {_kind(value)}"
        errors.append(EventError(source, reason))
    return events, errors


def _parse_lines(text: str, source: str) -> tuple[list[LineageEvent], list[EventError]]:
    events: list[LineageEvent] = []
    errors: list[EventError] = []
    # Split on \n only: \u2028 and friends are legal inside JSON strings.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        where = f"{source}:{number}"
        value, reason = _loads(line, one_line=True)
        if reason is not None:
            errors.append(EventError(where, f"not valid JSON: {reason}"))
        else:
            _collect(value, where, events, errors)
    return events, errors


def _collect(value: object, where: str, events: list[LineageEvent], errors: list[EventError]):
    try:
        events.append(parse_event(value, where))
    except EventError as exc:
        errors.append(exc)


def _looks_like_json_lines(text: str) -> bool:
    """More than one non-blank line, the first of them a whole JSON value or looking like one."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) < 2:
        return False
    first = lines[0]
    return (first.startswith("{") and first.endswith("}")) or _loads(first)[1] is None


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not a JSON number")


def _loads(text: str, one_line: bool = False) -> tuple[object, str | None]:
    """json.loads that reports instead of raising: (value, None) or (None, reason)."""
    try:
        return json.loads(text, parse_constant=_reject_constant), None
    except json.JSONDecodeError as exc:
        where = f"column {exc.colno}" if one_line else f"line {exc.lineno} column {exc.colno}"
        return None, f"{exc.msg} at {where}"
    except RecursionError:
        return None, "nested too deeply"
    except ValueError as exc:  # NaN/Infinity, integers longer than Python's 4300-digit limit
        return None, str(exc).split(";")[0][:100]


# --- runs --------------------------------------------------------------------------------------


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
