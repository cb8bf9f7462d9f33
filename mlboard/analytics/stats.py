"""Order statistics shared by the flow and estimate reports (one percentile method everywhere)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass


def percentile(values: Iterable[float], p: float) -> float:
    """The p-th percentile (0 <= p <= 100) by linear interpolation between closest ranks.

    Method: sort the n values x[0..n-1], take rank r = p/100 * (n - 1) and interpolate between
    x[floor(r)] and x[ceil(r)]. This is the "inclusive" method (numpy's default `linear`, Excel's
    PERCENTILE.INC, `statistics.quantiles(method="inclusive")`), so percentile(50) equals
    `statistics.median`. Raises ValueError on no values.
    """
    ordered = sorted(values)
    if not ordered:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, got {p}")
    rank = p / 100 * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True, slots=True)
class Summary:
    """How many values, their median and 85th percentile (None when there are no values)."""

    count: int
    median: float | None
    p85: float | None


def summarize(values: Iterable[float]) -> Summary:
    """Count, median and 85th percentile, both by `percentile`'s linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return Summary(0, None, None)
    return Summary(len(ordered), percentile(ordered, 50), percentile(ordered, 85))
