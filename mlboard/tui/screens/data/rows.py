"""What the Data screen shows, as pure functions of the services' views: table cells and panes.

Every cell is a Rich `Text` and every pane a `Content` built from plain strings, so pipeline
names, error messages and file names (which come from other people's systems) are shown as
they are, never read as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Any

from rich.text import Text
from textual.content import Content

from mlboard.errors import UserError
from mlboard.services.data.alerts import AlertView, list_alerts
from mlboard.services.data.drift import DriftReportView, list_drift_reports
from mlboard.services.data.status import (
    PipelineStatus,
    RunView,
    duration,
    pipeline_detail,
    pipeline_statuses,
)
from mlboard.services.workspace import Workspace
from mlboard.tui.text import cell, one_line, when
from mlboard.wording import plural

RECENT_RUNS = 20  # runs in a pipeline's strip and sparkline
RUNS_LISTED = 10  # runs in the detail pane
DRIFT_REPORTS = 20
STATE_COLORS = {"success": "success", "failed": "error", "aborted": "warning", "running": "accent"}
STATE_MARKS = {"success": "✓", "failed": "✗", "aborted": "⊘", "running": "●"}
BARS = "▁▂▃▄▅▆▇█"
SEP = ("  ·  ", "$text-muted")


@dataclass(frozen=True)
class PipelineEntry:
    """A pipeline's status and its latest runs (newest first, with their child runs)."""

    status: PipelineStatus
    runs: list[RunView]


@dataclass(frozen=True)
class DataSnapshot:
    pipelines: list[PipelineEntry]
    drift: list[DriftReportView]
    alerts: list[AlertView]
    now: datetime

    @property
    def names(self) -> dict[int, str]:
        return {entry.status.id: entry.status.full_name for entry in self.pipelines}


def _health(entry: PipelineEntry) -> tuple[int, str]:
    """Failing first, then stale, then the rest, each by name: what needs eyes on top."""
    status = entry.status
    return (0 if status.failed else 1 if status.fresh is False else 2, status.full_name)


def load_data(ws: Workspace, recent: int = RECENT_RUNS) -> DataSnapshot:
    """Everything the screen shows, read at once (in a worker: a pipeline may have 10,000 runs)."""
    entries = []
    for status in pipeline_statuses(ws):
        try:
            status, runs = pipeline_detail(ws, status.full_name, limit=recent)
        except UserError:  # a name two namespaces split differently: keep the status
            runs = []
        entries.append(PipelineEntry(status, runs))
    return DataSnapshot(
        sorted(entries, key=_health),
        list_drift_reports(ws, limit=DRIFT_REPORTS),
        list_alerts(ws),
        ws.now(),
    )


def count(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


def took(span: timedelta) -> str:
    """How long a run took: `45s`, `12m`, `2h 05m`, `1.5 d`."""
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    return f"{seconds / 86400:.1f} d"


# ---------------------------------------------------------------- pipelines


def run_strip(runs: Sequence[RunView], colors: Mapping[str, str], width: int = RECENT_RUNS) -> Text:
    """The latest runs, oldest to newest, one bar each: its height the rows it wrote (scaled to
    the largest), its colour its outcome. A failed run wrote nothing, so it is a low red bar."""
    shown = list(reversed(runs[:width]))
    most = max((run.rows_out or 0 for run in shown), default=0)
    strip = Text(no_wrap=True, overflow="crop")
    for run in shown:
        color = colors.get(STATE_COLORS.get(run.state or "", "text-muted"), "")
        if run.state == "running":
            strip.append("·", style=color)
        elif run.state != "success":
            strip.append(BARS[0], style=color)
        elif most and run.rows_out is not None:
            strip.append(BARS[max(1, round(run.rows_out / most * (len(BARS) - 1)))], style=color)
        else:
            strip.append(BARS[-2], style=color)
    return strip


PIPELINE_COLUMNS = (
    ("pipeline", "Pipeline", 26),
    ("state", "State", 8),
    ("fresh", "Fresh", 5),
    ("last_run", "Last run", 12),
    ("last_success", "Succeeded", 10),
    ("rows", "Rows", 9),
    ("streak", "Fails", 5),
    ("runs", f"Last {RECENT_RUNS} runs", RECENT_RUNS),
)


def pipeline_cells(entry: PipelineEntry, now: datetime, colors: Mapping[str, str]) -> list[Text]:
    status = entry.status
    muted = colors.get("text-muted", "")
    fresh = {
        True: cell("✓", colors.get("success", ""), "center"),
        False: cell("✗", f"bold {colors.get('error', '')}", "center"),
        None: cell("—", muted, "center"),
    }[status.fresh]
    success = status.last_success_at
    streak = status.failures_in_row
    return [
        cell(status.full_name, "bold"),
        cell(
            status.last_state or "—", colors.get(STATE_COLORS.get(status.last_state or ""), muted)
        ),
        fresh,
        cell(when(status.last_run_at)),
        cell(f"{duration(now - success)} ago" if success else "never", "" if success else muted),
        cell(count(status.rows_last), justify="right"),
        cell(str(streak), f"bold {colors.get('error', '')}" if streak else muted, "right"),
        run_strip(entry.runs, colors),
    ]


def pipeline_heading(entry: PipelineEntry, now: datetime) -> Content:
    """Name, owner, SLA and label; freshness; the failure streak and its error."""
    status = entry.status
    about: list[str | tuple[str, str]] = [
        (f"owner @{one_line(status.owner)}" if status.owner else "no owner", "$text-muted"),
        SEP,
        (
            f"SLA {status.sla_hours:g} h" if status.sla_hours is not None else "no SLA",
            "$text-muted",
        ),
        SEP,
        (f"sensitivity {status.sensitivity}", "$text-muted"),
    ]
    lines = [Content.styled(one_line(status.full_name), "bold"), Content.assemble(*about)]
    if status.fresh is False:
        lines.append(Content.assemble(("✗ stale: ", "bold $error"), status.staleness(now)))
    elif status.last_success_at is not None:
        fresh = ("✓ fresh", "$success") if status.fresh else ("last success", "")
        lines.append(
            Content.assemble(fresh, f" · last success {duration(now - status.last_success_at)} ago")
        )
    if status.failed:
        streak = status.failures_in_row
        what = f"{streak} failures in a row" if streak > 1 else "the last run failed"
        error = one_line(status.last_error, 300)
        lines.append(Content.assemble((f"✗ {what}", "bold $error"), (": " if error else ""), error))
    counts = [run.rows_out for run in entry.runs if run.rows_out is not None]
    if len(set(counts)) > 1:
        shown = f"rows of the latest runs: {min(counts):,} – {max(counts):,}"
    elif counts:
        shown = f"the latest runs wrote {plural(counts[0], 'row')} each"
    else:
        shown = "no run reported its rows"
    lines.append(Content.styled(f"{plural(status.runs, 'run')} · {shown}", "$text-muted"))
    return Content("\n").join(lines)


def _run_line(run: RunView, names: Mapping[int, str], depth: int, own: int) -> list[Content]:
    state = run.state or "unknown"
    style = f"${STATE_COLORS.get(state, 'text-muted')}"
    span = ""
    if run.started_at and run.ended_at:
        span = took(run.ended_at - run.started_at)
    parts: list[str | tuple[str, str]] = ["  " * depth + ("└ " if depth else "")]
    parts += [(f"{STATE_MARKS.get(state, '?')} {state:<8}", style)]
    if run.pipeline_id != own:
        parts += [(one_line(names.get(run.pipeline_id, "?"), 28), "bold"), " "]
    parts += [when(run.started_at or run.ended_at), (f"  {span}" if span else "", "$text-muted")]
    if run.rows_out is not None:
        parts.append(f"  {plural(run.rows_out, 'row')}")
    lines = [Content.assemble(*parts)]
    if run.error_message:
        error = one_line(run.error_message, 400)
        lines.append(Content.assemble("  " * depth + "    ", (error, "$error")))
    for child in run.children:
        lines += _run_line(child, names, min(depth + 1, 3), own)
    return lines


def run_lines(entry: PipelineEntry, names: Mapping[int, str]) -> Content:
    """The latest runs, newest first, with their error and their child runs indented."""
    runs = entry.runs[:RUNS_LISTED]
    lines = [Content.styled(f"Latest runs ({len(runs)} of {entry.status.runs:,})", "bold")]
    for run in runs:
        lines += _run_line(run, names, 0, entry.status.id)
    if not runs:
        lines.append(Content.styled("no runs recorded yet", "$text-muted"))
    return Content("\n").join(lines)


def row_counts(entry: PipelineEntry) -> list[float]:
    """Rows written by the latest runs, oldest first (a run that wrote none counts 0); empty
    when they do not vary, as a flat sparkline says nothing the heading does not."""
    counts = [float(run.rows_out or 0) for run in reversed(entry.runs)]
    return counts if len(set(counts)) > 1 else []


# ---------------------------------------------------------------- drift


DRIFT_COLUMNS = (
    ("id", "#", 3),
    ("model", "Model", 18),
    ("when", "When", 12),
    ("share", "Share", 5),
    ("drift", "Dataset", 8),
    ("columns", "Cols", 4),
)
COLUMN_COLUMNS = (
    ("name", "Column", 20),
    ("method", "Method", 14),
    ("statistic", "Statistic", 9),
    ("p_value", "p-value", 8),
    ("threshold", "Threshold", 9),
    ("drifted", "Drifted", 7),
)


def drift_cells(report: DriftReportView, colors: Mapping[str, str]) -> list[Text]:
    muted = colors.get("text-muted", "")
    drifted = report.dataset_drift
    return [
        cell(str(report.report_id), muted, "right"),
        cell(report.model or "—", "bold" if report.model else muted),
        cell(when(report.created_at)),
        cell(f"{report.drift_share:.0%}", justify="right"),
        cell("✗ drift", f"bold {colors.get('error', '')}")
        if drifted
        else cell("✓ stable", colors.get("success", "")),
        cell(f"{report.drifted_columns}/{len(report.columns)}", justify="right"),
    ]


def compared_files(report: DriftReportView) -> str:
    """`current.csv vs reference.csv`: names only (the report keeps full paths)."""
    return f"{PurePath(report.current).name} vs {PurePath(report.reference).name}"


def _number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return one_line(value, 12)
    return f"{value:.3g}" if value == 0 or 1e-3 <= abs(value) < 1e4 else f"{value:.2e}"


def column_cells(column: Mapping[str, Any], colors: Mapping[str, str]) -> list[Text]:
    drifted = bool(column.get("drifted"))
    return [
        cell(column.get("name") or column.get("column") or "?", "bold" if drifted else ""),
        cell(column.get("method") or "—"),
        cell(_number(column.get("statistic")), justify="right"),
        cell(_number(column.get("p_value")), justify="right"),
        cell(_number(column.get("threshold")), justify="right"),
        cell("✗ yes", f"bold {colors.get('error', '')}")
        if drifted
        else cell("no", colors.get("text-muted", "")),
    ]


# ---------------------------------------------------------------- alerts


ALERT_COLUMNS = (
    ("id", "#", 4),
    ("kind", "Kind", 17),
    ("subject", "Subject", 26),
    ("message", "Message", 56),
    ("opened", "Opened", 12),
    ("acknowledged", "Acknowledged", 20),
    ("story", "Story", 7),
)
KIND_COLORS = {"pipeline_failed": "error", "pipeline_stale": "warning", "drift": "warning"}


def alert_cells(alert: AlertView, colors: Mapping[str, str]) -> list[Text]:
    muted = colors.get("text-muted", "")
    acknowledged = (
        cell(f"@{alert.acknowledged_by} {when(alert.acknowledged_at)}", muted)
        if alert.acknowledged_at
        else cell("not yet", f"bold {colors.get('warning', '')}")
    )
    return [
        cell(str(alert.id), muted, "right"),
        cell(alert.kind, colors.get(KIND_COLORS.get(alert.kind, "accent"), "")),
        cell(alert.subject, "bold"),
        cell(alert.message),
        cell(when(alert.opened_at)),
        acknowledged,
        cell(alert.story, colors.get("text-primary", "")) if alert.story else cell("—", muted),
    ]


def summary(snapshot: DataSnapshot) -> Content:
    """`3 pipelines · 1 failing · 1 stale · 2 drift reports (1 drifting) · 3 open alerts`"""
    pipelines = [entry.status for entry in snapshot.pipelines]
    failing = sum(1 for status in pipelines if status.failed)
    stale = sum(1 for status in pipelines if status.fresh is False)
    drifting = sum(1 for report in snapshot.drift if report.dataset_drift)
    unseen = sum(1 for alert in snapshot.alerts if alert.acknowledged_at is None)
    parts: list[str | tuple[str, str]] = [(f"{len(pipelines)}", "bold"), " pipelines"]
    if failing:
        parts += [SEP, (f"{failing} failing", "bold $error")]
    if stale:
        parts += [SEP, (f"{stale} stale", "bold $warning")]
    parts += [SEP, (f"{len(snapshot.drift)}", "bold"), " drift reports"]
    if drifting:
        parts += [(f" ({drifting} with dataset drift)", "$warning")]
    parts += [SEP, (f"{len(snapshot.alerts)}", "bold"), " open alerts"]
    if unseen:
        parts += [(f" ({unseen} not acknowledged)", "$warning")]
    return Content.assemble(*parts)
