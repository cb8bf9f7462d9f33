"""A story's past rebuilt from its field-change events: the input every analytic reads.

The store never rewrites a story in place; each change of a field is an event with the old and
the new value as text. `StoryTimeline` indexes one story's events once so that "what was field F
at time T" is a binary search, which keeps the analytics fast on thousands of stories.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from operator import attrgetter

from mlboard.domain import StoryKind, StoryStatus


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One event: `field` of `story` went from `old` to `new` (text, None = empty) at `at` (UTC).

    Creating a story writes a single `created` event with old=None and new=None.
    """

    story: str
    at: datetime
    field: str
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True)
class StoryFacts:
    """A story as it is now."""

    key: str
    kind: str
    status: str
    points: float | None
    sprint: str | None
    assignee: str | None
    created_at: datetime
    done_at: datetime | None
    timebox_days: float | None


@dataclass(frozen=True, slots=True)
class SprintSpan:
    """A sprint's planned dates (`end` is the inclusive last day) and actual start and close."""

    name: str
    start: date
    end: date
    started_at: datetime | None
    closed_at: datetime | None
    state: str


def format_points(points: float | None) -> str | None:
    """Points as the store writes them in events: `3`, `2.5`, or None when unestimated."""
    if points is None:
        return None
    return str(int(points)) if float(points).is_integer() else repr(float(points))


def parse_points(text: str | None) -> float | None:
    """Points from event text; None for empty or unreadable text (counted as unestimated)."""
    if text is None or not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


_TEXT_FIELDS = ("kind", "status", "sprint", "assignee")


def current_text(facts: StoryFacts, field: str) -> str | None:
    """The story's present value of `field` as event text (None for fields it does not have)."""
    if field == "points":
        return format_points(facts.points)
    if field == "timebox_days":
        return format_points(facts.timebox_days)
    if field in _TEXT_FIELDS:
        value = getattr(facts, field)
        return None if value is None else str(value)
    return None


class StoryTimeline:
    """One story's facts plus its events indexed per field, for `value_at` by binary search."""

    __slots__ = ("_changes", "_seen", "_times", "facts")

    def __init__(self, facts: StoryFacts, changes: Iterable[FieldChange]) -> None:
        by_field: dict[str, list[FieldChange]] = defaultdict(list)
        for change in sorted(changes, key=attrgetter("at")):
            if change.story != facts.key:
                raise ValueError(f"event of {change.story} given to the timeline of {facts.key}")
            if change.field != "created":
                by_field[change.field].append(change)
        self.facts = facts
        self._changes: dict[str, list[FieldChange]] = dict(by_field)
        self._times = {field: [c.at for c in cs] for field, cs in by_field.items()}
        self._seen: dict[str, set[str | None]] = {}

    @property
    def key(self) -> str:
        return self.facts.key

    @property
    def created_at(self) -> datetime:
        return self.facts.created_at

    def changes(self, field: str) -> Sequence[FieldChange]:
        """The changes of `field`, oldest first (never the `created` event)."""
        return self._changes.get(field, ())

    def value_at(self, field: str, t: datetime) -> str | None:
        """The value of `field` at time `t`, as event text, in O(log n).

        Definition (the store's convention): for t >= created_at, the `new` of the last change of
        the field at or before t; if there is none, the `old` of the first change after t; if the
        field never changed, the story's current value. A story does not exist before created_at:
        None. Changes at the same instant keep their given order.
        """
        if t < self.facts.created_at:
            return None
        changes = self._changes.get(field)
        if not changes:
            return current_text(self.facts, field)
        index = bisect_right(self._times[field], t)
        return changes[index - 1].new if index else changes[0].old

    def initial(self, field: str) -> str | None:
        """The value of `field` when the story was created."""
        changes = self._changes.get(field)
        return changes[0].old if changes else current_text(self.facts, field)

    def ever(self, field: str, value: str) -> bool:
        """Whether `field` ever held `value` (now, initially, or in between)."""
        seen = self._seen.get(field)
        if seen is None:
            seen = {current_text(self.facts, field)}
            for change in self._changes.get(field, ()):
                seen.add(change.old)
                seen.add(change.new)
            self._seen[field] = seen
        return value in seen

    def points_at(self, t: datetime) -> float:
        """Estimate at `t`; unestimated (or not yet created) counts 0."""
        return parse_points(self.value_at("points", t)) or 0.0

    def entries(self, status: str) -> list[datetime]:
        """Every moment the story entered `status`: creation if it started there, then each
        status change whose new value is `status` (from a different value)."""
        moments = [self.facts.created_at] if self.initial("status") == status else []
        moments += [c.at for c in self.changes("status") if c.new == status and c.old != status]
        return moments

    def first_entry(self, status: str) -> datetime | None:
        entries = self.entries(status)
        return entries[0] if entries else None

    def last_entry(self, status: str) -> datetime | None:
        entries = self.entries(status)
        return entries[-1] if entries else None

    @property
    def is_done(self) -> bool:
        return self.facts.status == StoryStatus.DONE

    def __repr__(self) -> str:
        count = sum(len(cs) for cs in self._changes.values())
        return f"StoryTimeline({self.key!r}, {count} changes)"


def build_timelines(
    facts: Iterable[StoryFacts], changes: Iterable[FieldChange]
) -> dict[str, StoryTimeline]:
    """Index every story's events once (O(E log E)); events of unknown stories are ignored."""
    stories = {f.key: f for f in facts}
    grouped: dict[str, list[FieldChange]] = {key: [] for key in stories}
    for change in changes:
        bucket = grouped.get(change.story)
        if bucket is not None:
            bucket.append(change)
    return {key: StoryTimeline(stories[key], grouped[key]) for key in stories}


def sprint_members(timelines: Iterable[StoryTimeline], sprint: str) -> list[StoryTimeline]:
    """The stories that were ever in `sprint` (the only ones a sprint's charts need to read)."""
    return [tl for tl in timelines if tl.ever("sprint", sprint)]


def sprint_points(
    timelines: Iterable[StoryTimeline], sprint: str, t: datetime, *, done_only: bool = False
) -> float:
    """Sum of points at `t` of the stories in `sprint` at `t` (only done ones if `done_only`)."""
    total = 0.0
    for tl in timelines:
        if tl.value_at("sprint", t) != sprint:
            continue
        if done_only and tl.value_at("status", t) != StoryStatus.DONE:
            continue
        total += tl.points_at(t)
    return total


def sprint_started(sprint: SprintSpan) -> datetime:
    """When the sprint started: `started_at`, else the first moment (UTC) of its start date."""
    if sprint.started_at is not None:
        return sprint.started_at
    return datetime.combine(sprint.start, time.min, tzinfo=UTC)


def sprint_closed(sprint: SprintSpan) -> datetime:
    """When the sprint ended: `closed_at`, else the end (UTC) of its inclusive last day."""
    if sprint.closed_at is not None:
        return sprint.closed_at
    return datetime.combine(sprint.end + timedelta(days=1), time.min, tzinfo=UTC)


_KIND_ORDER = {kind.value: index for index, kind in enumerate(StoryKind)}


def kind_order(kind: str) -> tuple[int, str]:
    """Sort key listing kinds in StoryKind order, unknown kinds after them alphabetically."""
    return (_KIND_ORDER.get(kind, len(_KIND_ORDER)), kind)
