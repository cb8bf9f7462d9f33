"""Logging a drift report to an MLflow run: the JSON as an artifact, the statistics as metrics.

MLflow is imported only inside the functions that use it (through `TrackingStore`), so importing
this module stays cheap.
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, Protocol

from mlboard.errors import UserError
from mlboard.integrations.mlflow_sync import TrackingStore

if TYPE_CHECKING:
    from mlboard.analytics.drift import DriftResult

__all__ = ["ARTIFACT_NAME", "DRIFT_REPORT_TAG", "log_drift_report", "metric_key", "open_run"]

DRIFT_REPORT_TAG = "mlboard.drift_report"
ARTIFACT_NAME = "drift_report.json"
_MLFLOW_BATCH = 1000  # metrics per log_batch call (MLflow's limit)
_MLFLOW_KEY_LENGTH = 250


class LoggedDrift(Protocol):
    """What is logged of a stored drift check."""

    @property
    def report_id(self) -> int: ...

    @property
    def result(self) -> DriftResult: ...

    @property
    def drifted_columns(self) -> int: ...

    def as_json(self) -> dict[str, Any]: ...


def open_run(uri: str, run_id: str) -> TrackingStore:
    """The tracking store at `uri`, with `run_id` checked to exist there and be active."""
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
    return store


def log_drift_report(store: TrackingStore, run_id: str, stored: LoggedDrift, now_ms: int) -> None:
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
            key = metric_key(column.name, used)
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


def metric_key(name: str, used: set[str]) -> str:
    """`drift.<name>.statistic`, with characters MLflow refuses in names replaced by `_`."""
    clean = re.sub(r"[^\w .\-:/]", "_", name).replace("..", "__").strip("/") or "_"
    clean = clean[: _MLFLOW_KEY_LENGTH - len("drift..statistic") - 4]
    key, number = f"drift.{clean}.statistic", 1
    while key in used:
        number += 1
        key = f"drift.{clean}_{number}.statistic"
    used.add(key)
    return key
