"""The data part of the standup digest: pipeline runs that failed, pipelines gone stale, drift
found, alerts opened and resolved, and the stories blocked by data right now."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from mlboard.domain import SprintState
from mlboard.services.pipeline_status import data_blockers, statuses
from mlboard.services.pipelines import full_name
from mlboard.services.standup import DigestContext
from mlboard.store.tables import Alert, DriftReport, Pipeline, PipelineRun, Sprint, Story


def data_section(ctx: DigestContext) -> tuple[str, Any]:
    session, window = ctx.session, ctx.window
    names = {p.id: full_name(p) for p in session.exec(select(Pipeline))}
    failed = session.exec(
        select(PipelineRun)
        .where(
            PipelineRun.state == "failed",
            col(PipelineRun.ended_at) > window.since,
            col(PipelineRun.ended_at) <= window.until,
        )
        .order_by(col(PipelineRun.ended_at))
    ).all()
    stale = [
        {"pipeline": status.full_name, "last_success_at": _iso(status.last_success_at)}
        for status in statuses(session, window.until)
        if status.fresh is False
        and status.sla_hours is not None
        and status.last_success_at is not None
        and window.holds(status.last_success_at + timedelta(hours=status.sla_hours))
    ]
    drift = session.exec(
        select(DriftReport).where(
            col(DriftReport.dataset_drift).is_(True),
            col(DriftReport.created_at) > window.since,
            col(DriftReport.created_at) <= window.until,
        )
    ).all()
    alerts = session.exec(
        select(Alert)
        .where(
            (col(Alert.opened_at) > window.since) & (col(Alert.opened_at) <= window.until)
            | (col(Alert.resolved_at) > window.since) & (col(Alert.resolved_at) <= window.until)
        )
        .order_by(col(Alert.opened_at))
    ).all()
    return "data", {
        "pipelines_failed": [
            {
                "pipeline": names.get(run.pipeline_id, "?"),
                "run_id": run.external_run_id,
                "error": run.error_message,
            }
            for run in failed
        ],
        "pipelines_stale": stale,
        "drift": [
            {
                "model": report.model_name,
                "drift_share": report.drift_share,
                "columns": [c["name"] for c in report.columns if c.get("drifted")],
            }
            for report in drift
        ],
        "alerts_opened": [_alert(a) for a in alerts if window.holds(a.opened_at)],
        "alerts_resolved": [_alert(a) for a in alerts if window.holds(a.resolved_at)],
        "blocked_by_data": _blocked(ctx),
    }


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def _alert(alert: Alert) -> dict[str, Any]:
    return {"id": alert.id, "kind": alert.kind, "subject": alert.subject, "message": alert.message}


def _blocked(ctx: DigestContext) -> list[dict[str, Any]]:
    """Stories of the active sprint whose data dependency is failed or stale now."""
    keys = ctx.session.exec(
        select(Story.key)
        .join(Sprint, col(Sprint.id) == col(Story.sprint_id))
        .where(Sprint.state == SprintState.ACTIVE)
    ).all()
    blocked = data_blockers(ctx.session, keys, now=ctx.window.until)
    return [{"story": key, "reasons": reasons} for key, reasons in sorted(blocked.items())]
