"""How each editable story field is read from text, checked, stored and written to history.

The CLI, the TUI form and the importers all hand over text; one parser per field keeps the rules
(and their error messages) identical everywhere.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlboard.domain import (
    Sensitivity,
    StoryKind,
    StoryStatus,
    format_number,
    parse_choice,
    parse_target,
)
from mlboard.errors import UserError
from mlboard.text_safety import single_line

MAX_TITLE = 500


def _title(text: str) -> str:
    title = single_line(text)
    if not title:
        raise ValueError("must not be empty")
    if len(title) > MAX_TITLE:
        raise ValueError(f"is {len(title)} characters long; the limit is {MAX_TITLE}")
    return title


def _amount(text: str) -> float | None:
    """A non-negative number, or None for an empty value (not estimated)."""
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"must be a number, got {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"must be a number >= 0, got {text!r}")
    return value


def _description(text: str) -> str:
    """Free text keeps its line breaks and tabs; other control characters become spaces."""
    return "".join(
        " " if unicodedata.category(ch) == "Cc" and ch not in "\n\t" else ch for ch in text
    )


def _reason(text: str) -> str | None:
    return single_line(text) or None


def _target(text: str) -> str | None:
    if not text.strip():
        return None
    return str(parse_target(text))


def _optional_text(text: str) -> str | None:
    return text.strip() or None


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """`parse` turns user text into the stored value; `column` is where it lives on Story."""

    name: str
    parse: Callable[[str], Any]
    column: str


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        FieldSpec("title", _title, "title"),
        FieldSpec("description", _description, "description"),
        FieldSpec("kind", lambda text: parse_choice(StoryKind, text, "kind").value, "kind"),
        FieldSpec("status", lambda text: parse_choice(StoryStatus, text, "status").value, "status"),
        FieldSpec("points", _amount, "points"),
        FieldSpec("estimate_low", _amount, "estimate_low"),
        FieldSpec("estimate_high", _amount, "estimate_high"),
        FieldSpec("timebox_days", _amount, "timebox_days"),
        FieldSpec("gpu_hours", _amount, "gpu_hours"),
        FieldSpec("target", _target, "target"),
        FieldSpec(
            "sensitivity",
            lambda text: parse_choice(Sensitivity, text, "sensitivity").value,
            "sensitivity",
        ),
        # Resolved against the database by the service: here only emptiness is decided.
        FieldSpec("assignee", _optional_text, "assignee_id"),
        FieldSpec("sprint", _optional_text, "sprint_id"),
        FieldSpec("blocked", _reason, "blocked_reason"),
    )
}


def parse_field(field: str, text: str) -> Any:
    """The stored value of `field` from user text; a bad field or value is a UserError."""
    spec = FIELDS.get(field)
    if spec is None:
        raise UserError(f"unknown story field {field!r} (fields: {', '.join(FIELDS)})")
    try:
        return spec.parse(text)
    except ValueError as error:
        raise UserError(f"{field}: {error}") from None


def as_event_text(value: object) -> str | None:
    """How a stored value is written into a story's history."""
    if value is None or value == "":
        return None
    if isinstance(value, float):
        return format_number(value)
    return str(value)
