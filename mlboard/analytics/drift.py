"""Data drift between a reference and a current table, column by column, Evidently-style.

`check_drift` chooses one test per column the way Evidently's DataDriftPreset does by default
(read from Evidently's `get_stattest`/`_get_default_stattest`, its column-type inference and its
stattest modules), so a team moving between the two tools sees the same verdicts:

* Values: NaN, None and +/-inf are dropped per column before anything else, and the row counts
  below are of what remains (Evidently does the same before choosing a test).
* Column type: booleans, strings, categories and mixed columns (e.g. numbers and strings, which
  are compared as their `str`) are *categorical*; integer columns with <= 5 distinct reference
  values are categorical too (Evidently's NUMBER_UNIQUE_AS_CATEGORICAL); other numbers are
  *numerical*. Datetime/timedelta/period columns are skipped with a reason, as Evidently's
  preset does not test them (their drift is almost always "time moved on"); cast them to
  numbers yourself to compare them. Complex numbers are skipped.
* `n_unique` is counted over reference and current together, as Evidently does.
* Reference <= 1000 values: numerical with n_unique > 5 -> two-sample Kolmogorov-Smirnov (`ks`);
  categorical, or numerical with n_unique <= 5 -> chi-squared (`chi2`), or when n_unique <= 2 the
  two-proportion z-test (`z`). Drift when p < threshold (0.05).
* Reference > 1000 values: numerical with n_unique > 5 -> Wasserstein-1 distance divided by the
  reference's population standard deviation (`wasserstein`, floored at 0.001 as in Evidently);
  everything else -> Jensen-Shannon distance (`jensenshannon`, natural logarithm like scipy's
  default `base=None`, so it lies in [0, sqrt(ln 2) ~ 0.833]). Drift when statistic >= 0.1.
* `psi=True` makes the Population Stability Index the default for every column (drift when
  >= 0.1). Per-column `ColumnSpec` overrides win over both.
* Dataset drift when drifted columns / compared columns >= `share_threshold` (0.5).

How each statistic is computed (numpy only; the tests check them against scipy):

* `ks`: D is the largest gap between the two empirical CDFs (ties handled as in scipy). The
  p-value follows scipy's `ks_2samp(method="auto")`, which Evidently uses: exact when both samples
  have <= 10,000 values (lattice-path probability, summed over the first exits from the band so
  small p-values keep their precision), otherwise scipy's "asymp" formula, the one-sample
  Kolmogorov distribution `kstwo.sf(D, round(m*n/(m+n)))` (Simard & L'Ecuyer's choice of Durbin's
  matrix, Pelz-Good's series, or twice the exact one-sided Smirnov tail).
* `chi2`: Evidently's goodness-of-fit form, scipy's `chisquare(f_obs=current counts,
  f_exp=reference counts * n_current / n_reference)` over the union of categories, with
  k - 1 degrees of freedom. A category the reference never had gives an infinite statistic
  (p = 0, drift); JSON shows such a statistic as null. One category only: statistic 0, p = 1.
* `z`: Evidently's proportion test, category = first sorted value vs the rest,
  z = (p_ref - p_cur) / sqrt(P (1 - P) (1/n_ref + 1/n_cur)), two-sided p = erfc(|z| / sqrt 2).
  Both samples the same single value: z = 0, p = 1.
* `wasserstein`: scipy's `wasserstein_distance` (area between the CDFs on the merged support)
  / max(std(reference), 0.001). A constant reference equal to a constant current gives 0; any
  other current gives distance / 0.001, i.e. drift.
* `jensenshannon` / `psi`: Evidently's binning: numerical columns with > 20 distinct reference
  values use `np.histogram_bin_edges(reference + current, bins="sturges")`; others use one bin
  per value. PSI = sum((ref% - cur%) * ln(ref% / cur%)) with Evidently's fill for empty bins
  (min non-zero share / 1e6 when that share is <= 1e-4, else 1e-4).

A table against itself gives 0 for ks, wasserstein, jensenshannon and psi (and p = 1).

Precision against scipy: KS exact p-values ~1e-13 relative; the asymptotic KS p-value ~1e-9
(up to ~5e-9 when m*n/(m+n) reaches 3e5, from summing the Smirnov tail in logs); chi-squared
survival ~1e-12; Wasserstein and Jensen-Shannon to rounding. Huge numbers (up to 1.8e308) are
rescaled by a power of two (exact) so distances and histograms stay finite.

Where this departs from Evidently, on purpose: Evidently's KS flags drift when p <= threshold,
here p < threshold like the other tests (the product rule; differs only at equality); Evidently
raises on an all-missing column, here it is skipped with a reason; columns whose types differ
between the tables (numbers on one side, text on the other) are compared as text labels, with
integral floats written without ".0" so 1 and 1.0 are the same label.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mlboard.errors import quoted

__all__ = [
    "DEFAULT_THRESHOLDS",
    "METHODS",
    "ColumnDrift",
    "ColumnSpec",
    "DriftInputError",
    "DriftResult",
    "check_drift",
    "chi2_sf",
    "chi_squared_test",
    "jensen_shannon_distance",
    "kolmogorov_sf",
    "ks_two_sample",
    "population_stability_index",
    "proportion_z_test",
    "wasserstein_distance",
]

METHODS = ("ks", "chi2", "z", "wasserstein", "jensenshannon", "psi")
P_VALUE_METHODS = frozenset({"ks", "chi2", "z"})
DEFAULT_THRESHOLDS = {
    "ks": 0.05,
    "chi2": 0.05,
    "z": 0.05,
    "wasserstein": 0.1,
    "jensenshannon": 0.1,
    "psi": 0.1,
}
METHOD_ALIASES = {"chisquare": "chi2", "chi-squared": "chi2", "chi_squared": "chi2"}
_NUMERIC_ONLY = frozenset({"ks", "wasserstein"})

SMALL_REFERENCE_ROWS = 1000  # Evidently: "<= 1000 objects in reference" -> p-value tests
CATEGORICAL_UNIQUE_LIMIT = 5  # n_unique <= 5 -> treated as categories
BINARY_UNIQUE_LIMIT = 2  # n_unique <= 2 -> proportion z-test
HISTOGRAM_MIN_UNIQUE = 20  # JS/PSI bin numbers with > 20 distinct reference values
KS_EXACT_MAX_N = 10_000  # scipy's ks_2samp(method="auto") switch to the asymptotic p-value
WASSERSTEIN_MIN_STD = 0.001


class DriftInputError(ValueError):
    """The tables or options cannot be compared; the message names the column or problem."""


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """Per-column override: a method from `METHODS` and/or a threshold (None keeps the default)."""

    method: str | None = None
    threshold: float | None = None


@dataclass(frozen=True, slots=True)
class ColumnDrift:
    """One column's verdict. `p_value` is None for distance methods (wasserstein, js, psi)."""

    name: str
    method: str
    statistic: float
    p_value: float | None
    threshold: float
    drifted: bool

    def as_json(self) -> dict[str, Any]:
        """Plain JSON values; an infinite statistic (chi2 with a new category) becomes null."""
        return {
            "name": self.name,
            "method": self.method,
            "statistic": _json_float(self.statistic),
            "p_value": None if self.p_value is None else _json_float(self.p_value),
            "threshold": _json_float(self.threshold),
            "drifted": bool(self.drifted),
        }


@dataclass(frozen=True, slots=True)
class DriftResult:
    """Every compared column, the share that drifted and the dataset verdict."""

    columns: list[ColumnDrift]
    drift_share: float
    dataset_drift: bool
    share_threshold: float
    reference_rows: int
    current_rows: int
    skipped: list[tuple[str, str]]  # (column, reason)

    def as_json(self) -> dict[str, Any]:
        return {
            "columns": [column.as_json() for column in self.columns],
            "drift_share": float(self.drift_share),
            "dataset_drift": bool(self.dataset_drift),
            "reference_rows": int(self.reference_rows),
            "current_rows": int(self.current_rows),
            "skipped": [{"name": name, "reason": reason} for name, reason in self.skipped],
        }


def _json_float(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


# --------------------------------------------------------------------------------------------
# Statistics (numpy + math only)
# --------------------------------------------------------------------------------------------


def _ks_gap(a_sorted: np.ndarray, b_sorted: np.ndarray) -> int:
    """max over the pooled values of |i*n - j*m| / gcd(m, n): the KS statistic D in units of
    1 / lcm(m, n), exact in integers (i, j are the counts <= x in a and b)."""
    m, n = a_sorted.size, b_sorted.size
    pooled = np.concatenate([a_sorted, b_sorted])
    i = np.searchsorted(a_sorted, pooled, side="right").astype(np.int64)
    j = np.searchsorted(b_sorted, pooled, side="right").astype(np.int64)
    gap = int(np.max(np.abs(i * n - j * m)))
    return gap // math.gcd(m, n)


def ks_two_sample(
    a: np.ndarray, b: np.ndarray, *, assume_sorted: bool = False
) -> tuple[float, float]:
    """Two-sided two-sample Kolmogorov-Smirnov test: (D, p-value) like scipy's
    `ks_2samp(a, b)` with its default `method="auto"`: the exact p-value when both samples have
    <= 10,000 values, else the asymptotic one (see `kolmogorov_sf`)."""
    a_sorted = np.asarray(a, dtype=np.float64)
    b_sorted = np.asarray(b, dtype=np.float64)
    if not assume_sorted:
        a_sorted, b_sorted = np.sort(a_sorted), np.sort(b_sorted)
    m, n = a_sorted.size, b_sorted.size
    if m == 0 or n == 0:
        raise ValueError("the KS test needs values on both sides")
    g = math.gcd(m, n)
    lcm = (m // g) * n
    h = _ks_gap(a_sorted, b_sorted)
    statistic = h / lcm
    if h == 0:
        return 0.0, 1.0
    if max(m, n) <= KS_EXACT_MAX_N:
        p = _ks_exact_sf(m, n, h * g)
    else:
        big, small = max(m, n), min(m, n)
        effective_n = round(big * small / (big + small))
        p = kolmogorov_sf(effective_n, statistic) if effective_n > 0 else 1.0
    return statistic, min(max(p, 0.0), 1.0)


def _ks_exact_sf(m: int, n: int, c: int) -> float:
    """P(max |i*n - j*m| >= c) over the C(m+n, m) equally likely merge orders of two samples.

    A merge order is a lattice path from (0, 0) to (m, n); we carry, row by row, the probability
    of being at (i, j) without having left the band |i*n - j*m| < c, and add up every step that
    leaves it. A sum of positive terms keeps small p-values precise. The step from (i, j) goes to
    (i+1, j) with probability (m-i)/(m+n-i-j) and to (i, j+1) with (n-j)/(m+n-i-j).
    """
    if m > n:
        m, n = n, m
    total = m + n

    def band(i: int) -> tuple[int, int]:
        lo = (i * n - c) // m + 1
        hi = -((-(i * n + c)) // m) - 1
        return max(lo, 0), min(hi, n)

    p_out = 0.0
    lo, hi = band(0)  # lo is 0 on row 0
    incoming = np.zeros(hi - lo + 1)
    incoming[0] = 1.0  # every path starts at (0, 0)
    for i in range(m + 1):
        j = np.arange(lo, hi + 1, dtype=np.float64)
        left = total - i - j  # values still to place from (i, j)
        # along the row: u[j] = incoming[j] + u[j-1] * (n-j+1)/(total-i-j+1)
        u = _first_order_recurrence(incoming, (n - j[1:] + 1.0) / (left[1:] + 1.0))
        if hi < n:  # the step right from the top of the band leaves it
            p_out += float(u[-1]) * (n - hi) / (total - i - hi)
        if i == m:
            break
        # steps up into the next row; the band only moves right, so the cells below its new
        # lower edge are the ones that leave
        moved = u * ((m - i) / left)
        next_lo, next_hi = band(i + 1)
        if next_hi < next_lo:  # no lattice point inside on the next row: every path leaves
            return 1.0
        drop = next_lo - lo
        if drop > 0:
            p_out += float(np.sum(moved[:drop]))
        incoming = np.zeros(next_hi - next_lo + 1)
        kept = moved[drop:]
        incoming[: kept.size] = kept
        lo, hi = next_lo, next_hi
    return min(p_out, 1.0)


def _first_order_recurrence(a: np.ndarray, r: np.ndarray) -> np.ndarray:
    """u[0] = a[0], u[k] = a[k] + r[k-1] * u[k-1] with 0 < r <= 1, vectorised.

    u[k] = P[k] * sum_{l<=k} a[l] / P[l] with P the running product of r; computed in chunks over
    which P falls by at most e^-600 so nothing overflows or underflows.
    """
    size = a.size
    if size == 1:
        return a.copy()
    running = np.cumprod(r)
    if running[-1] > 1e-250:  # the common case: the plain running product cannot underflow
        product = np.empty(size)
        product[0] = 1.0
        product[1:] = running
        return product * np.cumsum(a / product)
    u = np.empty(size)
    log_p = np.concatenate([[0.0], np.cumsum(np.log(r))])  # non-increasing
    start, carry = 0, 0.0
    while start < size:
        # the chunk [start, stop) keeps log_p within 600 of log_p[start]
        stop = int(np.searchsorted(-log_p, -log_p[start] + 600.0, side="right"))
        stop = max(stop, start + 1)
        rel = np.exp(log_p[start:stop] - log_p[start])
        head = a[start:stop].copy()
        if start > 0:
            head[0] += r[start - 1] * carry
        u[start:stop] = rel * np.cumsum(head / rel)
        carry = u[stop - 1]
        start = stop
    return u


def kolmogorov_sf(n: int, x: float) -> float:
    """P(D_n >= x) for the one-sample two-sided Kolmogorov statistic with n values: scipy's
    `kstwo.sf(x, n)`, computed with the same choice of methods as scipy (Simard & L'Ecuyer 2011):
    Ruben-Gambino closed forms at the extremes, Durbin's matrix (Marsaglia-Tsang-Wang) where it is
    cheap, the Pelz-Good series for large n, and twice the exact one-sided Smirnov tail in the far
    tail (exact for x >= 0.5)."""
    if n <= 0 or math.isnan(x):
        return math.nan
    if x >= 1.0:
        return 0.0
    if x <= 0.0:
        return 1.0
    t = n * x
    if t <= 1.0:
        if t <= 0.5:
            return 1.0
        cdf = math.exp(_log_factorial_over_power(n) + n * math.log(2.0 * t - 1.0))
        return _clip(1.0 - cdf)
    if t >= n - 1:
        return _clip(2.0 * (1.0 - x) ** n)
    if x >= 0.5:
        return _clip(2.0 * _smirnov_sf(n, x))
    nx2 = t * x
    if n <= 140:
        if nx2 <= 4.0:
            return _clip(1.0 - _durbin_cdf(n, x))
        return _clip(2.0 * _smirnov_sf(n, x))
    if nx2 >= 370.0:
        return 0.0
    if nx2 >= 2.2:
        return _clip(2.0 * _smirnov_sf(n, x))
    if n <= 100_000 and n * x**1.5 <= 1.4:
        return _clip(1.0 - _durbin_cdf(n, x))
    return _clip(1.0 - _pelz_good_cdf(n, x))


def _clip(p: float) -> float:
    return min(max(float(p), 0.0), 1.0)


def _log_factorial_over_power(n: int) -> float:
    """log(n! / n**n), with Stirling's series for large n to avoid cancellation."""
    if n < 20:
        return math.lgamma(n + 1) - n * math.log(n)
    inv = 1.0 / n
    inv2 = inv * inv
    series = inv * (1 / 12 - inv2 * (1 / 360 - inv2 * (1 / 1260 - inv2 / 1680)))
    return 0.5 * math.log(2.0 * math.pi * n) - n + series


def _smirnov_sf(n: int, x: float) -> float:
    """P(D+_n >= x), exact (Birnbaum & Tingey 1951):
    x * sum_{j=0}^{floor(n(1-x))} C(n, j) (1 - x - j/n)^(n-j) (x + j/n)^(j-1), summed in logs."""
    if x <= 0.0:
        return 1.0
    if x >= 1.0:
        return 0.0
    last = math.floor(n * (1.0 - x))
    j = np.arange(last + 1, dtype=np.float64)
    log_binom = np.concatenate([[0.0], np.cumsum(np.log((n - j[1:] + 1.0) / j[1:]))])
    room = n * (1.0 - x) - j  # n * (1 - x - j/n) >= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        log_terms = (
            log_binom + (n - j) * (np.log(room) - math.log(n)) + (j - 1.0) * np.log((n * x + j) / n)
        )
    log_terms = np.where(room > 0, log_terms, -np.inf)
    top = float(np.max(log_terms))
    if not math.isfinite(top):
        return 0.0
    return x * math.exp(top) * float(np.sum(np.exp(log_terms - top)))


def _durbin_cdf(n: int, d: float) -> float:
    """P(D_n < d) by Durbin's matrix: with n*d = k - h (k integer, 0 <= h < 1), it is
    n!/n^n times the (k, k) entry of H^n for a (2k-1)-square matrix H (Marsaglia, Tsang & Wang
    2003). Powers are rescaled by powers of two as they grow."""
    nd = n * d
    if nd <= 0.5:
        return 0.0
    if d >= 1.0:
        return 1.0
    k = math.ceil(nd)
    h = k - nd
    size = 2 * k - 1
    rows = np.arange(size)[:, None]
    cols = np.arange(size)[None, :]
    order = rows - cols + 1  # H[i, j] = 1 / (i - j + 1)! where i - j + 1 >= 0
    inv_factorial = np.array(
        [1.0 / math.factorial(v) if v <= 170 else 0.0 for v in range(size + 1)]
    )
    matrix = np.where(order >= 0, inv_factorial[np.clip(order, 0, size)], 0.0)
    powers = np.arange(1, size + 1)
    h_powers = h**powers
    matrix[:, 0] = (1.0 - h_powers) * inv_factorial[powers]
    matrix[-1, :] = (1.0 - h_powers[::-1]) * inv_factorial[powers[::-1]]
    matrix[-1, 0] = (1.0 - 2.0 * h**size + max(0.0, 2.0 * h - 1.0) ** size) * inv_factorial[size]

    result, result_exp = np.eye(size), 0
    base, base_exp = matrix, 0
    power = n
    while power:
        if power & 1:
            result, shift = _rescale(result @ base)
            result_exp += base_exp + shift
        power >>= 1
        if power:
            base, shift = _rescale(base @ base)
            base_exp = 2 * base_exp + shift
    entry = float(result[k - 1, k - 1])
    if entry <= 0.0:
        return 0.0
    log_p = math.log(entry) + result_exp * math.log(2.0) + _log_factorial_over_power(n)
    return _clip(math.exp(log_p))


def _rescale(matrix: np.ndarray) -> tuple[np.ndarray, int]:
    largest = float(np.max(np.abs(matrix)))
    if largest == 0.0 or not math.isfinite(largest):
        return matrix, 0
    shift = math.frexp(largest)[1]
    return np.ldexp(matrix, -shift), shift


def _pelz_good_cdf(n: int, x: float) -> float:
    """Pelz & Good (1976) expansion of P(D_n <= x):
    K0(z) + K1(z)/sqrt(n) + K2(z)/n + K3(z)/n^1.5 with z = x sqrt(n), each K written as theta-type
    sums over odd m = 2k - 1 of exp(-pi^2 m^2 / (8 z^2)) (plus a sum over all k for K2, K3)."""
    z = math.sqrt(n) * x
    z2 = z * z
    pi2 = math.pi**2
    if -pi2 / (8.0 * z2) < -745.0:  # every term underflows: the CDF is 0
        return 0.0
    terms = max(1, math.ceil(16.0 * z / math.pi))
    k = np.arange(1, terms + 1, dtype=np.float64)
    odd2 = (2.0 * k - 1.0) ** 2
    weight = np.exp(-pi2 * odd2 / (8.0 * z2))
    root_2pi = math.sqrt(2.0 * math.pi)
    z4, z6, z8 = z2 * z2, z2**3, z2**4

    k0 = root_2pi / z * float(np.sum(weight))
    k1 = root_2pi / (6.0 * z4) * float(np.sum((pi2 * odd2 / 4.0 - z2) * weight))
    k2_odd = (
        (6.0 * z6 + 2.0 * z4)
        + (2.0 * z4 - 5.0 * z2) * pi2 * odd2 / 4.0
        + (1.0 - 2.0 * z2) * pi2**2 * odd2**2 / 16.0
    )
    k3_odd = (
        (-30.0 * z6 - 90.0 * z8)
        + (135.0 * z4 - 96.0 * z6) * pi2 * odd2 / 4.0
        + (212.0 * z4 - 60.0 * z2) * pi2**2 * odd2**2 / 16.0
        + (5.0 - 30.0 * z2) * pi2**3 * odd2**3 / 64.0
    )
    all_weight = np.exp(-pi2 * k * k / (2.0 * z2))
    k2 = root_2pi / (72.0 * z**7) * float(np.sum(k2_odd * weight))
    k2 -= pi2 * root_2pi / (36.0 * z**3) * float(np.sum(k * k * all_weight))
    k3 = root_2pi / (6480.0 * z**10) * float(np.sum(k3_odd * weight))
    k3 += (
        pi2 * root_2pi / (216.0 * z6) * float(np.sum((3.0 * z2 - pi2 * k * k) * k * k * all_weight))
    )
    root_n = math.sqrt(n)
    return k0 + k1 / root_n + k2 / n + k3 / (n * root_n)


def chi2_sf(statistic: float, dof: float) -> float:
    """P(X >= statistic) for a chi-squared variable with `dof` degrees of freedom (scipy's
    `chi2.sf`): the regularized upper incomplete gamma function Q(dof/2, statistic/2), by its
    power series below a + 1 and by Lentz's continued fraction above."""
    if dof <= 0 or math.isnan(statistic):
        return math.nan
    if statistic <= 0.0:
        return 1.0
    if math.isinf(statistic):
        return 0.0
    return _upper_gamma_regularized(dof / 2.0, statistic / 2.0)


def _upper_gamma_regularized(a: float, x: float) -> float:
    log_front = -x + a * math.log(x) - math.lgamma(a)
    tiny = 1e-300
    if x < a + 1.0:
        # P(a, x) = x^a e^-x / Gamma(a + 1) * sum_k x^k / ((a+1)...(a+k))
        term = total = 1.0 / a
        denominator = a
        for _ in range(1_000_000):
            denominator += 1.0
            term *= x / denominator
            total += term
            if abs(term) < abs(total) * 1e-17:
                break
        return _clip(1.0 - total * math.exp(log_front))
    # Q(a, x) = x^a e^-x / Gamma(a) * 1/(x+1-a- 1(1-a)/(x+3-a- 2(2-a)/(x+5-a- ...)))
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    fraction = d
    for i in range(1, 1_000_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        fraction *= delta
        if abs(delta - 1.0) < 1e-16:
            break
    return _clip(math.exp(log_front) * fraction)


def chi_squared_test(
    reference_counts: np.ndarray, current_counts: np.ndarray
) -> tuple[float, float]:
    """Evidently's chi-squared test: scipy's `chisquare(current, reference * n_cur / n_ref)`
    with k - 1 degrees of freedom. Returns (statistic, p-value)."""
    ref = np.asarray(reference_counts, dtype=np.float64)
    cur = np.asarray(current_counts, dtype=np.float64)
    if ref.size <= 1:
        return 0.0, 1.0
    expected = ref * (cur.sum() / ref.sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        parts = np.where(
            expected > 0, (cur - expected) ** 2 / np.where(expected > 0, expected, 1.0), 0.0
        )
    if np.any((expected == 0) & (cur > 0)):
        return math.inf, 0.0
    statistic = float(np.sum(parts))
    return statistic, chi2_sf(statistic, ref.size - 1)


def proportion_z_test(
    reference_counts: np.ndarray, current_counts: np.ndarray
) -> tuple[float, float]:
    """Evidently's two-proportion z-test: the share of values other than the first category in
    each sample. Returns (z, two-sided p-value)."""
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
    return z, _clip(math.erfc(abs(z) / math.sqrt(2.0)))


def wasserstein_distance(u: np.ndarray, v: np.ndarray, *, assume_sorted: bool = False) -> float:
    """First Wasserstein distance between two samples, as scipy's `wasserstein_distance`: the
    area between the two empirical CDFs over the merged, sorted support."""
    u_sorted = np.asarray(u, dtype=np.float64)
    v_sorted = np.asarray(v, dtype=np.float64)
    if not assume_sorted:
        u_sorted, v_sorted = np.sort(u_sorted), np.sort(v_sorted)
    merged = np.sort(np.concatenate([u_sorted, v_sorted]), kind="stable")
    deltas = np.diff(merged)
    u_cdf = np.searchsorted(u_sorted, merged[:-1], side="right") / u_sorted.size
    v_cdf = np.searchsorted(v_sorted, merged[:-1], side="right") / v_sorted.size
    return float(np.dot(np.abs(u_cdf - v_cdf), deltas))


def jensen_shannon_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen-Shannon distance (natural log), as scipy's `spatial.distance.jensenshannon(p, q)`:
    both vectors are normalised to sum to 1 first."""
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    p = p / p.sum()
    q = q / q.sum()
    m = (p + q) / 2.0
    divergence = _relative_entropy(p, m) + _relative_entropy(q, m)
    return math.sqrt(max(divergence / 2.0, 0.0))


def _relative_entropy(p: np.ndarray, m: np.ndarray) -> float:
    positive = p > 0
    return float(np.sum(p[positive] * np.log(p[positive] / m[positive])))


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


# --------------------------------------------------------------------------------------------
# Preparing columns
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Side:
    """One side's cleaned values: sorted finite floats when `numbers`, else strings."""

    values: np.ndarray
    numbers: bool
    integers: bool = False


@dataclass(slots=True)
class _Pair:
    reference: np.ndarray
    current: np.ndarray
    numbers: bool  # values are sorted float64 (else object arrays of str)
    categorical: bool  # Evidently's column type

    @property
    def n_values(self) -> int:
        if self.numbers:
            merged = np.sort(np.concatenate([self.reference, self.current]), kind="stable")
            return 1 + int(np.count_nonzero(np.diff(merged)))
        return int(pd.unique(np.concatenate([self.reference, self.current])).size)


_DATETIME_KINDS = {"datetime", "datetime64", "date", "time", "timedelta", "timedelta64", "period"}
_NUMBER_KINDS = {"integer", "floating", "mixed-integer-float", "decimal"}


def _clean(series: pd.Series) -> _Side | str:
    """Drop missing and infinite values; return the kept values or a reason to skip."""
    dtype = series.dtype
    if (
        isinstance(dtype, pd.DatetimeTZDtype | pd.PeriodDtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
    ):
        return "datetime values are not compared (cast them to numbers to test them)"
    if pd.api.types.is_complex_dtype(dtype):
        return "complex numbers are not supported"
    if pd.api.types.is_bool_dtype(dtype):
        return _Side(series.dropna().astype(str).to_numpy(dtype=object), numbers=False)
    if pd.api.types.is_numeric_dtype(dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        values = np.sort(values[np.isfinite(values)])
        return _Side(values, numbers=True, integers=pd.api.types.is_integer_dtype(dtype))
    # object, string, category, interval, ...: inspect the values themselves
    kept = series[~series.isna().to_numpy(dtype=bool)]
    objects = kept.to_numpy(dtype=object)
    infinite = np.fromiter(
        (isinstance(v, float | np.floating) and math.isinf(v) for v in objects),
        dtype=bool,
        count=objects.size,
    )
    objects = objects[~infinite]
    if isinstance(dtype, pd.CategoricalDtype):
        return _Side(_as_labels(objects), numbers=False)
    inferred = pd.api.types.infer_dtype(objects, skipna=True)
    if inferred in _DATETIME_KINDS:
        return "datetime values are not compared (cast them to numbers to test them)"
    if inferred in _NUMBER_KINDS and objects.size:
        try:
            with np.errstate(all="ignore"):
                numbers = np.asarray(objects, dtype=np.float64)
        except (TypeError, ValueError, OverflowError):
            numbers = None
        if numbers is not None:
            numbers = np.sort(numbers[np.isfinite(numbers)])
            return _Side(numbers, numbers=True, integers=inferred == "integer")
    return _Side(_as_labels(objects), numbers=False)


def _as_labels(values: np.ndarray) -> np.ndarray:
    """Values as category labels (str); integral floats print without '.0' so 1 and 1.0 match."""
    labels = np.empty(values.size, dtype=object)
    for index, value in enumerate(values):
        if (
            isinstance(value, float | np.floating)
            and float(value).is_integer()
            and abs(value) < 2.0**53
        ):
            labels[index] = str(int(value))
        else:
            labels[index] = str(value)
    return labels


def _number_labels(values: np.ndarray) -> np.ndarray:
    return _as_labels(values.astype(object))


def _pair(reference: pd.Series, current: pd.Series) -> _Pair | str:
    ref, cur = _clean(reference), _clean(current)
    if isinstance(ref, str):
        return ref
    if isinstance(cur, str):
        return cur
    if ref.values.size == 0:
        return "no values in reference (all missing or infinite)"
    if cur.values.size == 0:
        return "no values in current (all missing or infinite)"
    if ref.numbers and cur.numbers:
        reference_unique = 1 + int(np.count_nonzero(np.diff(ref.values)))
        categorical = ref.integers and cur.integers and reference_unique <= CATEGORICAL_UNIQUE_LIMIT
        return _Pair(ref.values, cur.values, numbers=True, categorical=categorical)
    ref_labels = _number_labels(ref.values) if ref.numbers else ref.values
    cur_labels = _number_labels(cur.values) if cur.numbers else cur.values
    return _Pair(ref_labels, cur_labels, numbers=False, categorical=True)


def _default_method(pair: _Pair, psi: bool) -> str:
    if psi:
        return "psi"
    n_values = pair.n_values
    if pair.reference.size <= SMALL_REFERENCE_ROWS:
        if not pair.categorical and n_values > CATEGORICAL_UNIQUE_LIMIT:
            return "ks"
        return "chi2" if n_values > BINARY_UNIQUE_LIMIT else "z"
    if not pair.categorical and n_values > CATEGORICAL_UNIQUE_LIMIT:
        return "wasserstein"
    return "jensenshannon"


def _counts(pair: _Pair) -> tuple[np.ndarray, np.ndarray]:
    """Counts per value over the union of values, values in sorted order."""
    pooled = np.concatenate([pair.reference, pair.current])
    codes, uniques = pd.factorize(pooled, sort=True)
    size = len(uniques)
    split = pair.reference.size
    return (
        np.bincount(codes[:split], minlength=size).astype(np.float64),
        np.bincount(codes[split:], minlength=size).astype(np.float64),
    )


def _shares(pair: _Pair) -> tuple[np.ndarray, np.ndarray]:
    """Evidently's `get_binned_data`: Sturges histogram over both samples for numbers with more
    than 20 distinct reference values, else one bin per value."""
    if pair.numbers and not pair.categorical:
        reference_unique = 1 + int(np.count_nonzero(np.diff(pair.reference)))
        if reference_unique > HISTOGRAM_MIN_UNIQUE:
            pooled = np.concatenate([pair.reference, pair.current])
            scale = _power_of_two_scale(pooled)
            edges = np.histogram_bin_edges(pooled / scale, bins="sturges")
            ref_counts = np.histogram(pair.reference / scale, edges)[0]
            cur_counts = np.histogram(pair.current / scale, edges)[0]
            return ref_counts / pair.reference.size, cur_counts / pair.current.size
    ref_counts, cur_counts = _counts(pair)
    return ref_counts / pair.reference.size, cur_counts / pair.current.size


def _power_of_two_scale(values: np.ndarray) -> float:
    """A power of two bringing the largest |value| near 1: dividing by it is exact and keeps
    differences and variances of huge numbers (up to 1.8e308) finite."""
    largest = float(np.max(np.abs(values))) if values.size else 0.0
    if largest == 0.0:
        return 1.0
    return math.ldexp(1.0, math.frexp(largest)[1] - 1)  # largest / scale lies in [1, 2)


def _normed_wasserstein(pair: _Pair) -> float:
    scale = _power_of_two_scale(np.concatenate([pair.reference[[0, -1]], pair.current[[0, -1]]]))
    ref, cur = pair.reference / scale, pair.current / scale
    distance = wasserstein_distance(ref, cur, assume_sorted=True)
    spread = float(np.std(ref))
    if distance == 0.0:
        return 0.0
    if spread * scale >= WASSERSTEIN_MIN_STD:
        return distance / spread
    with np.errstate(over="ignore"):
        return float(distance * scale / WASSERSTEIN_MIN_STD)


def _run(method: str, pair: _Pair) -> tuple[float, float | None]:
    if method == "ks":
        return ks_two_sample(pair.reference, pair.current, assume_sorted=True)
    if method == "wasserstein":
        return _normed_wasserstein(pair), None
    if method in {"chi2", "z"}:
        ref_counts, cur_counts = _counts(pair)
        test = chi_squared_test if method == "chi2" else proportion_z_test
        return test(ref_counts, cur_counts)
    ref_shares, cur_shares = _shares(pair)
    if method == "jensenshannon":
        return jensen_shannon_distance(ref_shares, cur_shares), None
    return population_stability_index(ref_shares, cur_shares), None


# --------------------------------------------------------------------------------------------
# Checking a pair of tables
# --------------------------------------------------------------------------------------------


def check_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    overrides: Mapping[str, ColumnSpec] | None = None,
    share_threshold: float = 0.5,
    psi: bool = False,
) -> DriftResult:
    """Compare every column the two tables share (or `columns`), one test each.

    Columns present on one side only, duplicated names, datetimes and columns with no usable
    value on a side are listed in `skipped` with the reason. Raises DriftInputError for empty
    tables, no column in common (or none that could be compared), an unknown method or a bad
    threshold in `overrides`, and a `columns` name missing from either table.
    """
    _check_frame(reference, "reference")
    _check_frame(current, "current")
    share_threshold = _check_share(share_threshold)
    ref_names, ref_duplicates = _names(reference)
    cur_names, cur_duplicates = _names(current)
    skipped: list[tuple[str, str]] = []

    if columns is not None:
        names = list(dict.fromkeys([columns] if isinstance(columns, str) else map(str, columns)))
        if not names:
            raise DriftInputError("no columns were selected")
        for name in names:
            for side, known in (("reference", ref_names), ("current", cur_names)):
                if name not in known:
                    raise DriftInputError(f"column {quoted(name)} is not in {side}")
    else:
        names = [name for name in ref_names if name in cur_names]
        skipped += [(name, "only in reference") for name in ref_names if name not in cur_names]
        skipped += [(name, "only in current") for name in cur_names if name not in ref_names]
        if not names:
            raise DriftInputError(
                "reference and current have no column in common "
                f"(reference: {preview(ref_names)}; current: {preview(cur_names)})"
            )
    specs = _check_overrides(overrides, set(ref_names) | set(cur_names))

    results: list[ColumnDrift] = []
    for name in names:
        duplicated = [
            side
            for side, duplicates in (("reference", ref_duplicates), ("current", cur_duplicates))
            if name in duplicates
        ]
        if duplicated:
            skipped.append((name, f"duplicate column name in {' and '.join(duplicated)}"))
            continue
        pair = _pair(reference[ref_names[name]], current[cur_names[name]])
        if isinstance(pair, str):
            skipped.append((name, pair))
            continue
        spec = specs.get(name, ColumnSpec())
        method = spec.method or _default_method(pair, psi)
        if method in _NUMERIC_ONLY and not pair.numbers:
            raise DriftInputError(
                f"column {quoted(name)}: method {quoted(method)} needs numbers, but the column "
                "holds categories (use chi2, z, jensenshannon or psi)"
            )
        threshold = DEFAULT_THRESHOLDS[method] if spec.threshold is None else spec.threshold
        if method in P_VALUE_METHODS and threshold > 1:
            raise DriftInputError(
                f"column {quoted(name)}: {method} compares a p-value, so its threshold must be "
                f"within 0..1, got {quoted(threshold)}"
            )
        try:
            with np.errstate(all="ignore"):
                statistic, p_value = _run(method, pair)
        except (ValueError, TypeError, ArithmeticError, IndexError) as error:  # pragma: no cover
            skipped.append((name, f"could not be compared ({type(error).__name__}: {error})"))
            continue
        statistic = float(statistic)
        if p_value is not None:
            p_value = float(p_value)
            drifted = p_value < threshold
        else:
            drifted = statistic >= threshold
        results.append(ColumnDrift(name, method, statistic, p_value, float(threshold), drifted))

    if not results:
        listed = "; ".join(f"{quoted(name)}: {reason}" for name, reason in skipped[:5])
        more = f"; and {len(skipped) - 5} more" if len(skipped) > 5 else ""
        raise DriftInputError(f"no column could be compared ({listed}{more})")
    drifted_count = sum(1 for column in results if column.drifted)
    drift_share = drifted_count / len(results)
    return DriftResult(
        columns=results,
        drift_share=drift_share,
        dataset_drift=drift_share >= share_threshold,
        share_threshold=share_threshold,
        reference_rows=len(reference.index),
        current_rows=len(current.index),
        skipped=skipped,
    )


def _check_frame(frame: object, side: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise DriftInputError(
            f"{side} must be a table (pandas DataFrame), got {type(frame).__name__}"
        )
    if len(frame.index) == 0:
        raise DriftInputError(f"{side} has no rows")
    if len(frame.columns) == 0:
        raise DriftInputError(f"{side} has no columns")


def _check_share(share_threshold: float) -> float:
    try:
        value = float(share_threshold)
    except (TypeError, ValueError):
        raise DriftInputError(
            f"share threshold must be a number, got {quoted(share_threshold)}"
        ) from None
    if not 0.0 <= value <= 1.0:
        raise DriftInputError(f"share threshold must be within 0..1, got {quoted(share_threshold)}")
    return value


def _names(frame: pd.DataFrame) -> tuple[dict[str, Any], set[str]]:
    """Column name (its str) -> label, in column order, and the names used more than once
    (those map to their first label and are skipped with a reason)."""
    names: dict[str, Any] = {}
    duplicates: set[str] = set()
    for label in frame.columns:
        name = str(label)
        if name in names:
            duplicates.add(name)
        else:
            names[name] = label
    return names, duplicates


def preview(names: Iterable[str]) -> str:
    """The first five names and how many there are: enough to recognise them in one line,
    however many and however long they are."""
    listed = list(names)
    shown = ", ".join(quoted(name) for name in listed[:5])
    return shown + (f", ... ({len(listed)} in all)" if len(listed) > 5 else "")


def _check_overrides(
    overrides: Mapping[str, ColumnSpec] | None, known: set[str]
) -> dict[str, ColumnSpec]:
    if overrides is None:
        return {}
    if not isinstance(overrides, Mapping):
        raise DriftInputError("overrides must map column names to ColumnSpec")
    specs: dict[str, ColumnSpec] = {}
    for raw_name, spec in overrides.items():
        name = str(raw_name)
        if name not in known:
            raise DriftInputError(f"override for column {quoted(name)}, which is in neither table")
        if not isinstance(spec, ColumnSpec):
            raise DriftInputError(f"override for column {quoted(name)} must be a ColumnSpec")
        method = spec.method
        if method is not None:
            if not isinstance(method, str):
                raise DriftInputError(
                    f"column {quoted(name)}: method must be a name, got {quoted(method)}"
                )
            method = METHOD_ALIASES.get(method.strip().lower(), method.strip().lower())
            if method not in METHODS:
                raise DriftInputError(
                    f"column {quoted(name)}: unknown drift method {quoted(spec.method)} "
                    f"(choose from {', '.join(METHODS)})"
                )
        threshold = spec.threshold
        if threshold is not None:
            if isinstance(threshold, bool) or not isinstance(threshold, int | float):
                raise DriftInputError(
                    f"column {quoted(name)}: threshold must be a number, got {quoted(threshold)}"
                )
            threshold = float(threshold)
            if not math.isfinite(threshold) or threshold < 0:
                raise DriftInputError(
                    f"column {quoted(name)}: threshold must be a finite number >= 0, "
                    f"got {quoted(threshold)}"
                )
        specs[name] = ColumnSpec(method, threshold)
    return specs
