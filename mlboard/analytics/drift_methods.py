"""The statistic of each drift method, from scipy, plus what Evidently and mlboard add to it.

scipy computes the statistics (`ks_2samp`, `chisquare`, `wasserstein_distance`,
`spatial.distance.jensenshannon`); this module feeds them the way Evidently does (counts over
the union of values, Sturges histograms, the reference's spread as the Wasserstein norm) and
handles the cases scipy leaves open: a category the reference never had, a single category,
a constant reference, huge numbers, a Jensen-Shannon divergence that rounds below zero. The
two-proportion z-test and PSI have no scipy function and are written out here.

scipy is imported inside the functions: importing this module (and `check_drift`) stays cheap,
and only a drift check that compares columns pays for it.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from mlboard.analytics.drift_columns import ColumnPair, distinct_sorted, value_counts

__all__ = [
    "chi_squared_test",
    "jensen_shannon_distance",
    "population_stability_index",
    "proportion_z_test",
    "run_method",
]

HISTOGRAM_MIN_UNIQUE = 20  # JS/PSI bin numbers with > 20 distinct reference values
WASSERSTEIN_MIN_STD = 0.001


def run_method(method: str, pair: ColumnPair) -> tuple[float, float | None]:
    """(statistic, p-value) of `method` on the pair; the p-value is None for distances."""
    if method == "ks":
        return _ks(pair)
    if method == "wasserstein":
        return _normed_wasserstein(pair), None
    if method in {"chi2", "z"}:
        test = chi_squared_test if method == "chi2" else proportion_z_test
        return test(*value_counts(pair))
    ref_shares, cur_shares = _shares(pair)
    if method == "jensenshannon":
        return jensen_shannon_distance(ref_shares, cur_shares), None
    return population_stability_index(ref_shares, cur_shares), None


def _ks(pair: ColumnPair) -> tuple[float, float]:
    """scipy's `ks_2samp` with its default method, as Evidently calls it: the exact p-value when
    both samples have <= 10,000 values, else the asymptotic one. For two samples of the same size
    and a tiny gap, scipy's exact sum can round above 1; it then warns and takes the asymptotic
    p-value (within 1e-4 of 1), which is kept, without the warning."""
    from scipy.stats import ks_2samp

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "ks_2samp: Exact calculation", RuntimeWarning)
        result = ks_2samp(pair.reference, pair.current)
    return float(result.statistic), float(result.pvalue)


def chi_squared_test(
    reference_counts: np.ndarray, current_counts: np.ndarray
) -> tuple[float, float]:
    """Evidently's chi-squared test: scipy's `chisquare(current, reference * n_cur / n_ref)`
    with k - 1 degrees of freedom. A category the reference never had gives an infinite
    statistic and p = 0 (drift); a single category gives 0 and p = 1. Returns (statistic, p)."""
    from scipy.stats import chisquare

    ref = np.asarray(reference_counts, dtype=np.float64)
    cur = np.asarray(current_counts, dtype=np.float64)
    if ref.size <= 1:
        return 0.0, 1.0
    expected = ref * (cur.sum() / ref.sum())
    if np.any((expected == 0) & (cur > 0)):
        return math.inf, 0.0
    result = chisquare(cur, expected)
    return float(result.statistic), float(result.pvalue)


def proportion_z_test(
    reference_counts: np.ndarray, current_counts: np.ndarray
) -> tuple[float, float]:
    """Evidently's two-proportion z-test: the share of values other than the first category in
    each sample, z = (p_ref - p_cur) / sqrt(P (1 - P) (1/n_ref + 1/n_cur)) with the pooled share
    P. Returns (z, two-sided p-value), the p-value as the normal tail erfc(|z| / sqrt 2)."""
    ref = np.asarray(reference_counts, dtype=np.float64)
    cur = np.asarray(current_counts, dtype=np.float64)
    n1, n2 = float(ref.sum()), float(cur.sum())
    present = (ref > 0) | (cur > 0)
    if int(np.count_nonzero(present)) <= 1:
        return 0.0, 1.0
    p1 = float(ref[1:].sum()) / n1
    p2 = float(cur[1:].sum()) / n2
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    spread = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    if spread == 0.0:
        return 0.0, 1.0
    z = (p1 - p2) / spread
    return z, min(max(math.erfc(abs(z) / math.sqrt(2.0)), 0.0), 1.0)


def _normed_wasserstein(pair: ColumnPair) -> float:
    """scipy's `wasserstein_distance` / max(std(reference), 0.001), as Evidently norms it.

    Both samples are first divided by a power of two (exact), so distances and spreads of huge
    numbers (up to 1.8e308) stay finite."""
    from scipy.stats import wasserstein_distance

    ends = np.concatenate([pair.reference[[0, -1]], pair.current[[0, -1]]])
    scale = _power_of_two_scale(ends)
    ref, cur = pair.reference / scale, pair.current / scale
    distance = float(wasserstein_distance(ref, cur))
    spread = float(np.std(ref))
    if distance == 0.0:
        return 0.0
    if spread * scale >= WASSERSTEIN_MIN_STD:
        return distance / spread
    with np.errstate(over="ignore"):
        return float(distance * scale / WASSERSTEIN_MIN_STD)


def jensen_shannon_distance(reference_shares: np.ndarray, current_shares: np.ndarray) -> float:
    """scipy's `jensenshannon` (natural logarithm, its default), 0 where scipy's divergence
    rounds below zero for two nearly equal distributions and its square root would be NaN."""
    from scipy.spatial.distance import jensenshannon

    with np.errstate(invalid="ignore"):
        distance = float(jensenshannon(reference_shares, current_shares))
    return 0.0 if math.isnan(distance) else distance


def population_stability_index(reference_shares: np.ndarray, current_shares: np.ndarray) -> float:
    """PSI = sum((ref - cur) * ln(ref / cur)) over bins, after Evidently's fill of empty bins on
    each side (min non-zero share / 1e6 when that share is <= 1e-4, else 1e-4)."""
    ref = _fill_empty_bins(np.asarray(reference_shares, dtype=np.float64))
    cur = _fill_empty_bins(np.asarray(current_shares, dtype=np.float64))
    return float(np.sum((ref - cur) * np.log(ref / cur)))


def _fill_empty_bins(shares: np.ndarray) -> np.ndarray:
    shares = shares.copy()
    empty = shares == 0
    if empty.any() and (~empty).any():
        smallest = float(shares[~empty].min())
        shares[empty] = smallest / 1e6 if smallest <= 1e-4 else 1e-4
    return shares


def _shares(pair: ColumnPair) -> tuple[np.ndarray, np.ndarray]:
    """Evidently's `get_binned_data`: Sturges histogram over both samples for numbers with more
    than 20 distinct reference values, else one bin per value."""
    binned = pair.numbers and not pair.categorical
    if binned and distinct_sorted(pair.reference) > HISTOGRAM_MIN_UNIQUE:
        pooled = np.concatenate([pair.reference, pair.current])
        scale = _power_of_two_scale(pooled)
        edges = np.histogram_bin_edges(pooled / scale, bins="sturges")
        ref_counts = np.histogram(pair.reference / scale, edges)[0]
        cur_counts = np.histogram(pair.current / scale, edges)[0]
    else:
        ref_counts, cur_counts = value_counts(pair)
    return ref_counts / pair.reference.size, cur_counts / pair.current.size


def _power_of_two_scale(values: np.ndarray) -> float:
    """A power of two bringing the largest |value| near 1: dividing by it is exact and keeps
    differences and variances of huge numbers (up to 1.8e308) finite."""
    largest = float(np.max(np.abs(values))) if values.size else 0.0
    if largest == 0.0:
        return 1.0
    return math.ldexp(1.0, math.frexp(largest)[1] - 1)  # largest / scale lies in [1, 2)
