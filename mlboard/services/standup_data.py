"""The data part of the standup digest: pipeline runs that failed, pipelines gone stale, drift
found, alerts opened and resolved, and the stories blocked by data right now."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select

from mlboard.domain import SprintState, iso
from mlboard.services.pipeline_status import data_blockers, last_successes
from mlboard.services.pipelines import full_name
from mlboard.services.standup import DigestContext, Window
from mlboard.store.tables import Alert, DriftReport, Pipeline, PipelineRun, Sprint, Story


def data_section(ctx: DigestContext) -> tuple[str, Any]:
    session, window = ctx.session, ctx.window
    pipelines = session.exec(
        select(Pipeline).order_by(col(Pipeline.namespace), col(Pipeline.name))
    ).all()
    names = {p.id: full_name(p) for p in pipelines}
    failed = session.exec(
        select(PipelineRun)
        .where(
            PipelineRun.state == "failed",
            col(PipelineRun.ended_at) > window.since,
            col(PipelineRun.ended_at) <= window.until,
        )
        .order_by(col(PipelineRun.ended_at))
    ).all()
    with_sla = [p for p in pipelines if p.freshness_sla_hours is not None]
    succeeded = last_successes(session, [p.id for p in with_sla if p.id is not None])
    stale = [
        {"pipeline": full_name(p), "last_success_at": iso(succeeded[p.id])}
        for p in with_sla
        if p.id in succeeded and _went_stale(succeeded[p.id], p.freshness_sla_hours, window)
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


def _went_stale(last_success: datetime, sla_hours: float | None, window: Window) -> bool:
    """Not fresh now (as `PipelineStatus.fresh` says), and the SLA ran out in the window: a
    pipeline that was already stale at the last standup was news then."""
    if sla_hours is None:
        return False
    due = last_success + timedelta(hours=sla_hours)
    return due < window.until and window.holds(due)


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
