"""A column of each table made ready for a drift test, and Evidently's choice of test for it.

`pair_columns` drops NaN, None and +/-inf, decides whether the pair holds numbers or category
labels (Evidently's column-type inference), or says why the column cannot be compared;
`default_method` is Evidently's `_get_default_stattest` for that pair. The rules are listed in
`mlboard.analytics.drift`'s docstring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["ColumnPair", "default_method", "distinct_sorted", "pair_columns", "value_counts"]

SMALL_REFERENCE_ROWS = 1000  # Evidently: "<= 1000 objects in reference" -> p-value tests
CATEGORICAL_UNIQUE_LIMIT = 5  # n_unique <= 5 -> treated as categories
BINARY_UNIQUE_LIMIT = 2  # n_unique <= 2 -> proportion z-test

_DATETIME_KINDS = {"datetime", "datetime64", "date", "time", "timedelta", "timedelta64", "period"}
_NUMBER_KINDS = {"integer", "floating", "mixed-integer-float", "decimal"}
_DATETIME_REASON = "datetime values are not compared (cast them to numbers to test them)"


@dataclass(slots=True)
class _Side:
    """One side's cleaned values: sorted finite floats when `numbers`, else strings."""

    values: np.ndarray
    numbers: bool
    integers: bool = False


@dataclass(slots=True)
class ColumnPair:
    """The reference and current values of one column, cleaned."""

    reference: np.ndarray
    current: np.ndarray
    numbers: bool  # values are sorted float64 (else object arrays of str)
    categorical: bool  # Evidently's column type

    @property
    def n_values(self) -> int:
        """Distinct values over both sides (Evidently's n_unique)."""
        if self.numbers:
            return distinct_sorted(np.sort(np.concatenate([self.reference, self.current])))
        return int(pd.unique(np.concatenate([self.reference, self.current])).size)


def pair_columns(reference: pd.Series, current: pd.Series) -> ColumnPair | str:
    """Both sides cleaned and typed, or the reason the column is skipped."""
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
        few = distinct_sorted(ref.values) <= CATEGORICAL_UNIQUE_LIMIT
        categorical = ref.integers and cur.integers and few
        return ColumnPair(ref.values, cur.values, numbers=True, categorical=categorical)
    ref_labels = _number_labels(ref.values) if ref.numbers else ref.values
    cur_labels = _number_labels(cur.values) if cur.numbers else cur.values
    return ColumnPair(ref_labels, cur_labels, numbers=False, categorical=True)


def default_method(pair: ColumnPair, psi: bool) -> str:
    """Evidently's default test for the pair (PSI for every column when `psi`)."""
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


def value_counts(pair: ColumnPair) -> tuple[np.ndarray, np.ndarray]:
    """Counts per value on each side, over the union of values in sorted order."""
    pooled = np.concatenate([pair.reference, pair.current])
    codes, uniques = pd.factorize(pooled, sort=True)
    size = len(uniques)
    split = pair.reference.size
    return (
        np.bincount(codes[:split], minlength=size).astype(np.float64),
        np.bincount(codes[split:], minlength=size).astype(np.float64),
    )


def distinct_sorted(values: np.ndarray) -> int:
    """How many distinct values a sorted, non-empty array of numbers holds."""
    return 1 + int(np.count_nonzero(np.diff(values)))


def _clean(series: pd.Series) -> _Side | str:
    """Drop missing and infinite values; return the kept values or a reason to skip."""
    dtype = series.dtype
    if (
        isinstance(dtype, pd.DatetimeTZDtype | pd.PeriodDtype)
        or pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
    ):
        return _DATETIME_REASON
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
        return _DATETIME_REASON
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
