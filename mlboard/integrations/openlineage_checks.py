"""What every part of an OpenLineage event is checked against, and how reasons quote it.

An event must be plain JSON (no NaN/Infinity, no unpaired surrogates, which SQLite cannot store,
no deeper than `MAX_DEPTH` levels) and hold no template placeholders (`{{RUN_START_TIME}}`,
`{{ any(result) }}`: test-fixture text, not data). In the identifying fields (eventType,
eventTime, run/job ids and names, parent ids, producer, schemaURL) any `{{...}}` counts; in
facets only a string that is *entirely* a placeholder does, so that real text which merely
quotes Jinja (a dbt error message, raw SQL) is kept. `scan_event` walks the event once for both.

Required fields are read with `uuid_field` and `text_field`, which add a problem to a list
instead of raising, so one reason can name every problem of an event. Reasons quote bad values
with `show` and name places with `dotted`: clipped, control characters escaped.
"""

from __future__ import annotations

import math
import re

__all__ = [
    "MAX_DEPTH",
    "EventError",
    "dotted",
    "field",
    "kind",
    "placeholder_reason",
    "scan_event",
    "show",
    "text_field",
    "uuid_field",
]

MAX_DEPTH = 128  # real events nest about 10 levels; this keeps json.dumps downstream safe

_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
_PLACEHOLDER_IN = re.compile(r"\{\{.*?\}\}", re.S)
_PLACEHOLDER_WHOLE = re.compile(r"\s*\{\{.*\}\}\s*", re.S)
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SHOW = 60  # characters of a bad value quoted in a reason
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


# --- the whole event -------------------------------------------------------------------------


def scan_event(event: dict) -> tuple[list[tuple[_Path, str]], str | None]:
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
                return found, f"{dotted(path)} holds an unpaired surrogate, not valid Unicode"
            if "{{" in value and _is_placeholder(path, value):
                found.append((path, value))
        elif isinstance(value, dict):
            if len(path) >= MAX_DEPTH:
                return found, f"{dotted(path)} is nested more than {MAX_DEPTH} levels deep"
            children: list[tuple[object, _Path]] = []
            for key, item in value.items():
                if not isinstance(key, str):
                    return found, f"{dotted(path)} has a key that is not a string"
                if not key.isascii() and _SURROGATE.search(key):
                    return found, f"{dotted(path)} has a key with an unpaired surrogate"
                children.append((item, (*path, key)))
            stack.extend(reversed(children))
        elif isinstance(value, list):
            if len(path) >= MAX_DEPTH:
                return found, f"{dotted(path)} is nested more than {MAX_DEPTH} levels deep"
            stack.extend((item, (*path, i)) for i, item in reversed(list(enumerate(value))))
        elif isinstance(value, float):
            if not math.isfinite(value):
                return found, f"{dotted(path)} is {value!r}, which JSON cannot hold"
        elif isinstance(value, int):  # bool is an int too
            if value.bit_length() > _MAX_INT_BITS:
                return found, f"{dotted(path)} is an integer too long to write as JSON"
        elif value is not None:
            return found, f"{dotted(path)} is a Python {type(value).__name__}, not a JSON value"
    return found, None


def _is_placeholder(path: _Path, value: str) -> bool:
    if path in _CORE_RANK:
        return _PLACEHOLDER_IN.search(value) is not None
    return _PLACEHOLDER_WHOLE.fullmatch(value) is not None


def placeholder_reason(found: list[tuple[_Path, str]]) -> str:
    """The reason naming the first placeholder (identifying fields first) and how many more."""
    ordered = sorted(found, key=lambda item: _CORE_RANK.get(item[0], len(_CORE_RANK)))
    path, value = ordered[0]
    reason = f"{dotted(path)} {show(value)} is a template placeholder"
    others = [dotted(p) for p, _ in ordered[1:]]
    if others:
        listed = ", ".join(others[:2])
        more = f" and {len(others) - 2} more" if len(others) > 2 else ""
        reason += f" (also in {listed}{more})"
    return reason


# --- required fields -------------------------------------------------------------------------


def field(container: object, key: str) -> object:
    """`container[key]` when the container is an object, else None (reported as missing)."""
    return container.get(key) if isinstance(container, dict) else None


def uuid_field(value: object, name: str, problems: list[str]) -> str | None:
    """A UUID in canonical 8-4-4-4-12 form, lower-cased so re-sent events match; else None
    and a problem naming `name`."""
    if value is None:
        problems.append(f"missing {name}")
    elif not isinstance(value, str):
        problems.append(f"{name} is {kind(value)}, not a string")
    elif _UUID_RE.fullmatch(value) is None:
        problems.append(f"{name} {show(value)} is not a UUID")
    else:
        return value.lower()
    return None


def text_field(value: object, name: str, problems: list[str]) -> str | None:
    """A non-blank string; else None and a problem naming `name`."""
    if value is None:
        problems.append(f"missing {name}")
    elif not isinstance(value, str):
        problems.append(f"{name} is {kind(value)}, not a string")
    elif not value.strip():
        problems.append(f"{name} is empty")
    else:
        return value
    return None


# --- quoting ---------------------------------------------------------------------------------


def kind(value: object) -> str:
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


def show(value: str) -> str:
    """Quote a bad value for a reason: clipped, control characters escaped."""
    if not value.isprintable():
        value = repr(value[: _SHOW * 2])[1:-1]
    if len(value) > _SHOW:
        value = value[: _SHOW - 1] + "…"
    return f"'{value}'"


def dotted(path: _Path) -> str:
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
