"""The demo's data side: pipelines with a history (one failing, one stale), dependencies of
sample stories on them, and a real drift check on the sample files, with its alerts.

Everything goes through the same services as `mlboard pipeline record`, `pipeline depend` and
`drift check`, with the workspace's clock moved to the moments the runs happened.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, time, timedelta

from mlboard.services.alerts import evaluate_alerts
from mlboard.services.demo import sample_data_folder
from mlboard.services.drift import run_drift_check
from mlboard.services.pipeline_status import depend
from mlboard.services.pipelines import record_run, set_pipeline
from mlboard.services.workspace import Workspace

NAMESPACE = "airflow"
# (pipeline, owner, SLA hours, sensitivity, stories that depend on it)
PIPELINES = (
    ("crm_export.daily", "tomasz", 26, "personal", ("ML-5", "ML-58")),
    ("card_transactions.hourly", "kwame", 2, "personal", ("ML-17", "ML-44")),
    ("feature_store.backfill", "tomasz", 24, "internal", ("ML-47", "ML-56")),
)


def add_demo_data(ws: Workspace) -> None:
    """Pipelines run for the week before the workspace's now: the CRM export is healthy, the
    card feed stopped yesterday (stale against its 2-hour SLA), the feature-store backfill
    failed the last three nights."""
    now = ws.now()
    for name, owner, sla, sensitivity, stories in PIPELINES:
        set_pipeline(
            ws, f"{NAMESPACE}/{name}", owner=owner, sla_hours=sla, sensitivity=sensitivity,
            create=True,
        )  # fmt: skip
        for key in stories:
            depend(ws, key, f"{NAMESPACE}/{name}")
    for days_ago in range(7, 0, -1):
        day = datetime.combine((now - timedelta(days=days_ago)).date(), time(2), now.tzinfo)
        _run(ws, "crm_export.daily", day, "success", rows=48_000 + 300 * days_ago)
        if days_ago > 1:
            _run(ws, "card_transactions.hourly", day, "success", rows=1_200_000)
        backfill_failed = days_ago <= 3
        _run(
            ws,
            "feature_store.backfill",
            day + timedelta(hours=1),
            "failed" if backfill_failed else "success",
            rows=None if backfill_failed else 9_500_000,
            error="java.lang.OutOfMemoryError: Java heap space (stage 14, shuffle read)"
            if backfill_failed
            else None,
        )
    _run(ws, "crm_export.daily", now - timedelta(hours=3), "success", rows=48_100)
    drift = sample_data_folder() / "drift"
    run_drift_check(ws, drift / "reference.csv", drift / "current.csv", model="churn-classifier")
    evaluate_alerts(ws)


def _run(
    ws: Workspace,
    name: str,
    at: datetime,
    state: str,
    *,
    rows: int | None = None,
    error: str | None = None,
) -> None:
    then = dataclasses.replace(ws, clock=lambda: at + timedelta(minutes=25), actor="airflow")
    record_run(
        then, name, state, rows=rows, error=error, namespace=NAMESPACE,
        started_at=at, ended_at=at + timedelta(minutes=25),
    )  # fmt: skip
