"""Flow times of finished stories: lead time and cycle time, summarised per story kind.

Definitions follow Jira's control chart and ActionableAgile's cycle-time scatterplot: lead time
runs from creation to completion, cycle time from the first moment work started to completion.
A story that was reopened is measured to its *last* entry into done, and the time it spent
reopened is included.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from mlboard.analytics.history import (
    SprintSpan,
    StoryTimeline,
    kind_order,
    sprint_members,
    sprint_started,
)
from mlboard.analytics.stats import Summary, summarize
from mlboard.domain import StoryStatus

_DAY_SECONDS = 86_400.0
JUST_BEFORE = timedelta(microseconds=1)  # a sprint's close moves its unfinished stories out


def days_between(start: datetime, end: datetime) -> float:
    """Elapsed calendar time in days (fractional; weekends and nights included)."""
    return (end - start).total_seconds() / _DAY_SECONDS


@dataclass(frozen=True, slots=True)
class FlowItem:
    """One finished story's flow: `started_at`/`cycle_days` are None if it was never started."""

    key: str
    kind: str
    created_at: datetime
    started_at: datetime | None
    done_at: datetime
    lead_days: float
    cycle_days: float | None


@dataclass(frozen=True, slots=True)
class KindFlow:
    """Lead and cycle time of one kind: count, median and 85th percentile, in days."""

    kind: str
    lead: Summary
    cycle: Summary


def flow_item(
    timeline: StoryTimeline, *, start_status: str = StoryStatus.IN_PROGRESS
) -> FlowItem | None:
    """The story's lead and cycle time, or None unless it is done now.

    done_at: the story's last entry into done.
    lead time = done_at − created_at.
    cycle time = done_at − first entry into `start_status` (in_progress); None when the story
    never entered it (e.g. moved straight to done), so it is left out of cycle statistics.
    """
    if not timeline.is_done:
        return None
    done_at = timeline.last_entry(StoryStatus.DONE)
    if done_at is None:  # inconsistent events; trust the story's own record
        done_at = timeline.facts.done_at or timeline.created_at
    started = timeline.first_entry(start_status)
    if started is not None and started > done_at:
        started = None
    return FlowItem(
        key=timeline.key,
        kind=timeline.facts.kind,
        created_at=timeline.created_at,
        started_at=started,
        done_at=done_at,
        lead_days=days_between(timeline.created_at, done_at),
        cycle_days=None if started is None else days_between(started, done_at),
    )


def flow_items(
    timelines: Iterable[StoryTimeline],
    *,
    done_since: datetime | None = None,
    done_until: datetime | None = None,
    start_status: str = StoryStatus.IN_PROGRESS,
) -> list[FlowItem]:
    """Flow of every story done now, optionally only those done in [done_since, done_until)."""
    items: list[FlowItem] = []
    for tl in timelines:
        item = flow_item(tl, start_status=start_status)
        if item is None:
            continue
        if done_since is not None and item.done_at < done_since:
            continue
        if done_until is not None and item.done_at >= done_until:
            continue
        items.append(item)
    return items


def sprint_flow(
    sprint: SprintSpan, timelines: Iterable[StoryTimeline], until: datetime
) -> list[FlowItem]:
    """Flow of the stories done in `sprint`: in it just before `until` (its close, or now for
    the active sprint) and last done between its start and `until`."""
    before = until - JUST_BEFORE
    held = [
        tl
        for tl in sprint_members(timelines, sprint.name)
        if tl.value_at("sprint", before) == sprint.name
    ]
    return flow_items(held, done_since=sprint_started(sprint), done_until=until)


def summarize_flow(kind: str, items: Iterable[FlowItem]) -> KindFlow:
    """Count, median and 85th percentile of lead and cycle days.

    Percentiles use linear interpolation between closest ranks (`stats.percentile`: rank
    p/100 × (n − 1) over the sorted values), so the median is the usual one.
    """
    chosen = list(items)
    return KindFlow(
        kind=kind,
        lead=summarize(item.lead_days for item in chosen),
        cycle=summarize(item.cycle_days for item in chosen if item.cycle_days is not None),
    )


def flow_by_kind(items: Iterable[FlowItem]) -> dict[str, KindFlow]:
    """`summarize_flow` per story kind, kinds in StoryKind order."""
    grouped: dict[str, list[FlowItem]] = defaultdict(list)
    for item in items:
        grouped[item.kind].append(item)
    return {kind: summarize_flow(kind, grouped[kind]) for kind in sorted(grouped, key=kind_order)}
