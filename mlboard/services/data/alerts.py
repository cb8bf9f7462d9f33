"""Alerts: monitoring problems that hold now, and the backlog stories they open.

`evaluate_alerts` computes every condition from the board's own tables, opens an alert for each
new problem and resolves the open alerts whose condition cleared. A `problem` key names one
problem; at most one alert per problem is open at a time:

* pipeline_failed, `pipeline-failed:<ns>/<name>`: the pipeline's latest finished run failed.
* pipeline_stale, `pipeline-stale:<ns>/<name>`: it has an SLA and no success within it.
* drift, `drift:<model>` (without a model `drift:<reference> -> <current>`): the latest drift
  report for it found dataset drift.
* metric_regression, `regression:<model>:<metric>`: the latest monitoring run is past its
  threshold (below it, or above it for a loss).
* overfitting, `overfitting:<run id>`: a run linked to an unfinished story overfits.

Monitoring runs (the metric-regression convention): an MLflow run that evaluates a registered
model in production carries the tags `mlboard.monitor = <registered model name>`,
`mlboard.monitor.metric = <metric key>` and `mlboard.monitor.threshold = <number>`, e.g.
`churn-classifier`, `val_auc`, `0.85`. Once synced, the latest FINISHED such run per model and
metric decides: a metric where higher is better (`metric_pairs.higher_is_better`: auc,
accuracy, f1, ...) regresses when it falls below the threshold; a loss or error metric when it
rises above it. Runs without the metric or with a threshold that is not a number are ignored.

An alert can open one backlog story (`open_story_for_alert`), automatically when the setting
`alerts_open_stories` is true. While that story is not done, the same problem never opens
another: a later alert for it links the same story.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import PurePath
from typing import Any

from sqlmodel import Session, col, select

from mlboard.analytics.metric_pairs import higher_is_better
from mlboard.domain import StoryStatus, format_number, iso
from mlboard.errors import UserError
from mlboard.services.data.status import statuses
from mlboard.services.workspace import Workspace
from mlboard.store.tables import Alert, DriftReport, Run, Story, StoryRun

MONITOR_TAG = "mlboard.monitor"
METRIC_TAG = "mlboard.monitor.metric"
THRESHOLD_TAG = "mlboard.monitor.threshold"
_MAX_TITLE = 200


@dataclass(frozen=True, slots=True)
class Condition:
    """A problem that holds now, with what its alert and story will say."""

    kind: str
    problem: str
    subject: str
    message: str
    title: str  # of the story it would open
    story_kind: str  # data or model
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AlertView:
    id: int
    kind: str
    problem: str
    subject: str
    message: str
    opened_at: datetime
    resolved_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    story: str | None

    def as_json(self) -> dict[str, Any]:
        """The stable shape of `alert list --format json`."""
        return {
            "id": self.id,
            "kind": self.kind,
            "problem": self.problem,
            "subject": self.subject,
            "message": self.message,
            "opened_at": self.opened_at.isoformat(),
            "resolved_at": iso(self.resolved_at),
            "acknowledged_at": iso(self.acknowledged_at),
            "acknowledged_by": self.acknowledged_by,
            "story": self.story,
        }


@dataclass
class AlertChanges:
    """What one evaluation did: alerts opened and resolved, stories it opened."""

    opened: list[AlertView] = field(default_factory=list)
    resolved: list[AlertView] = field(default_factory=list)
    stories: list[str] = field(default_factory=list)


# --- conditions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Kind:
    """What every condition of one kind shares, stated once: a finder only describes problems."""

    name: str  # Alert.kind
    prefix: str  # of the problem key, `<prefix>:<key>`
    story_kind: str  # data or model

    def condition(
        self, key: str, *, subject: str, message: str, title: str, details: dict[str, Any]
    ) -> Condition:
        """One problem of this kind; `key` tells it apart from the others of the kind."""
        return Condition(
            kind=self.name, problem=f"{self.prefix}:{key}", subject=subject, message=message,
            title=title, story_kind=self.story_kind, details=details,
        )  # fmt: skip


_PIPELINE_FAILED = _Kind("pipeline_failed", "pipeline-failed", "data")
_PIPELINE_STALE = _Kind("pipeline_stale", "pipeline-stale", "data")
_DRIFT = _Kind("drift", "drift", "data")
_REGRESSION = _Kind("metric_regression", "regression", "model")
_OVERFITTING = _Kind("overfitting", "overfitting", "model")


def conditions(session: Session, now: datetime) -> list[Condition]:
    """Every problem that holds now, from pipelines, drift reports, monitoring runs, evidence.

    The order is the order new alerts open in (and so their ids): keep it when adding a kind.
    """
    return [
        *_pipeline_conditions(session, now),
        *_drift_conditions(session),
        *_regression_conditions(session),
        *_overfitting_conditions(session, now),
    ]


def _pipeline_conditions(session: Session, now: datetime) -> Iterator[Condition]:
    """One pass over the statuses for both pipeline kinds: a pipeline's failure, then its
    staleness, pipeline after pipeline."""
    for status in statuses(session, now):
        name = status.full_name
        if status.failed:
            streak = status.failures_in_row
            what = f"{streak} failures in a row" if streak > 1 else "last run failed"
            error = (status.last_error or "").strip().splitlines()[:1]
            yield _PIPELINE_FAILED.condition(
                name, subject=name, title=f"Fix pipeline {name}: {what}",
                message=f"pipeline {name}: {what}" + (f": {error[0][:200]}" if error else ""),
                details={"failures_in_row": streak, "error": status.last_error},
            )  # fmt: skip
        if status.fresh is False:
            stale = status.staleness(now)
            yield _PIPELINE_STALE.condition(
                name, subject=name, title=f"Fix pipeline {name}: stale, {stale}",
                message=f"pipeline {name} is stale: {stale}",
                details={"last_success_at": iso(status.last_success_at)},
            )  # fmt: skip


def _drift_conditions(session: Session) -> Iterator[Condition]:
    """The latest report per model (or per reference/current pair without a model) decides."""
    latest: dict[tuple[str, ...], DriftReport] = {}
    for report in session.exec(
        select(DriftReport).order_by(col(DriftReport.created_at), col(DriftReport.id))
    ):
        group = (
            (report.model_name,) if report.model_name else ("", report.reference, report.current)
        )
        latest[group] = report
    for report in latest.values():
        if not report.dataset_drift:
            continue
        columns = [
            str(c.get("name") or c.get("column"))
            for c in report.columns
            if isinstance(c, dict) and c.get("drifted")
        ]
        listed = ", ".join(columns) or "several columns"
        share = f"{report.drift_share:.0%} of columns drifted"
        if report.model_name:
            subject = key = report.model_name
            title = f"Retrain {report.model_name}: drift in columns {listed}"
        else:  # the report keeps full paths: the key tells folders apart, people read names
            reference, current = PurePath(report.reference).name, PurePath(report.current).name
            key = f"{report.reference} -> {report.current}"
            subject = f"{reference} -> {current}"
            title = f"Check data drift in {current} vs {reference}: columns {listed}"
        yield _DRIFT.condition(
            key, subject=subject, title=title,
            message=f"data drift for {subject}: {share} ({listed})",
            details={"report_id": report.id, "columns": columns},
        )  # fmt: skip


def _regression_conditions(session: Session) -> Iterator[Condition]:
    runs = session.exec(
        select(Run)
        .where(
            Run.tags[MONITOR_TAG].as_string().is_not(None),
            Run.status == "FINISHED",
            col(Run.deleted).is_(False),
        )
        .order_by(col(Run.start_time), col(Run.id))
    ).all()
    latest: dict[tuple[str, str], tuple[Run, float, float]] = {}
    for run in runs:
        model, metric = run.tags.get(MONITOR_TAG, "").strip(), run.tags.get(METRIC_TAG, "").strip()
        value, threshold = run.metrics.get(metric), _number(run.tags.get(THRESHOLD_TAG))
        if model and metric and value is not None and threshold is not None:
            latest[(model, metric)] = (run, float(value), threshold)
    for (model, metric), (run, value, threshold) in latest.items():
        higher = higher_is_better(metric)
        if (value >= threshold) if higher else (value <= threshold):
            continue
        shown = (
            f"{metric} {format_number(value)} {'below' if higher else 'above'} "
            + format_number(threshold)
        )
        yield _REGRESSION.condition(
            f"{model}:{metric}", subject=model, title=f"Retrain {model}: {shown}",
            message=f"{model}: {shown} (run {run.run_name or run.run_id})",
            details={"run_id": run.run_id, "metric": metric, "value": value},
        )  # fmt: skip


def _number(text: str | None) -> float | None:
    try:
        value = float(text or "")
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _overfitting_conditions(session: Session, now: datetime) -> Iterator[Condition]:
    from mlboard.services.governance.evidence import evidence_for

    stories = session.exec(
        select(Story)
        .where(Story.status != StoryStatus.DONE.value)
        .where(col(Story.id).in_(select(StoryRun.story_id).where(col(StoryRun.active))))
        .order_by(col(Story.number))
    ).all()
    by_run: dict[str, tuple[Any, list[str]]] = {}
    for key, evidence in evidence_for(session, stories, now).items():
        for warning in evidence.warnings:
            if warning.kind == "overfitting":
                by_run.setdefault(warning.run_id, (warning, []))[1].append(key)
    for run_id, (warning, keys) in by_run.items():
        label = warning.run_name or run_id
        yield _OVERFITTING.condition(
            run_id, subject=label, title=f"Fix overfitting in run {label} ({', '.join(keys)})",
            message=f"{warning.message} (stories {', '.join(keys)})",
            details={"run_id": run_id, "stories": keys},
        )  # fmt: skip


# --- alerts ----------------------------------------------------------------------------------


def evaluate_alerts(ws: Workspace) -> AlertChanges:
    """Open alerts for new problems, resolve those that cleared: one transaction.

    An open alert whose problem still holds keeps its id and opening time; its message is
    refreshed (3 failures in a row, then 4). With `alerts_open_stories`, each new alert opens
    (or links) its backlog story in the same transaction.
    """
    auto = bool(getattr(ws.settings, "alerts_open_stories", False))
    changes = AlertChanges()
    with ws.writing() as session:
        now = ws.now()
        holding = {c.problem: c for c in conditions(session, now)}
        open_alerts = session.exec(
            select(Alert).where(col(Alert.resolved_at).is_(None)).order_by(col(Alert.id))
        ).all()
        still_open: set[str] = set()
        for alert in open_alerts:
            condition = holding.get(alert.problem)
            if condition is None or alert.problem in still_open:
                alert.resolved_at = now
                changes.resolved.append(_view(session, alert))
            else:
                still_open.add(alert.problem)
                alert.subject, alert.message = condition.subject, condition.message
                alert.details = _details(condition)
            session.add(alert)
        for problem, condition in holding.items():
            if problem in still_open:
                continue
            alert = Alert(
                kind=condition.kind, problem=problem, subject=condition.subject,
                message=condition.message, details=_details(condition), opened_at=now,
            )  # fmt: skip
            session.add(alert)
            session.flush()
            alert.story_id = _story_of_problem(session, problem)
            if auto and alert.story_id is None:
                changes.stories.append(_open_story(session, ws, alert))
            changes.opened.append(_view(session, alert))
    return changes


def _details(condition: Condition) -> dict[str, Any]:
    return {**condition.details, "title": condition.title, "story_kind": condition.story_kind}


def _story_of_problem(session: Session, problem: str) -> int | None:
    """The unfinished story an earlier alert of this problem opened, if any."""
    return session.exec(
        select(Story.id)
        .join(Alert, col(Alert.story_id) == col(Story.id))
        .where(Alert.problem == problem, Story.status != StoryStatus.DONE.value)
        .order_by(col(Alert.id).desc())
    ).first()


def _open_story(session: Session, ws: Workspace, alert: Alert) -> str:
    from mlboard.services.stories.records import add_story

    if alert.story_id is not None:
        story = session.get(Story, alert.story_id)
        if story is not None:
            return story.key
    reused = _story_of_problem(session, alert.problem)
    if reused is not None:
        alert.story_id = reused
        session.add(alert)
        story = session.get(Story, reused)
        assert story is not None
        return story.key
    title = str(alert.details.get("title") or f"Fix {alert.subject}: {alert.kind}")
    if len(title) > _MAX_TITLE:
        title = title[: _MAX_TITLE - 1] + "…"
    description = f"Opened from alert #{alert.id} ({alert.problem}): {alert.message}"
    kind = str(alert.details.get("story_kind") or "data")
    story = add_story(session, ws, title, {"kind": kind, "description": description})
    alert.story_id = story.id
    session.add(alert)
    return story.key


def open_story_for_alert(ws: Workspace, alert_id: int) -> str:
    """The backlog story for an alert: created once, then the same key on every call."""
    with ws.writing() as session:
        return _open_story(session, ws, _find(session, alert_id))


def acknowledge_alert(ws: Workspace, alert_id: int) -> AlertView:
    """Someone has seen it: kept open until the condition clears. A second ack changes nothing."""
    with ws.writing() as session:
        alert = _find(session, alert_id)
        if alert.acknowledged_at is None:
            alert.acknowledged_at, alert.acknowledged_by = ws.now(), ws.actor
            session.add(alert)
        return _view(session, alert)


def list_alerts(ws: Workspace, *, include_resolved: bool = False) -> list[AlertView]:
    """Open alerts (or all), oldest first."""
    query = select(Alert).order_by(col(Alert.opened_at), col(Alert.id))
    if not include_resolved:
        query = query.where(col(Alert.resolved_at).is_(None))
    with ws.reading() as session:
        alerts = session.exec(query).all()
        keys = dict(session.exec(select(Story.id, Story.key).where(
            col(Story.id).in_({a.story_id for a in alerts if a.story_id})
        )).all())  # fmt: skip
        return [_view(session, alert, keys) for alert in alerts]


def _find(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise UserError(f"alert {alert_id} not found (see: mlboard alert list --all)")
    return alert


def _view(session: Session, alert: Alert, keys: dict[int, str] | None = None) -> AlertView:
    story = None
    if alert.story_id is not None:
        if keys is not None:
            story = keys.get(alert.story_id)
        else:
            found = session.get(Story, alert.story_id)
            story = found.key if found else None
    return AlertView(
        id=alert.id or 0, kind=alert.kind, problem=alert.problem, subject=alert.subject,
        message=alert.message, opened_at=alert.opened_at, resolved_at=alert.resolved_at,
        acknowledged_at=alert.acknowledged_at, acknowledged_by=alert.acknowledged_by, story=story,
    )  # fmt: skip
