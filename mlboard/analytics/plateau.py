"""Plateau: when more experiments stop paying, by early stopping's rule applied across runs.

Keras and Lightning stop training when the monitored value has not improved by `min_delta`
for `patience` epochs. Here the epochs are a story's finished runs in start order and the
monitored value is the best target-metric value so far: when the last `patience` runs moved it
by less than `min_delta` and the target is still not met, another run of the same kind is
unlikely to get there, and the team should time-box the story or accept it below target.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from mlboard.analytics.training_signals import running_best
from mlboard.domain import Target, format_number

DEFAULT_PATIENCE = 5
DEFAULT_MIN_DELTA_FRACTION = 0.01  # of the distance between the first run's value and the target


@dataclass(frozen=True, slots=True)
class Plateau:
    """The numbers behind a plateau warning, in the target metric's units."""

    target: Target
    patience: int
    improvement: float  # how far the best so far moved over the last `patience` runs (≥ 0)
    min_delta: float
    best: float
    runs: int  # finished runs with a value, the last `patience` of which did not pay

    @property
    def short_by(self) -> float:
        return abs(self.target.value - self.best)

    def message(self, story_key: str) -> str:
        return (
            f"{story_key}: the last {self.patience} runs improved {self.target.metric} by "
            f"{_short(self.improvement)}; {_short(self.short_by)} short of "
            f"{format_number(self.target.value)} — time-box it or accept below target"
        )


def _short(value: float) -> str:
    """Two significant digits, as people read a gap (0.0008, 0.012, 3.4), never `1.2e+03`."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.2g}"


def plateau(
    values: Sequence[float],
    target: Target,
    *,
    patience: int = DEFAULT_PATIENCE,
    min_delta: float | None = None,
    min_delta_fraction: float = DEFAULT_MIN_DELTA_FRACTION,
) -> Plateau | None:
    """A Plateau when the story's runs have stopped paying, else None.

    `values` are the target metric's values of the story's finished runs in start order
    (non-finite ones are skipped). With `best` the running best (in the target's direction):
    the story has plateaued when the target is not met by `best[-1]`, there are at least
    `patience + 1` values, and the improvement `best[-1] − best[-1 − patience]` (towards the
    target) is strictly less than `min_delta`. `min_delta` defaults to `min_delta_fraction` ×
    |target − first value|. Never fires on a met target; a larger `min_delta` fires at least
    whenever a smaller one does.
    """
    if patience < 1:
        raise ValueError(f"patience must be at least 1, not {patience}")
    if (min_delta is not None and not min_delta >= 0) or not min_delta_fraction >= 0:
        raise ValueError("min_delta and min_delta_fraction must be numbers ≥ 0")
    finite = [value for value in values if math.isfinite(value)]
    if len(finite) < patience + 1:
        return None
    best = running_best(finite, target.maximize)
    if target.is_met(best[-1]):
        return None
    if min_delta is None:
        min_delta = min_delta_fraction * abs(target.value - finite[0])
    improvement = abs(best[-1] - best[-1 - patience])  # the running best only improves
    if not improvement < min_delta:
        return None
    return Plateau(target, patience, improvement, min_delta, best[-1], len(finite))
