"""Drift checks: compare two data files, keep the verdict as a DriftReport, log it to MLflow.

`run_drift_check` reads a reference and a current table (CSV, TSV or Parquet), compares them
column by column with `mlboard.analytics.drift.check_drift` (Evidently's default tests), stores
the verdict as one DriftReport in one transaction, and can log it to an MLflow run as well.

This service is stricter about its input than `check_drift`, because a CI gate that passes on
broken data is worse than one that stops. These are refused as bad input (one line naming the
file and column, exit 2, nothing stored):
* a column that has values in one file and none at all in the other (a column with no values in
  either file is skipped, as `check_drift` does: nothing changed);
* a column that holds numbers in one file and text or true/false in the other, or that mixes
  numbers and text within one file. `check_drift` would compare such a column as text labels,
  which gives meaningless results for measurements. To compare it as labels anyway, give it a
  categorical method (`chi2`, `z`, `jensenshannon` or `psi`);
* an override or a selected column that is missing, or that could not be compared.

pandas (through analytics) and MLflow are imported inside the functions that use them, so
importing this module stays cheap for the CLI and the TUI.
"""

from __future__ import annotations

import math
import os
import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select

from mlboard.errors import UserError
from mlboard.services.workspace import Workspace
from mlboard.store.tables import DriftReport, Run

if TYPE_CHECKING:
    import pandas as pd

    from mlboard.analytics.drift import ColumnSpec, DriftResult
    from mlboard.integrations.mlflow_sync import TrackingStore

DRIFT_REPORT_TAG = "mlboard.drift_report"
ARTIFACT_NAME = "drift_report.json"
# Methods that compare labels, so they also accept a column whose type differs between the
# files. The aliases are the ones `check_drift` accepts.
_ALIASES = {"chisquare": "chi2", "chi-squared": "chi2", "chi_squared": "chi2"}
_LABEL_METHODS = frozenset({"chi2", "z", "jensenshannon", "psi"})
_KIND_WORDS = {"text": "text", "booleans": "true/false values"}
_MLFLOW_BATCH = 1000  # metrics per log_batch call (MLflow's limit)
_MLFLOW_KEY_LENGTH = 250


@dataclass(frozen=True, slots=True)
class StoredDrift:
    """A drift check just run and stored; `as_json` is `drift check --format json`."""

    report_id: int
    created_at: datetime
    model: str | None
    reference: str  # the files as stored: absolute paths
    current: str
    result: DriftResult
    mlflow_run_id: str | None = None

    @property
    def drifted_columns(self) -> int:
        return sum(1 for column in self.result.columns if column.drifted)

    def as_json(self) -> dict[str, Any]:
        data = self.result.as_json()
        return {
            "columns": data["columns"],
            "drift_share": data["drift_share"],
            "dataset_drift": data["dataset_drift"],
            "report_id": self.report_id,
            "model": self.model,
            "reference_rows": data["reference_rows"],
            "current_rows": data["current_rows"],
            "skipped": data["skipped"],
        }


@dataclass(frozen=True, slots=True)
class DriftReportView:
    """A stored DriftReport, as `drift list` and the screens show it."""

    report_id: int
    created_at: datetime
    actor: str
    model: str | None
    reference: str
    current: str
    drift_share: float
    dataset_drift: bool
    columns: list[dict[str, Any]]
    mlflow_run_id: str | None

    @property
    def drifted_columns(self) -> int:
        return sum(1 for column in self.columns if column.get("drifted"))

    def as_json(self) -> dict[str, Any]:
        return {
            "report_id": self.report_id,
            "created_at": self.created_at.isoformat(),
            "actor": self.actor,
            "model": self.model,
            "reference": self.reference,
            "current": self.current,
            "drift_share": self.drift_share,
            "dataset_drift": self.dataset_drift,
            "drifted_columns": self.drifted_columns,
            "columns": self.columns,
            "mlflow_run_id": self.mlflow_run_id,
        }


# --------------------------------------------------------------------------------------------
# Overrides from the command line
# --------------------------------------------------------------------------------------------


def parse_column_override(text: str) -> tuple[str, ColumnSpec]:
    """`NAME=METHOD[:THRESHOLD]` (or `NAME=:THRESHOLD` to keep the default test), e.g.
    `tenure=psi`, `plan=chi2:0.01`, `income=wasserstein:0.2`."""
    from mlboard.analytics.drift import METHODS, ColumnSpec

    name, equals, rule = text.rpartition("=")
    name, rule = name.strip(), rule.strip()
    if not equals or not name or not rule:
        raise UserError(f"--column {text!r}: expected NAME=METHOD[:THRESHOLD], e.g. plan=chi2:0.01")
    method_text, colon, threshold_text = rule.partition(":")
    method = method_text.strip().lower() or None
    if method is not None:
        method = _ALIASES.get(method, method)
        if method not in METHODS:
            raise UserError(
                f"--column {text!r}: unknown drift method {method_text.strip()!r} "
                f"(choose from {', '.join(METHODS)})"
            )
    threshold = None
    if colon:
        try:
            threshold = float(threshold_text)
        except ValueError:
            raise UserError(
                f"--column {text!r}: threshold {threshold_text.strip()!r} is not a number"
            ) from None
        if not math.isfinite(threshold) or threshold < 0:
            raise UserError(f"--column {text!r}: threshold must be a number >= 0")
    if method is None and threshold is None:
        raise UserError(f"--column {text!r}: give a method, a threshold or both")
    return name, ColumnSpec(method, threshold)


def parse_column_overrides(texts: Sequence[str]) -> dict[str, ColumnSpec]:
    overrides: dict[str, ColumnSpec] = {}
    for text in texts:
        name, spec = parse_column_override(text)
        if name in overrides:
            raise UserError(f"--column {text!r}: column {name!r} is given more than once")
        overrides[name] = spec
    return overrides


# --------------------------------------------------------------------------------------------
# Running a check
# --------------------------------------------------------------------------------------------


def run_drift_check(
    ws: Workspace,
    reference_path: str | os.PathLike[str],
    current_path: str | os.PathLike[str],
    *,
    model: str | None = None,
    overrides: Mapping[str, ColumnSpec] | None = None,
    share_threshold: float = 0.5,
    psi: bool = False,
    columns: Sequence[str] | None = None,
    log_to_run: str | None = None,
    tracking_uri: str | None = None,
) -> StoredDrift:
    """Compare two files, store the verdict as a DriftReport, optionally log it to an MLflow run.

    Bad input raises UserError (exit 2) before anything is written. With `log_to_run`, the run
    is looked up before the check is stored; if MLflow then refuses the metrics, the report is
    not stored either (TrackingError, exit 1).
    """
    from mlboard.analytics.drift import DriftInputError, check_drift, read_table

    model_name = (model or "").strip() or None
    names = [str(name) for name in columns] if columns is not None else None
    try:
        reference, current = read_table(reference_path), read_table(current_path)
        _check_tables(
            (str(reference_path), reference), (str(current_path), current), names, overrides
        )
        result = check_drift(
            reference,
            current,
            columns=names,
            overrides=overrides,
            share_threshold=share_threshold,
            psi=psi,
        )
    except DriftInputError as error:
        raise UserError(str(error)) from None
    _check_overrides_compared(result, overrides)

    target = None
    if log_to_run is not None:
        target = _run_target(ws, log_to_run, tracking_uri)
    with ws.writing() as session:
        report = DriftReport(
            created_at=ws.now(),
            actor=ws.actor,
            model_name=model_name,
            reference=str(Path(reference_path).resolve()),
            current=str(Path(current_path).resolve()),
            drift_share=result.drift_share,
            dataset_drift=result.dataset_drift,
            columns=[column.as_json() for column in result.columns],
            mlflow_run_id=target[1] if target else None,
        )
        session.add(report)
        session.flush()
        assert report.id is not None
        stored = StoredDrift(
            report_id=report.id,
            created_at=report.created_at,
            model=model_name,
            reference=report.reference,
            current=report.current,
            result=result,
            mlflow_run_id=report.mlflow_run_id,
        )
        if target is not None:
            # Inside the transaction: if MLflow refuses, the report is not stored either.
            _log_to_mlflow(*target, stored, int(ws.now().timestamp() * 1000))
    return stored


def list_drift_reports(
    ws: Workspace, model: str | None = None, limit: int | None = 20
) -> list[DriftReportView]:
    """Stored reports, newest first; only `model`'s when given; at most `limit` (None: all)."""
    if limit is not None and limit < 1:
        raise UserError(f"limit must be 1 or more, got {limit}")
    query = select(DriftReport).order_by(
        col(DriftReport.created_at).desc(), col(DriftReport.id).desc()
    )
    if model is not None:
        query = query.where(DriftReport.model_name == model.strip())
    if limit is not None:
        query = query.limit(limit)
    with ws.reading() as session:
        return [_view(report) for report in session.exec(query)]


def latest_drift(ws: Workspace, model: str | None) -> DriftReportView | None:
    """The newest report for `model` (for any model when None), or None."""
    found = list_drift_reports(ws, model, limit=1)
    return found[0] if found else None


def _view(report: DriftReport) -> DriftReportView:
    assert report.id is not None
    return DriftReportView(
        report_id=report.id,
        created_at=report.created_at,
        actor=report.actor,
        model=report.model_name,
        reference=report.reference,
        current=report.current,
        drift_share=report.drift_share,
        dataset_drift=report.dataset_drift,
        columns=list(report.columns),
        mlflow_run_id=report.mlflow_run_id,
    )


# --------------------------------------------------------------------------------------------
# Input checks beyond check_drift's (these could move into analytics/drift.py)
# --------------------------------------------------------------------------------------------


def _check_tables(
    reference: tuple[str, pd.DataFrame],
    current: tuple[str, pd.DataFrame],
    names: Sequence[str] | None,
    overrides: Mapping[str, ColumnSpec] | None,
) -> None:
    """Refuse, naming the file and column, what `check_drift` would compare poorly or report
    only as `reference`/`current`."""
    from mlboard.analytics.drift import DriftInputError

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
                raise DriftInputError(f"{path}: no column {name!r}")
    selected = names if names is not None else [n for n in ref_labels if n in cur_labels]
    if names is not None and not names:
        raise DriftInputError("no columns were selected")
    if not selected:
        raise DriftInputError(
            f"{ref_path} and {cur_path} have no column in common "
            f"({ref_path}: {_preview(ref_labels)}; {cur_path}: {_preview(cur_labels)})"
        )
    for name in selected:
        method = getattr((overrides or {}).get(name), "method", None)
        method = method.strip().lower() if isinstance(method, str) else None
        as_labels = _ALIASES.get(method or "", method) in _LABEL_METHODS
        ref_series = _first(ref_frame, ref_labels[name])
        cur_series = _first(cur_frame, cur_labels[name])
        ref_kind, cur_kind = _kind(ref_series), _kind(cur_series)
        if (ref_kind == "empty") != (cur_kind == "empty"):
            path, series = (ref_path, ref_series) if ref_kind == "empty" else (cur_path, cur_series)
            raise DriftInputError(
                f"{path}: column {name!r} has no values (all {len(series)} rows are missing), "
                "so it cannot be compared"
            )
        if as_labels:
            continue
        hint = (
            f"; to compare it as labels anyway, use --column {shlex.quote(f'{name}=chi2')} "
            "(or another categorical test)"
        )
        for path, series, kind in (
            (ref_path, ref_series, ref_kind),
            (cur_path, cur_series, cur_kind),
        ):
            if kind == "mixed":
                row, value = _first_non_number(series)
                raise DriftInputError(
                    f"{path}: column {name!r} mixes numbers and text (row {row}: {value!r}){hint}"
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
                f"{path}: column {name!r} holds {_KIND_WORDS[kind]} where {other} holds numbers "
                f"(row {row}: {value!r}){hint}"
            )


def _preview(names: Mapping[str, Any]) -> str:
    shown = ", ".join(repr(name) for name in list(names)[:5])
    return shown + (f", ... ({len(names)} in all)" if len(names) > 5 else "")


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
    import numpy as np
    import pandas as pd
    from pandas.api import types

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
    import pandas as pd

    return pd.to_numeric(pd.Series(series.to_numpy(dtype=object)), errors="coerce")


def _first_non_number(series: pd.Series) -> tuple[int, Any]:
    """The 1-based row and value of the first present value that is not a number."""
    import numpy as np

    present = series.notna().to_numpy(dtype=bool)
    candidates = np.flatnonzero(present & _as_numbers(series).isna().to_numpy(dtype=bool))
    position = int(candidates[0]) if candidates.size else int(np.flatnonzero(present)[0])
    return position + 1, series.to_numpy(dtype=object)[position]


def _check_overrides_compared(result: DriftResult, overrides: Mapping[str, Any] | None) -> None:
    compared = {column.name for column in result.columns}
    reasons = dict(result.skipped)
    for name in overrides or {}:
        if name not in compared:
            reason = reasons.get(name, "it is not among the selected columns")
            raise UserError(f"column {name!r} has an override but was not compared: {reason}")


# --------------------------------------------------------------------------------------------
# MLflow (belongs in integrations/mlflow_sync.py as TrackingStore.log_drift_report)
# --------------------------------------------------------------------------------------------


def _run_target(ws: Workspace, run_id: str, tracking_uri: str | None) -> tuple[TrackingStore, str]:
    """The tracking store holding `run_id`, checked to exist and be active."""
    from mlboard.integrations.mlflow_sync import TrackingStore

    run_id = run_id.strip()
    if not run_id:
        raise UserError("--log-to-run: the run id is empty")
    uri = (tracking_uri or "").strip() or None
    if uri is None:
        with ws.reading() as session:
            uri = session.exec(select(Run.tracking_uri).where(Run.run_id == run_id)).first()
    if uri is None:
        configured = ws.settings.tracking_uris
        if len(configured) != 1:
            raise UserError(
                f"run {run_id} is not on the board: pass --tracking-uri to say where it is"
            )
        uri = configured[0]
    store = TrackingStore(uri)
    client = store._client

    def fetch() -> Any:
        try:
            return client.get_run(run_id)
        except Exception as error:
            if getattr(error, "error_code", None) == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise

    run = store._call(f"read run {run_id}", fetch)
    if run is None:
        raise UserError(f"run {run_id} not found at {uri}")
    if run.info.lifecycle_stage != "active":
        raise UserError(f"run {run_id} at {uri} is deleted; restore it or log to another run")
    return store, run_id


def _log_to_mlflow(store: TrackingStore, run_id: str, stored: StoredDrift, now_ms: int) -> None:
    """The JSON as the artifact `drift_report.json`, then the metrics `drift_share`,
    `drifted_columns` and `drift.<column>.statistic`, and the tag `mlboard.drift_report`."""
    from mlflow.entities import Metric, RunTag

    client = store._client
    store._call("save drift_report.json", client.log_dict, run_id, stored.as_json(), ARTIFACT_NAME)
    metrics = [
        Metric("drift_share", float(stored.result.drift_share), now_ms, 0),
        Metric("drifted_columns", float(stored.drifted_columns), now_ms, 0),
    ]
    used: set[str] = set()
    for column in stored.result.columns:
        if math.isfinite(column.statistic):  # chi2 with a new category is infinite: JSON only
            key = _metric_key(column.name, used)
            metrics.append(Metric(key, float(column.statistic), now_ms, 0))
    tag = RunTag(DRIFT_REPORT_TAG, str(stored.report_id))
    for start in range(0, len(metrics), _MLFLOW_BATCH):
        last = start + _MLFLOW_BATCH >= len(metrics)
        store._call(
            "log the drift metrics",
            client.log_batch,
            run_id,
            metrics=metrics[start : start + _MLFLOW_BATCH],
            tags=[tag] if last else [],
        )


def _metric_key(name: str, used: set[str]) -> str:
    """`drift.<name>.statistic`, with characters MLflow refuses in names replaced by `_`."""
    clean = re.sub(r"[^\w .\-:/]", "_", name).replace("..", "__").strip("/") or "_"
    clean = clean[: _MLFLOW_KEY_LENGTH - len("drift..statistic") - 4]
    key, number = f"drift.{clean}.statistic", 1
    while key in used:
        number += 1
        key = f"drift.{clean}_{number}.statistic"
    used.add(key)
    return key
