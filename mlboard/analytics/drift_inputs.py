"""Checks of the tables and overrides a drift check is given, stricter than `check_drift`'s.

A CI gate that passes on broken data is worse than one that stops, so these are refused with a
`DriftInputError` naming the file and column:
* a column that has values in one file and none at all in the other (a column with no values in
  either file is skipped, as `check_drift` does: nothing changed);
* a column that holds numbers in one file and text or true/false in the other, or that mixes
  numbers and text within one file. `check_drift` would compare such a column as text labels,
  which gives meaningless results for measurements. To compare it as labels anyway, give it a
  categorical method (`chi2`, `z`, `jensenshannon` or `psi`);
* an override or a selected column that is missing, or that could not be compared;
* an override written badly on the command line (`NAME=METHOD[:THRESHOLD]`).
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api import types

from mlboard.analytics.drift import (
    METHOD_ALIASES,
    METHODS,
    ColumnSpec,
    DriftInputError,
    DriftResult,
    preview,
)
from mlboard.errors import quoted
from mlboard.wording import plural

__all__ = [
    "check_overrides_compared",
    "check_tables",
    "parse_column_override",
    "parse_column_overrides",
]

# Methods that compare labels, so they also accept a column whose type differs between the
# files. The aliases are the ones `check_drift` accepts.
_LABEL_METHODS = frozenset({"chi2", "z", "jensenshannon", "psi"})
_KIND_WORDS = {"text": "text", "booleans": "true/false values"}


# --------------------------------------------------------------------------------------------
# Overrides from the command line
# --------------------------------------------------------------------------------------------


def parse_column_override(text: str) -> tuple[str, ColumnSpec]:
    """`NAME=METHOD[:THRESHOLD]` (or `NAME=:THRESHOLD` to keep the default test), e.g.
    `tenure=psi`, `plan=chi2:0.01`, `income=wasserstein:0.2`."""
    name, equals, rule = text.rpartition("=")
    name, rule = name.strip(), rule.strip()
    if not equals or not name or not rule:
        raise DriftInputError(
            f"--column {quoted(text)}: expected NAME=METHOD[:THRESHOLD], e.g. plan=chi2:0.01"
        )
    method_text, colon, threshold_text = rule.partition(":")
    method = method_text.strip().lower() or None
    if method is not None:
        method = METHOD_ALIASES.get(method, method)
        if method not in METHODS:
            raise DriftInputError(
                f"--column {quoted(text)}: unknown drift method {quoted(method_text.strip())} "
                f"(choose from {', '.join(METHODS)})"
            )
    threshold = None
    if colon:
        try:
            threshold = float(threshold_text)
        except ValueError:
            raise DriftInputError(
                f"--column {quoted(text)}: threshold {quoted(threshold_text.strip())} "
                "is not a number"
            ) from None
        if not math.isfinite(threshold) or threshold < 0:
            raise DriftInputError(f"--column {quoted(text)}: threshold must be a number >= 0")
    if method is None and threshold is None:
        raise DriftInputError(f"--column {quoted(text)}: give a method, a threshold or both")
    return name, ColumnSpec(method, threshold)


def parse_column_overrides(texts: Sequence[str]) -> dict[str, ColumnSpec]:
    overrides: dict[str, ColumnSpec] = {}
    for text in texts:
        name, spec = parse_column_override(text)
        if name in overrides:
            raise DriftInputError(
                f"--column {quoted(text)}: column {quoted(name)} is given more than once"
            )
        overrides[name] = spec
    return overrides


# --------------------------------------------------------------------------------------------
# The tables, before and after check_drift
# --------------------------------------------------------------------------------------------


def check_tables(
    reference: tuple[str, pd.DataFrame],
    current: tuple[str, pd.DataFrame],
    names: Sequence[str] | None,
    overrides: Mapping[str, ColumnSpec] | None,
) -> None:
    """Refuse, naming the file and column, what `check_drift` would compare poorly or report
    only as `reference`/`current`."""
    sides = []
    for path, frame in (reference, current):
        if len(frame.columns) == 0:
            raise DriftInputError(f"{path}: the table has no columns")
        if len(frame.index) == 0:
            raise DriftInputError(f"{path}: the table has no rows (only a header)")
        labels: dict[str, Any] = {}
        for label in frame.columns:
            labels.setdefault(str(label), label)
        sides.append((path, frame, labels))
    (ref_path, ref_frame, ref_labels), (cur_path, cur_frame, cur_labels) = sides
    for name in [*(names or ()), *map(str, overrides or {})]:
        for path, _frame, labels in sides:
            if name not in labels:
                raise DriftInputError(f"{path}: no column {quoted(name)}")
    selected = names if names is not None else [n for n in ref_labels if n in cur_labels]
    if names is not None and not names:
        raise DriftInputError("no columns were selected")
    if not selected:
        raise DriftInputError(
            f"{ref_path} and {cur_path} have no column in common "
            f"({ref_path}: {preview(ref_labels)}; {cur_path}: {preview(cur_labels)})"
        )
    for name in selected:
        method = getattr((overrides or {}).get(name), "method", None)
        method = method.strip().lower() if isinstance(method, str) else None
        as_labels = METHOD_ALIASES.get(method or "", method) in _LABEL_METHODS
        ref_series = _first(ref_frame, ref_labels[name])
        cur_series = _first(cur_frame, cur_labels[name])
        ref_kind, cur_kind = _kind(ref_series), _kind(cur_series)
        if (ref_kind == "empty") != (cur_kind == "empty"):
            path, series = (ref_path, ref_series) if ref_kind == "empty" else (cur_path, cur_series)
            raise DriftInputError(
                f"{path}: column {quoted(name)} has no values ({plural(len(series), 'row')}, "
                "all missing), so it cannot be compared"
            )
        if as_labels:
            continue
        hint = _labels_hint(name)
        for path, series, kind in (
            (ref_path, ref_series, ref_kind),
            (cur_path, cur_series, cur_kind),
        ):
            if kind == "mixed":
                row, value = _first_non_number(series)
                raise DriftInputError(
                    f"{path}: column {quoted(name)} mixes numbers and text "
                    f"(row {row}: {quoted(value)}){hint}"
                )
        if (ref_kind == "numbers") != (cur_kind == "numbers") and {ref_kind, cur_kind} <= {
            "numbers",
            "text",
            "booleans",
        }:
            path, series, kind = (
                (cur_path, cur_series, cur_kind)
                if ref_kind == "numbers"
                else (ref_path, ref_series, ref_kind)
            )
            other = ref_path if path == cur_path else cur_path
            row, value = _first_non_number(series)
            raise DriftInputError(
                f"{path}: column {quoted(name)} holds {_KIND_WORDS[kind]} where {other} holds "
                f"numbers (row {row}: {quoted(value)}){hint}"
            )


def _labels_hint(name: str) -> str:
    """How to compare the column as labels: the exact option when it is short enough to type."""
    option = shlex.quote(f"{name}=chi2") if name.isprintable() and len(name) <= 60 else "NAME=chi2"
    return f"; to compare it as labels anyway, use --column {option} (or another categorical test)"


def check_overrides_compared(result: DriftResult, overrides: Mapping[str, Any] | None) -> None:
    """Refuse an override whose column `check_drift` did not compare, saying why."""
    compared = {column.name for column in result.columns}
    reasons = dict(result.skipped)
    for name in overrides or {}:
        if name not in compared:
            reason = reasons.get(name, "it is not among the selected columns")
            raise DriftInputError(
                f"column {quoted(name)} has an override but was not compared: {reason}"
            )


def _first(frame: pd.DataFrame, label: Any) -> pd.Series:
    """The column under `label` (the first one if the name is used twice)."""
    found = frame[label]
    return found.iloc[:, 0] if found.ndim == 2 else found


def _kind(series: pd.Series) -> str:
    """numbers, text, booleans, mixed, empty, or other (datetimes, ...).

    `mixed` is text that is mostly numbers ("12", "7.5", ..., "n.a."): a measurement with some
    stray text, which read from CSV arrives as text. Or a column that holds numbers and text
    objects side by side. Comparing either as labels would be meaningless.
    """
    dtype = series.dtype
    present = series.notna().to_numpy(dtype=bool)
    if not present.any():
        return "empty"
    if types.is_bool_dtype(dtype):
        return "booleans"
    if types.is_numeric_dtype(dtype) and not types.is_complex_dtype(dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return "numbers" if np.isfinite(values).any() else "empty"
    categorical = isinstance(dtype, pd.CategoricalDtype)
    if not (categorical or types.is_object_dtype(dtype) or types.is_string_dtype(dtype)):
        return "other"
    inferred = types.infer_dtype(series, skipna=True)
    if inferred in {"integer", "floating", "mixed-integer-float", "decimal"}:
        return "numbers"
    if inferred == "boolean":
        return "booleans"
    if inferred in {"mixed-integer", "mixed"}:
        return "mixed"
    if inferred != "string":
        return "other"
    counts = series.value_counts(dropna=True)  # parse each distinct value once
    numeric = _as_numbers(counts.index).notna().to_numpy(dtype=bool)
    return "mixed" if 2 * int(counts.to_numpy()[numeric].sum()) >= int(counts.sum()) else "text"


def _as_numbers(series: pd.Series | pd.Index) -> pd.Series:
    """Each value as a number, NaN where it is not one."""
    return pd.to_numeric(pd.Series(series.to_numpy(dtype=object)), errors="coerce")


def _first_non_number(series: pd.Series) -> tuple[int, Any]:
    """The 1-based row and value of the first present value that is not a number."""
    present = series.notna().to_numpy(dtype=bool)
    candidates = np.flatnonzero(present & _as_numbers(series).isna().to_numpy(dtype=bool))
    position = int(candidates[0]) if candidates.size else int(np.flatnonzero(present)[0])
    return position + 1, series.to_numpy(dtype=object)[position]
