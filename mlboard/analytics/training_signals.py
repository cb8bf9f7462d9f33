"""Training signals from the MLflow runs linked to stories: overfitting, run health, targets.

Pure functions over plain data (`RunSummary`, `MetricPoint`) that the caller reads from MLflow or
the board's mirror. Overfitting is judged on (train, validation) metric pairs found by name
(`metric_pairs.pair_metrics`, where the naming conventions it knows are listed) with the
early-stopping rule of Keras and Lightning (`checks_since_best`); run health flags failed,
killed and unusually long runs; target progress finds a story's best run.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from mlboard.analytics.metric_pairs import MetricPair
from mlboard.analytics.stats import percentile
from mlboard.domain import Target
from mlboard.wording import plural


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One logged value of a metric (an entry of MLflow's metric history)."""

    step: int
    value: float
    timestamp_ms: int


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A run as the board mirrors it; `metrics` holds the latest value of each metric."""

    run_id: str
    run_name: str
    experiment_id: str
    status: str  # MLflow: RUNNING, SCHEDULED, FINISHED, FAILED, KILLED
    start_ms: int | None
    end_ms: int | None
    metrics: Mapping[str, float]

    @property
    def label(self) -> str:
        """How warnings name the run: its name, or its id when it has none."""
        return self.run_name or self.run_id


@dataclass(frozen=True, slots=True)
class RunWarning:
    """A signal about one run: `kind` is overfitting, failed, killed or long_running."""

    run_id: str
    run_name: str
    kind: str
    message: str
    evidence: dict[str, object] = field(default_factory=dict)


Warning = RunWarning  # the name; import RunWarning to avoid shadowing the builtin

# --- Overfitting ---------------------------------------------------------------------------------


def checks_since_best(
    values: Sequence[float], maximize: bool, min_delta: float = 0.0
) -> tuple[int, int]:
    """(index of the best value, number of values after it): early stopping's wait counter.

    Definition (Keras `EarlyStopping` and Lightning `EarlyStopping`, which agree): the first
    value is the best so far; a later value replaces it only if it improves on it by more than
    `min_delta` (v > best + min_delta when maximizing, v < best − min_delta when minimizing).
    Checks since best = len(values) − 1 − best index; training would stop once it reaches the
    patience. Non-finite values never improve and never start the count. Raises ValueError
    when no value is finite.
    """
    best_index: int | None = None
    best = 0.0
    for index, value in enumerate(values):
        if not math.isfinite(value):
            continue
        if (
            best_index is None
            or (maximize and value > best + min_delta)
            or (not maximize and value < best - min_delta)
        ):
            best_index, best = index, value
    if best_index is None:
        raise ValueError("checks since best of no finite values")
    return best_index, len(values) - 1 - best_index


def _history(points: Sequence[MetricPoint]) -> list[MetricPoint]:
    """Finite points in step order, one per step (the last logged when a step repeats). A value
    of None (how the mirror stores NaN) is skipped like NaN."""
    ordered = sorted(points, key=lambda p: (p.step, p.timestamp_ms))
    by_step = {p.step: p for p in ordered if p.value is not None and math.isfinite(p.value)}
    return [by_step[step] for step in sorted(by_step)]


def overfitting(
    run: RunSummary,
    train: Sequence[MetricPoint],
    val: Sequence[MetricPoint],
    pair: MetricPair,
    *,
    patience: int = 3,
    min_delta: float = 0.0,
) -> RunWarning | None:
    """A warning when validation has stopped improving while the train/validation gap widens.

    Definition: over the validation history (finite values, step order, one value per step),
    `checks_since_best` with `min_delta` is at least `patience` (Lightning's default, 3; the
    monitor is the pair's validation metric, as Keras's default monitor is `val_loss`), AND the
    gap at the last check is strictly wider than at the best check. The gap is measured towards
    "better": val − train for a minimized metric, train − val for a maximized one. Each check is
    aligned with the latest training value logged at or before its step; without one, None.
    """
    if patience < 1 or min_delta < 0:
        raise ValueError(f"need patience >= 1 and min_delta >= 0, got {patience}, {min_delta}")
    checks, fits = _history(val), _history(train)
    if len(checks) <= patience or not fits:
        return None
    best_index, since = checks_since_best([c.value for c in checks], pair.maximize, min_delta)
    if since < patience:
        return None
    fit_steps = [f.step for f in fits]

    def gap(check: MetricPoint) -> float | None:
        index = bisect_right(fit_steps, check.step)
        if not index:
            return None
        difference = check.value - fits[index - 1].value
        return -difference if pair.maximize else difference

    best, last = checks[best_index], checks[-1]
    gap_best, gap_now = gap(best), gap(last)
    if gap_best is None or gap_now is None or not gap_now > gap_best:
        return None
    message = (
        f"run '{run.label}' overfits: {pair.val} best {best.value:.3g} at step {best.step}, "
        f"{plural(since, 'check')} without improvement (now {last.value:.3g}); "
        f"train/val gap {gap_best:.3g} → {gap_now:.3g}"
    )
    evidence: dict[str, object] = dict(
        train_metric=pair.train, val_metric=pair.val, maximize=pair.maximize,
        best_step=best.step, best_value=best.value, checks_since_best=since,
        last_step=last.step, last_value=last.value, gap_at_best=gap_best, gap_now=gap_now,
        patience=patience, min_delta=min_delta,
    )  # fmt: skip
    return RunWarning(run.run_id, run.run_name, "overfitting", message, evidence)


# --- Run health ----------------------------------------------------------------------------------


def _span(run: RunSummary) -> int | None:
    """end − start in ms, or None when a time is missing or the run ends before it starts."""
    if run.start_ms is None or run.end_ms is None or run.end_ms < run.start_ms:
        return None
    return run.end_ms - run.start_ms


def human_duration(ms: float) -> str:
    """A duration as people say it: `45 s`, `27 min`, `2.3 h`, `1.5 d`."""
    seconds = ms / 1000
    for limit, unit, size in ((120, "s", 1), (7200, "min", 60), (172800, "h", 3600)):
        if seconds < limit:
            return f"{seconds / size:.{0 if size < 3600 else 1}f} {unit}"
    return f"{seconds / 86400:.1f} d"


def typical_durations(runs: Iterable[RunSummary]) -> dict[str, float | None]:
    """Per experiment seen, the median duration (end − start, ms) of its FINISHED runs.

    Runs without both times, or ending before they start, are left out. An experiment with
    fewer than 3 such runs has no typical duration (None): too few to call anything unusual.
    The median is `stats.percentile(…, 50)`, the same as `statistics.median`.
    """
    durations: dict[str, list[float]] = {}
    for run in runs:
        spans = durations.setdefault(run.experiment_id, [])
        if run.status.upper() == "FINISHED" and (span := _span(run)) is not None:
            spans.append(float(span))
    return {exp: percentile(s, 50) if len(s) >= 3 else None for exp, s in durations.items()}


def run_health(
    run: RunSummary, now_ms: int, typical_duration_ms: float | None, factor: float = 2.0
) -> list[RunWarning]:
    """Warnings about a run's state: FAILED → `failed`, KILLED → `killed`, and RUNNING for
    longer than `factor` × the typical duration of its experiment → `long_running` (elapsed is
    now − start; no warning without a start time or a typical duration)."""
    status, span = run.status.upper(), _span(run)
    evidence: dict[str, object] = {"status": status, "experiment_id": run.experiment_id}
    if status in ("FAILED", "KILLED"):
        evidence["duration_ms"] = span
        took = "" if span is None else f" after {human_duration(span)}"
        verb = "failed" if status == "FAILED" else "was killed"
        message = f"run '{run.label}' {verb}{took}"
        return [RunWarning(run.run_id, run.run_name, status.lower(), message, evidence)]
    if status != "RUNNING" or run.start_ms is None or not typical_duration_ms:
        return []
    elapsed = now_ms - run.start_ms
    if elapsed <= factor * typical_duration_ms:
        return []
    message = (
        f"run '{run.label}' has been running for {human_duration(elapsed)}, "
        f"{elapsed / typical_duration_ms:.1f}× the typical {human_duration(typical_duration_ms)} "
        f"of finished runs in experiment {run.experiment_id}"
    )
    evidence |= {"elapsed_ms": elapsed, "typical_ms": typical_duration_ms, "factor": factor}
    return [RunWarning(run.run_id, run.run_name, "long_running", message, evidence)]


# --- Progress towards a story's target -----------------------------------------------------------


class TrendPoint(NamedTuple):
    """One run on the target chart: its value and the best value of it and all earlier runs."""

    run_id: str
    start_ms: int
    value: float
    best_so_far: float


def _scored(
    runs: Iterable[RunSummary], target: Target, include_running: bool
) -> list[tuple[RunSummary, float]]:
    counted = ("FINISHED", "RUNNING") if include_running else ("FINISHED",)
    values = ((run, run.metrics.get(target.metric)) for run in runs)
    return [
        (run, float(value))
        for run, value in values
        if run.status.upper() in counted and value is not None and math.isfinite(value)
    ]


def best_run(
    runs: Iterable[RunSummary], target: Target, *, include_running: bool = False
) -> tuple[RunSummary, float] | None:
    """The run with the best latest value of `target.metric`, and that value; None if none.

    Better means higher for `>=`/`>` targets and lower for `<=`/`<` (`Target.maximize`). Only
    FINISHED runs count (a running run's value may still move; failed and killed runs did not
    produce a model); `include_running` adds RUNNING runs. Runs without a finite value of the
    metric are ignored. Ties go to the earliest start (runs without one last), then run id.
    """

    def rank(item: tuple[RunSummary, float]) -> tuple[float, bool, int, str]:
        (run, value), start = item, item[0].start_ms
        return (-value if target.maximize else value, start is None, start or 0, run.run_id)

    return min(_scored(runs, target, include_running), key=rank, default=None)


def target_met(best_value: float | None, target: Target) -> bool | None:
    """Whether the best value meets the target; None when there is no value to judge."""
    return None if best_value is None else target.is_met(best_value)


def trend(
    runs: Iterable[RunSummary], target: Target, *, include_running: bool = False
) -> list[TrendPoint]:
    """The runs `best_run` would consider, by start time (then run id), each with the running
    best so far — non-decreasing for maximized targets, non-increasing for minimized ones.
    Runs without a start time cannot be placed on the time axis and are left out."""
    placed = [(r, v) for r, v in _scored(runs, target, include_running) if r.start_ms is not None]
    placed.sort(key=lambda item: (item[0].start_ms, item[0].run_id))
    bests = running_best([value for _, value in placed], target.maximize)
    return [
        TrendPoint(run.run_id, run.start_ms or 0, value, best)
        for (run, value), best in zip(placed, bests, strict=True)
    ]


def running_best(values: Iterable[float], maximize: bool) -> list[float]:
    """The best of each value and all before it: non-decreasing when maximizing, else
    non-increasing."""
    bests: list[float] = []
    for value in values:
        bests.append(value if not bests else (max if maximize else min)(bests[-1], value))
    return bests
