"""Drift checks: compare two data files, keep the verdict as a DriftReport, log it to MLflow.

`run_drift_check` reads a reference and a current table (CSV, TSV or Parquet, each at most
`max_bytes` once decompressed: `mlboard.analytics.drift_files`), checks them with
`mlboard.analytics.drift_inputs` (stricter than `check_drift`: a CI gate that passes on broken
data is worse than one that stops), compares them column by column with
`mlboard.analytics.drift.check_drift` (Evidently's default tests), stores the verdict as one
DriftReport in one transaction, and can log it to an MLflow run as well
(`mlboard.integrations.mlflow_drift`). Bad input is refused as a UserError (one line naming the
file and column, exit 2, nothing stored).

pandas (through analytics) and MLflow are imported inside the functions that use them, so
importing this module stays cheap for the CLI and the TUI.
"""

from __future__ import annotations

import os
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
    from mlboard.analytics.drift import ColumnSpec, DriftResult


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


def parse_column_overrides(texts: Sequence[str]) -> dict[str, ColumnSpec]:
    """`--column NAME=METHOD[:THRESHOLD]` options as overrides for `run_drift_check`."""
    from mlboard.analytics.drift import DriftInputError
    from mlboard.analytics.drift_inputs import parse_column_overrides as parse

    try:
        return parse(texts)
    except DriftInputError as error:
        raise UserError(str(error)) from None


def parse_max_bytes(text: str) -> int:
    """`--max-bytes 2GB` (or 500MB, 1.5GiB, 2000000) as the byte cap for `run_drift_check`."""
    from mlboard.analytics.drift import DriftInputError
    from mlboard.analytics.drift_files import parse_size

    try:
        return parse_size(text)
    except DriftInputError as error:
        raise UserError(str(error)) from None


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
    max_bytes: int | None = None,
) -> StoredDrift:
    """Compare two files, store the verdict as a DriftReport, optionally log it to an MLflow run.

    Each file may hold at most `max_bytes` once decompressed (default: 2 GB). Bad input raises
    UserError (exit 2) before anything is written. With `log_to_run`, the run is looked up
    before the check is stored, and the report is logged to it after the report is committed,
    so no call to MLflow holds the board's write lock; if MLflow then refuses, the report is
    taken back (TrackingError, exit 1): a stored report with a run is always a logged one.
    """
    from mlboard.analytics.drift import DriftInputError, check_drift
    from mlboard.analytics.drift_files import DEFAULT_MAX_BYTES, read_table
    from mlboard.analytics.drift_inputs import check_overrides_compared, check_tables
    from mlboard.integrations.mlflow_drift import log_drift_report, open_run

    model_name = (model or "").strip() or None
    names = [str(name) for name in columns] if columns is not None else None
    try:
        cap = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
        reference, current = read_table(reference_path, cap), read_table(current_path, cap)
        check_tables(
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
        check_overrides_compared(result, overrides)
    except DriftInputError as error:
        raise UserError(str(error)) from None

    target = None
    if log_to_run is not None:
        run_id = log_to_run.strip()
        target = open_run(_tracking_uri(ws, run_id, tracking_uri), run_id), run_id
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
        try:
            log_drift_report(*target, stored, int(ws.now().timestamp() * 1000))
        except Exception:
            with ws.writing() as session:
                session.delete(session.get(DriftReport, stored.report_id))
            raise
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


def _tracking_uri(ws: Workspace, run_id: str, tracking_uri: str | None) -> str:
    """Where `run_id` is: `tracking_uri`, else the board's record of the run, else the one
    configured tracking URI."""
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
    return uri
