"""Record data-pipeline runs from any Python script, for jobs that do not speak OpenLineage.

The board finds its database the way the `mlboard` command does (`db`, else `MLBOARD_DB`, else
the `[tool.mlboard]` config, else the default), so a cron job or CI step needs no setup::

    from mlboard.pipelines import record_run

    run_id = record_run("features_daily", "running")
    try:
        rows = build_features()
    except Exception as error:
        record_run("features_daily", "failed", run_id=run_id, error=str(error))
        raise
    record_run("features_daily", "success", run_id=run_id, rows=rows)

A pipeline appears on first use, in the `mlboard` namespace unless `namespace` says otherwise.
Reporting `running` and then an end state with the same `run_id` is one run; without `run_id`,
each call is a run of its own (a one-shot `record_run("backfill", "success", rows=10)` is fine).
"""

from __future__ import annotations

from datetime import datetime

__all__ = ["record_run"]


def record_run(
    name: str,
    state: str,
    *,
    rows: int | None = None,
    error: str | None = None,
    run_id: str | None = None,
    started_at: datetime | None = None,
    ended_at: datetime | None = None,
    namespace: str = "mlboard",
    db: str | None = None,
) -> str:
    """Record one run of pipeline `namespace/name`; return its run id (for a later call).

    `state` is running, success, failed or aborted. `started_at`/`ended_at` default to now; naive
    datetimes are read as local time. Bad values raise `mlboard.errors.UserError` naming them.
    """
    from mlboard.config import load_settings
    from mlboard.services.data.pipelines import record_run as record
    from mlboard.services.workspace import open_workspace

    workspace = open_workspace(load_settings(db))
    try:
        run = record(
            workspace,
            name,
            state,
            rows=rows,
            error=error,
            run_id=run_id,
            started_at=started_at,
            ended_at=ended_at,
            namespace=namespace,
        )
    finally:
        workspace.close()
    return run.run_id
