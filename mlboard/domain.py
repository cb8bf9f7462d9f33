"""The words of the product: story kinds, statuses, sensitivity labels and metric targets.

Every layer (store, services, analytics, CLI, TUI) speaks these names, so they live in one small
module with no dependencies. Enum values are the strings users type and scripts read in JSON.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)

# The MLflow run tag that says which story a run is for: written by training code
# (`mlboard.tracking`), by a link made on the board, and read by every sync.
STORY_TAG = "mlboard.story"


class StoryKind(StrEnum):
    EXPERIMENT = "experiment"
    DATA = "data"
    MODEL = "model"
    INFRA = "infra"
    DEPLOY = "deploy"
    RESEARCH = "research"
    BUG = "bug"


class StoryStatus(StrEnum):
    """The workflow, in board order. `next`/`previous` walk it one column at a time."""

    BACKLOG = "backlog"
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    REVIEW = "review"
    DONE = "done"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    def step(self, offset: int) -> StoryStatus | None:
        """The status `offset` columns away, or None past either end of the workflow."""
        order = list(StoryStatus)
        index = order.index(self) + offset
        return order[index] if 0 <= index < len(order) else None


STATUS_LABELS = {
    StoryStatus.BACKLOG: "Backlog",
    StoryStatus.TODO: "To Do",
    StoryStatus.IN_PROGRESS: "In Progress",
    StoryStatus.REVIEW: "Review",
    StoryStatus.DONE: "Done",
}


class Sensitivity(StrEnum):
    """Data sensitivity, lowest first: a story inherits the highest label of what it touches."""

    NONE = "none"
    INTERNAL = "internal"
    PERSONAL = "personal"
    SPECIAL_CATEGORY = "special_category"


class SprintState(StrEnum):
    FUTURE = "future"
    ACTIVE = "active"
    CLOSED = "closed"


def parse_choice(enum: type[E], text: str, what: str) -> E:
    """Read a user's word as a member of `enum`, or raise ValueError listing the valid words.

    Dashes and spaces are accepted for underscores (`in-progress`, `In Progress`) because that is
    how people type statuses after years of Jira.
    """
    normalised = re.sub(r"[\s-]+", "_", text.strip().lower())
    try:
        return enum(normalised)
    except ValueError:
        choices = ", ".join(member.value for member in enum)
        raise ValueError(f"unknown {what} {text!r} (choose from {choices})") from None


def format_number(value: float) -> str:
    """The shortest text that reads back as the same float, without a needless `.0`."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True, slots=True)
class Target:
    """A metric goal such as `val_f1 >= 0.82`: the metric, a comparison and a threshold."""

    metric: str
    op: str
    value: float

    @property
    def maximize(self) -> bool:
        """Whether bigger is better: `>=`/`>` targets climb, `<=`/`<` targets descend."""
        return self.op in (">=", ">")

    def is_met(self, observed: float) -> bool:
        match self.op:
            case ">=":
                return observed >= self.value
            case ">":
                return observed > self.value
            case "<=":
                return observed <= self.value
            case _:
                return observed < self.value

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {format_number(self.value)}"

    def as_json(self) -> dict[str, str | float]:
        return {"metric": self.metric, "op": self.op, "value": self.value}


# MLflow metric keys may hold letters, digits, underscores, dashes, periods, spaces and slashes;
# spaces are left out here so that the grammar stays unambiguous.
_TARGET = re.compile(
    r"""\s*(?P<metric>[A-Za-z_][A-Za-z0-9_.\-/]*)
        \s*(?P<op>>=|<=|>|<)
        \s*(?P<value>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*""",
    re.VERBOSE,
)


def parse_target(text: str) -> Target:
    """Parse `metric op number` (ops `>=`, `>`, `<=`, `<`); raise ValueError saying what is wrong.

    A regular grammar, never `eval`: targets come from users and from imported files.
    """
    match = _TARGET.fullmatch(text)
    if match is None:
        raise ValueError(
            f"invalid target {text!r}: write it as 'metric op number', e.g. 'val_f1 >= 0.82' "
            "(ops: >=, >, <=, <)"
        )
    value = float(match["value"])
    if not math.isfinite(value):
        raise ValueError(f"invalid target {text!r}: the threshold must be a finite number")
    return Target(match["metric"], match["op"], value)


def iso(moment: date | None) -> str | None:
    """A date or moment as the JSON output writes it (ISO 8601, with its offset), or None."""
    return None if moment is None else moment.isoformat()
