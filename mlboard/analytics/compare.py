"""Runs side by side: the parameters that differ, every metric, and the best run per metric.

A comparison answers "what changed between these runs, and did it help?": parameters equal in
every run are set aside (and counted), the rest are listed per run; metrics are listed per run
with the best one marked. Better is the story target's direction for the target metric, and
the name's for the others (`metric_pairs.higher_is_better`: loss, error, rmse, latency…
are lower-is-better, everything else higher). MLflow's system metrics (`system/…`: CPU, GPU,
memory) describe the machine, not the model, and have no best.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mlboard.analytics.metric_pairs import higher_is_better
from mlboard.domain import Target

SYSTEM_PREFIX = "system/"


@dataclass(frozen=True, slots=True)
class ComparedRun:
    """A run as a comparison reads it: its start (for ties), params and latest metrics."""

    run_id: str
    start_ms: int | None
    params: Mapping[str, str]
    metrics: Mapping[str, float | None]


@dataclass(frozen=True)
class RunDiff:
    """Lists are in the order of the runs given; `best` holds an index into them."""

    params: dict[str, list[str | None]]  # parameters whose values differ (None: not logged)
    params_same: dict[str, str]  # parameters logged with one value by every run
    metrics: dict[str, list[float | None]]  # the target metric first, then by name
    best: dict[str, int]
    maximize: dict[str, bool]


def maximize(metric: str, target: Target | None = None) -> bool:
    """Whether higher is better for `metric`: the target's direction for its metric, else the
    direction its name suggests."""
    if target is not None and metric == target.metric:
        return target.maximize
    return higher_is_better(metric)


def _best(values: Sequence[float | None], starts: Sequence[int | None], up: bool) -> int | None:
    """Index of the best finite value; ties go to the earliest start (none last), then the
    earlier position."""
    scored = [
        ((-value if up else value), start is None, start or 0, index)
        for index, (value, start) in enumerate(zip(values, starts, strict=True))
        if value is not None and math.isfinite(value)
    ]
    return min(scored)[3] if scored else None


def diff_runs(runs: Sequence[ComparedRun], target: Target | None = None) -> RunDiff:
    """Compare `runs` (see the module docstring). A parameter missing from some runs differs."""
    param_names = sorted({name for run in runs for name in run.params})
    params: dict[str, list[str | None]] = {}
    same: dict[str, str] = {}
    for name in param_names:
        values = [run.params.get(name) for run in runs]
        if values[0] is not None and all(value == values[0] for value in values):
            same[name] = values[0]
        else:
            params[name] = values
    names = sorted({name for run in runs for name in run.metrics})
    if target is not None and target.metric in names:
        names.remove(target.metric)
        names.insert(0, target.metric)
    metrics = {name: [run.metrics.get(name) for run in runs] for name in names}
    starts = [run.start_ms for run in runs]
    directions = {
        name: maximize(name, target) for name in names if not name.startswith(SYSTEM_PREFIX)
    }
    best = {
        name: index
        for name, up in directions.items()
        if (index := _best(metrics[name], starts, up)) is not None
    }
    return RunDiff(params, same, metrics, best, directions)
