"""Estimate accuracy for ML work: how points and timeboxes compare with the time stories took.

mlboard's own report (no tracker defines one), built on the flow definitions of `flow.flow_item`
(Jira's control chart / ActionableAgile): cycle time from first entry into in progress to last
entry into done, stories done now only. Research and experiments are often timeboxed rather than
estimated, so timebox overruns are reported next to points.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from mlboard.analytics.flow import flow_item
from mlboard.analytics.history import StoryTimeline, kind_order
from mlboard.domain import StoryStatus


@dataclass(frozen=True, slots=True)
class KindEstimates:
    """Estimate accuracy of one story kind (see `estimate_accuracy` for each definition)."""

    kind: str
    stories: int
    estimated: int
    mean_points: float | None
    median_cycle_days: float | None
    days_per_point: float | None
    timeboxed: int
    overran: int
    overrun_share: float | None


@dataclass(frozen=True, slots=True)
class _Row:
    points: float | None
    cycle_days: float | None
    timebox_days: float | None


def _summarize(kind: str, rows: list[_Row]) -> KindEstimates:
    points = [r.points for r in rows if r.points is not None]
    cycles = [r.cycle_days for r in rows if r.cycle_days is not None]
    per_point = [
        r.cycle_days / r.points
        for r in rows
        if r.cycle_days is not None and r.points is not None and r.points > 0
    ]
    boxed = [
        (r.cycle_days, r.timebox_days)
        for r in rows
        if r.cycle_days is not None and r.timebox_days is not None
    ]
    overran = sum(1 for cycle, timebox in boxed if cycle > timebox)
    return KindEstimates(
        kind=kind,
        stories=len(rows),
        estimated=len(points),
        mean_points=statistics.fmean(points) if points else None,
        median_cycle_days=statistics.median(cycles) if cycles else None,
        days_per_point=statistics.median(per_point) if per_point else None,
        timeboxed=len(boxed),
        overran=overran,
        overrun_share=overran / len(boxed) if boxed else None,
    )


def estimate_accuracy(
    timelines: Iterable[StoryTimeline], *, start_status: str = StoryStatus.IN_PROGRESS
) -> dict[str, KindEstimates]:
    """Per kind, over the stories done now:

    stories: how many; estimated: how many have points (current estimate);
    mean_points: arithmetic mean of points over estimated stories (unestimated left out);
    median_cycle_days: median cycle time in days (stories never started left out);
    days_per_point: median of cycle_days / points over stories with points > 0 and a cycle time;
    timeboxed: stories with a `timebox_days` and a cycle time; overran: of those, how many had
    cycle time > timebox; overrun_share = overran / timeboxed.
    Medians are `statistics.median` (mean of the two middle values for an even count), the same
    as `stats.percentile(…, 50)`.
    """
    grouped: dict[str, list[_Row]] = defaultdict(list)
    for tl in timelines:
        item = flow_item(tl, start_status=start_status)
        if item is None:
            continue
        facts = tl.facts
        grouped[facts.kind].append(_Row(facts.points, item.cycle_days, facts.timebox_days))
    return {kind: _summarize(kind, grouped[kind]) for kind in sorted(grouped, key=kind_order)}
