"""An OpenLineage file or request body: one event, an array of events, or JSON lines.

`mlboard pipeline ingest` and `mlboard pipeline serve` call `parse_payload` and store the valid
events that come back; each invalid one comes back as an EventError naming where it was.
"""

from __future__ import annotations

import json

from mlboard.integrations.openlineage_checks import EventError, kind
from mlboard.integrations.openlineage_event import LineageEvent, parse_event

__all__ = ["parse_payload"]


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
        reason = f"expected an event object, an array of events or JSON lines, got {kind(value)}"
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
