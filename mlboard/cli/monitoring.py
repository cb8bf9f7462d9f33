"""`mlboard drift ...` and `mlboard alert ...`: data drift checks and the alerts they raise."""

from __future__ import annotations

import sys
from pathlib import PurePath
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from mlboard.cli.output import (
    Format,
    Wide,
    console,
    markdown_cell,
    markdown_table,
    print_json,
    print_section,
    print_table,
)
from mlboard.wording import plural

if TYPE_CHECKING:
    from mlboard.analytics.drift import ColumnDrift
    from mlboard.services.drift import StoredDrift

drift_app = typer.Typer(help="Data drift checks.", no_args_is_help=True)
alert_app = typer.Typer(
    help="Alerts from monitoring, and the stories they open.", no_args_is_help=True
)


# --------------------------------------------------------------------------------------------
# mlboard drift check | list
# --------------------------------------------------------------------------------------------

_DriftFormat = Annotated[Format, typer.Option("--format", help="text, md or json.")]
_DriftModel = Annotated[
    str | None, typer.Option("--model", help="The model the data feeds; reports are kept by it.")
]


@drift_app.command("check")
def drift_check(
    ctx: typer.Context,
    reference: Annotated[
        str,
        typer.Argument(
            help="Reference table, e.g. the training data: .csv, .tsv, or .parquet (with the "
            "parquet extra: pip install 'mlboard[parquet]')."
        ),
    ],
    current: Annotated[str, typer.Argument(help="Current table, e.g. a scoring batch.")],
    model: _DriftModel = None,
    column: Annotated[
        list[str] | None,
        typer.Option(
            "--column",
            metavar="NAME=METHOD[:THRESHOLD]",
            help="A column's own test and/or threshold, e.g. plan=chi2:0.01 (repeatable). "
            "Methods: ks, chi2, z, wasserstein, jensenshannon, psi.",
        ),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            "--only",
            metavar="NAME",
            help="Compare only this column (repeatable); default: every column in both files.",
        ),
    ] = None,
    threshold_share: Annotated[
        float,
        typer.Option(
            "--threshold-share", help="Dataset drift when this share of columns drifted (0..1)."
        ),
    ] = 0.5,
    psi: Annotated[
        bool, typer.Option("--psi", help="Population Stability Index as every column's test.")
    ] = False,
    log_to_run: Annotated[
        str | None,
        typer.Option(
            "--log-to-run",
            metavar="RUN_ID",
            help="Also log the metrics, a tag and drift_report.json to this MLflow run.",
        ),
    ] = None,
    tracking_uri: Annotated[
        str | None,
        typer.Option(
            "--tracking-uri",
            help="Where --log-to-run's run is (default: the synced run's, or the configured one).",
        ),
    ] = None,
    fail_on_drift: Annotated[
        bool, typer.Option("--fail-on-drift", help="Exit 1 when dataset drift is found (CI).")
    ] = False,
    max_bytes: Annotated[
        str,
        typer.Option(
            "--max-bytes",
            metavar="SIZE",
            help="Refuse a file larger than this once decompressed: 2GB, 500MB, 1.5GiB or bytes.",
        ),
    ] = "2GB",
    fmt: _DriftFormat = Format.TEXT,
) -> None:
    """Compare a current table with a reference, column by column, and keep the report.

    Each column gets Evidently's default test: with up to 1,000 reference rows, KS for numbers
    and chi-squared (z-test for two values) for categories, drift when p < 0.05; above that,
    Wasserstein distance for numbers and Jensen-Shannon for categories, drift when >= 0.1.
    Finding drift is not an error: the exit code is 0 unless --fail-on-drift is given.
    """
    from mlboard.services.drift import parse_column_overrides, parse_max_bytes, run_drift_check

    overrides = parse_column_overrides(column or [])
    cap = parse_max_bytes(max_bytes)
    stored = run_drift_check(
        ctx.obj.workspace(),
        reference,
        current,
        model=model,
        overrides=overrides or None,
        share_threshold=threshold_share,
        psi=psi,
        columns=only or None,
        log_to_run=log_to_run,
        tracking_uri=tracking_uri,
        max_bytes=cap,
    )
    if fmt is Format.JSON:
        print_json(stored.as_json())
    elif fmt is Format.MD:
        _print_drift_markdown(stored, reference, current)
    else:
        _print_drift_text(stored, reference, current)
    if fail_on_drift and stored.result.dataset_drift:
        raise typer.Exit(1)


@drift_app.command("list")
def drift_list(
    ctx: typer.Context,
    model: _DriftModel = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Newest reports to show.")] = 20,
    fmt: _DriftFormat = Format.TEXT,
    wide: Wide = False,
) -> None:
    """Stored drift reports, newest first."""
    from mlboard.services.drift import list_drift_reports

    reports = list_drift_reports(ctx.obj.workspace(), model, limit)
    if fmt is Format.JSON:
        print_json([report.as_json() for report in reports])
        return
    if not reports and fmt is Format.TEXT:
        console().print(Text("No drift reports" + (f" for {model}." if model else ".")))
        return
    runs = any(report.mlflow_run_id for report in reports)  # the column only when used
    rows = [
        (
            report.report_id,
            report.created_at.strftime("%Y-%m-%d %H:%M"),
            report.model or "",
            PurePath(report.reference).name,
            PurePath(report.current).name,
            f"{report.drifted_columns}/{len(report.columns)}",
            f"{report.drift_share:.0%}",
            "✓" if report.dataset_drift else "✗",
            *((report.mlflow_run_id or "",) if runs else ()),
        )
        for report in reports
    ]
    headers = ("#", "when (UTC)", "model", "reference", "current", "drifted", "share")
    headers += ("dataset drift", *(("MLflow run",) if runs else ()))
    print_table("Drift reports", headers, rows, fmt, wide=wide)


_DRIFT_HEADERS = ("column", "method", "statistic", "p-value", "threshold", "drifted")


def _drift_title(stored: StoredDrift, reference: str, current: str) -> str:
    model = f" · {stored.model}" if stored.model else ""
    return f"Drift report #{stored.report_id}: {reference} → {current}{model}"


def _drift_cells(column: ColumnDrift) -> tuple[str, ...]:
    statistic = f"{column.statistic:.4g}"  # inf for chi2 with a category new in current
    p_value = "" if column.p_value is None else f"{column.p_value:.3g}"
    return (column.name, column.method, statistic, p_value, f"{column.threshold:g}")


def _drift_summary(stored: StoredDrift) -> list[str]:
    result = stored.result
    counts = f"{stored.drifted_columns} of {plural(len(result.columns), 'column')} drifted"
    share, limit = f"{result.drift_share:.0%}", f"{result.share_threshold:.0%}"
    lines = [
        f"Dataset drift: {counts} ({share}, threshold {limit})."
        if result.dataset_drift
        else f"No dataset drift: {counts} ({share}, below the {limit} threshold)."
    ]
    lines += [f"Skipped {name}: {reason}." for name, reason in result.skipped]
    rows = f"{plural(result.reference_rows, 'reference row')}, "
    rows += plural(result.current_rows, "current row")
    lines.append(f"Saved as drift report #{stored.report_id} ({rows}).")
    if stored.mlflow_run_id:
        lines.append(f"Logged to MLflow run {stored.mlflow_run_id}.")
    return lines


def _print_drift_text(stored: StoredDrift, reference: str, current: str) -> None:
    rows = [
        (
            *_drift_cells(column),
            Text("✓", style="bold red") if column.drifted else Text("✗", style="green"),
        )
        for column in stored.result.columns
    ]
    print_section(_drift_title(stored, reference, current), _DRIFT_HEADERS, rows)
    out = console()
    for line in _drift_summary(stored):
        out.print(Text(line))


def _print_drift_markdown(stored: StoredDrift, reference: str, current: str) -> None:
    rows = [
        (*_drift_cells(column), "✓" if column.drifted else "✗") for column in stored.result.columns
    ]
    text = markdown_table(_drift_title(stored, reference, current), _DRIFT_HEADERS, rows)
    lines = [markdown_cell(line) for line in _drift_summary(stored)]
    sys.stdout.write(text + "\n" + "\n".join(f"- {line}" for line in lines) + "\n")


# --------------------------------------------------------------------------------------------
# mlboard alert list | check | ack | story   (alert_app: owned by the alerts work, kept apart)
# --------------------------------------------------------------------------------------------

_AlertFormat = Annotated[Format, typer.Option("--format", help="text, md or json.")]
_AlertId = Annotated[int, typer.Argument(help="Alert number (see: mlboard alert list).")]


@alert_app.command("list")
def alert_list(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Include resolved alerts.")] = False,
    fmt: _AlertFormat = Format.TEXT,
    wide: Wide = False,
) -> None:
    """Open alerts (with --all, resolved ones too), oldest first."""
    from mlboard.services.alerts import list_alerts

    alerts = list_alerts(ctx.obj.workspace(), include_resolved=all_)
    if fmt is Format.JSON:
        print_json([alert.as_json() for alert in alerts])
        return
    if not alerts and fmt is Format.TEXT:
        console().print(Text("No alerts." if all_ else "No open alerts."))
        return
    rows = [
        (
            alert.id,
            alert.kind,
            alert.message,
            alert.opened_at.strftime("%Y-%m-%d %H:%M"),
            alert.resolved_at.strftime("%Y-%m-%d %H:%M") if alert.resolved_at else "",
            alert.acknowledged_by or "",
            alert.story or "",
        )
        for alert in alerts
    ]
    headers = ("#", "kind", "message", "opened (UTC)", "resolved", "ack by", "story")
    print_table("Alerts" if all_ else "Open alerts", headers, rows, fmt, free="message", wide=wide)


@alert_app.command("check")
def alert_check(ctx: typer.Context, fmt: _AlertFormat = Format.TEXT) -> None:
    """Evaluate every monitoring condition now: open new alerts, resolve cleared ones.

    Conditions: a pipeline whose last finished run failed or that missed its freshness SLA,
    dataset drift in the latest drift report of a model, an overfitting run of an unfinished
    story, and a monitored metric past its threshold. A monitoring run is an MLflow run tagged
    mlboard.monitor=<registered model>, mlboard.monitor.metric=<metric> and
    mlboard.monitor.threshold=<number> (synced with `mlboard sync`); the latest one per model and
    metric decides (below the threshold for scores, above it for losses and errors).
    """
    from mlboard.services.alerts import evaluate_alerts

    changes = evaluate_alerts(ctx.obj.workspace())
    if fmt is Format.JSON:
        print_json(
            {
                "opened": [alert.as_json() for alert in changes.opened],
                "resolved": [alert.as_json() for alert in changes.resolved],
                "stories": changes.stories,
            }
        )
        return
    lines = [f"opened #{a.id} {a.kind}: {a.message}" for a in changes.opened]
    lines += [f"resolved #{a.id} {a.kind}: {a.subject}" for a in changes.resolved]
    lines += [f"opened story {key}" for key in changes.stories]
    if not lines:
        lines = ["no change"]
    for line in lines:
        if fmt is Format.MD:
            typer.echo(f"- {markdown_cell(line)}")
        else:
            console().print(Text(line), soft_wrap=True)


@alert_app.command("ack")
def alert_ack(ctx: typer.Context, alert_id: _AlertId) -> None:
    """Acknowledge an alert: it stays open until its condition clears."""
    from mlboard.services.alerts import acknowledge_alert

    alert = acknowledge_alert(ctx.obj.workspace(), alert_id)
    console().print(Text(f"alert #{alert.id} acknowledged by {alert.acknowledged_by}"))


@alert_app.command("story")
def alert_story(ctx: typer.Context, alert_id: _AlertId) -> None:
    """Open the backlog story for an alert (or show the one it already has)."""
    from mlboard.services.alerts import open_story_for_alert

    key = open_story_for_alert(ctx.obj.workspace(), alert_id)
    console().print(Text(f"alert #{alert_id}: story {key}"))
