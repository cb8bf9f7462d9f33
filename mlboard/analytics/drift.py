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

How each statistic is computed (`mlboard.analytics.drift_methods`; the statistics are scipy's):

* `ks`: scipy's `ks_2samp` with its default method, as Evidently calls it: exact p-value when
  both samples have <= 10,000 values, asymptotic above.
* `chi2`: Evidently's goodness-of-fit form, scipy's `chisquare(f_obs=current counts,
  f_exp=reference counts * n_current / n_reference)` over the union of categories, with
  k - 1 degrees of freedom. A category the reference never had gives an infinite statistic
  (p = 0, drift); JSON shows such a statistic as null. One category only: statistic 0, p = 1.
* `z`: Evidently's proportion test, category = first sorted value vs the rest,
  z = (p_ref - p_cur) / sqrt(P (1 - P) (1/n_ref + 1/n_cur)), two-sided p = erfc(|z| / sqrt 2).
  Both samples the same single value: z = 0, p = 1.
* `wasserstein`: scipy's `wasserstein_distance` / max(std(reference), 0.001). A constant
  reference equal to a constant current gives 0; any other current gives distance / 0.001,
  i.e. drift.
* `jensenshannon` / `psi`: Evidently's binning: numerical columns with > 20 distinct reference
  values use `np.histogram_bin_edges(reference + current, bins="sturges")`; others use one bin
  per value. Jensen-Shannon is scipy's `spatial.distance.jensenshannon`; PSI = sum((ref% - cur%)
  * ln(ref% / cur%)) with Evidently's fill for empty bins (min non-zero share / 1e6 when that
  share is <= 1e-4, else 1e-4).

A table against itself gives 0 for ks, wasserstein, jensenshannon and psi (and p = 1). Huge
numbers (up to 1.8e308) are rescaled by a power of two (exact) so distances and histograms stay
finite.

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

from mlboard.analytics.drift_columns import default_method, pair_columns
from mlboard.analytics.drift_methods import run_method
from mlboard.errors import quoted

__all__ = [
    "DEFAULT_THRESHOLDS",
    "METHODS",
    "ColumnDrift",
    "ColumnSpec",
    "DriftInputError",
    "DriftResult",
    "check_drift",
    "preview",
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
        pair = pair_columns(reference[ref_names[name]], current[cur_names[name]])
        if isinstance(pair, str):
            skipped.append((name, pair))
            continue
        spec = specs.get(name, ColumnSpec())
        method = spec.method or default_method(pair, psi)
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
                statistic, p_value = run_method(method, pair)
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
