"""GPU-hours: how much of a story's compute budget its runs have spent.

A run's GPU count is its `mlboard.gpus` tag when set (for clusters that log no system metrics),
else the number of distinct GPUs in MLflow's system metrics (`system/gpu_<i>_…`, and
`system/<node>/gpu_<i>_…` for runs on several nodes), else 0. GPU-hours are that count × the
run's duration, measured as of a moment: a running run counts up to it, and time after it does
not count yet (the standup asks "as of the last standup" too). A parent run with children — a
sweep driver — counts through its children only: its own time overlaps theirs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

GPUS_TAG = "mlboard.gpus"
_SYSTEM_GPU = re.compile(r"system/(?:(?P<node>[^/]+)/)?gpu_(?P<index>\d+)_")
_MS_PER_HOUR = 3_600_000


def tagged_gpus(text: str | None) -> int | None:
    """The `mlboard.gpus` tag as a GPU count: a whole number ≥ 0 (`"4"`, `" 2 "`); anything
    else (absent, empty, `"two"`, `"-1"`, `"0.5"`) is None, and the system metrics decide."""
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdecimal() else None


def system_gpus(metric_names: Iterable[str]) -> int:
    """Distinct GPUs (node, index) that MLflow's system metrics monitor logged for a run."""
    found = {
        (match["node"], match["index"])
        for name in metric_names
        if (match := _SYSTEM_GPU.match(name)) is not None
    }
    return len(found)


def gpu_count(tags: Mapping[str, str], metric_names: Iterable[str]) -> int:
    """The tag when it holds a count, else the system metrics' GPUs, else 0."""
    tagged = tagged_gpus(tags.get(GPUS_TAG))
    return tagged if tagged is not None else system_gpus(metric_names)


@dataclass(frozen=True, slots=True)
class ComputeRun:
    """What GPU-hours need of a run: identity, nesting, state, times (epoch ms) and GPUs."""

    run_id: str
    parent_run_id: str | None
    status: str
    start_ms: int | None
    end_ms: int | None
    gpus: int


def duration_ms(run: ComputeRun, as_of_ms: int) -> int:
    """Time the run had run by `as_of_ms`: from its start to its end, or to `as_of_ms` if it
    is still RUNNING or ended later. 0 without a start, for a run starting later, or for one
    that stopped without an end time."""
    if run.start_ms is None or run.start_ms >= as_of_ms:
        return 0
    end = run.end_ms
    if end is None:
        if run.status.upper() != "RUNNING":
            return 0
        end = as_of_ms
    return max(0, min(end, as_of_ms) - run.start_ms)


def gpu_hours(run: ComputeRun, as_of_ms: int) -> float:
    return run.gpus * duration_ms(run, as_of_ms) / _MS_PER_HOUR


@dataclass(frozen=True, slots=True)
class ComputeUse:
    """GPU-hours spent, and how many runs spent them (runs with GPUs and some time run)."""

    gpu_hours: float
    runs_counted: int


def compute_used(runs: Iterable[ComputeRun], as_of_ms: int) -> ComputeUse:
    """GPU-hours of `runs` as of `as_of_ms`. A run that is the parent of another run in the
    list is not counted itself (its children are); a run listed twice counts once."""
    unique = {run.run_id: run for run in runs}
    parents = {run.parent_run_id for run in unique.values() if run.parent_run_id}
    counted = [run for run in unique.values() if run.run_id not in parents and run.gpus > 0]
    spent = [gpu_hours(run, as_of_ms) for run in counted]
    return ComputeUse(sum(spent, 0.0), sum(1 for hours in spent if hours > 0))


def over_budget(used: float, budget: float | None) -> bool:
    """Spent more than the budget; a story without a budget is never over it."""
    return budget is not None and used > budget
