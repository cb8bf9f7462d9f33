"""Data: pipelines and their health, drift reports column by column, and the open alerts.

Monitoring feeds planning here: an alert becomes a backlog story with one key (`o`). The whole
screen is read in a thread worker (a pipeline may have 10,000 runs) and redrawn in place,
keeping each table's highlighted row; writes (acknowledge, open a story) are one transaction
each, and the alert check (`k`) runs in a worker too.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Header, Sparkline, Static

from mlboard.errors import UserError
from mlboard.services.data.alerts import (
    AlertChanges,
    AlertView,
    acknowledge_alert,
    evaluate_alerts,
    open_story_for_alert,
)
from mlboard.tui.host import host
from mlboard.tui.keys import bind
from mlboard.tui.screens.data.rows import (
    ALERT_COLUMNS,
    COLUMN_COLUMNS,
    DRIFT_COLUMNS,
    PIPELINE_COLUMNS,
    DataSnapshot,
    alert_cells,
    column_cells,
    compared_files,
    drift_cells,
    load_data,
    pipeline_cells,
    pipeline_heading,
    row_counts,
    run_lines,
    summary,
)
from mlboard.tui.screens.reloading import ReloadingScreen
from mlboard.tui.screens.stories.story_detail import StoryDetailScreen
from mlboard.tui.text import one_line
from mlboard.tui.widgets.key_footer import KeyFooter
from mlboard.tui.widgets.keyed_table import KeyedTable


@dataclass
class AlertsChecked(Message):
    changes: AlertChanges


class DataScreen(ReloadingScreen[DataSnapshot]):
    """Pipelines on top (detail of the highlighted one on the right), drift, then alerts."""

    TITLE = "mlboard · Data"
    CSS_PATH = "data.tcss"
    READ_GROUP = "data"
    BINDINGS = [
        bind(
            "ack_alert", "acknowledge", "Acknowledge",
            tooltip="Acknowledge the highlighted alert",
        ),
        bind(
            "alert_story", "alert_story", "Alert → story",
            tooltip="Create (or open) the backlog story of the highlighted alert",
        ),
        bind(
            "check_alerts", "check_alerts", "Check alerts",
            tooltip="Evaluate pipelines, drift and monitoring runs for alerts now",
        ),
        bind("refresh", "reload", "Refresh", tooltip="Read the data screen again"),
    ]  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.snapshot: DataSnapshot | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("loading…", id="data-summary")
        with Horizontal(id="data-top"):
            yield KeyedTable(PIPELINE_COLUMNS, id="pipelines")
            with VerticalScroll(id="pipeline-detail"):
                yield Static(id="pipeline-heading")
                yield Sparkline(id="pipeline-sparkline")
                yield Static(id="pipeline-runs")
        with Horizontal(id="data-middle"):
            yield KeyedTable(DRIFT_COLUMNS, id="drift-reports")
            yield KeyedTable(COLUMN_COLUMNS, id="drift-columns")
        yield KeyedTable(ALERT_COLUMNS, id="alerts")
        yield KeyFooter()

    def on_mount(self) -> None:
        for name, title in (
            ("pipelines", "Pipelines"),
            ("drift-reports", "Drift reports"),
            ("drift-columns", "Columns"),
            ("alerts", "Open alerts"),
        ):
            self.table(name).border_title = title
        self.query_one("#pipeline-detail").border_title = "Pipeline"
        self.table("pipelines").focus()

    def table(self, name: str) -> KeyedTable:
        return self.query_one(f"#{name}", KeyedTable)

    # -- reading

    def read(self) -> DataSnapshot:
        """Thread worker: reads only (a pipeline may have 10,000 runs)."""
        return load_data(self.workspace)

    # -- drawing

    def show(self, snapshot: DataSnapshot) -> None:
        self.snapshot = snapshot
        colors = dict(self.app.theme_variables)
        self.table("pipelines").show_rows(
            (str(entry.status.id), pipeline_cells(entry, snapshot.now, colors))
            for entry in snapshot.pipelines
        )
        self.table("drift-reports").show_rows(
            (str(report.report_id), drift_cells(report, colors)) for report in snapshot.drift
        )
        self.table("alerts").show_rows(
            (str(alert.id), alert_cells(alert, colors)) for alert in snapshot.alerts
        )
        self.table("pipelines").border_title = f"Pipelines ({len(snapshot.pipelines)})"
        self.table("drift-reports").border_title = f"Drift reports ({len(snapshot.drift)})"
        self.table("alerts").border_title = f"Open alerts ({len(snapshot.alerts)})"
        self.query_one("#data-summary", Static).update(summary(snapshot))
        self.show_pipeline()
        self.show_columns()
        self.refresh_bindings()

    def show_pipeline(self) -> None:
        heading = self.query_one("#pipeline-heading", Static)
        runs = self.query_one("#pipeline-runs", Static)
        sparkline = self.query_one("#pipeline-sparkline", Sparkline)
        snapshot, key = self.snapshot, self.table("pipelines").highlighted_key
        entry = (
            next((e for e in snapshot.pipelines if str(e.status.id) == key), None)
            if snapshot
            else None
        )
        if snapshot is None or entry is None:
            empty = (
                "loading…"
                if snapshot is None
                else "No pipelines yet. Send OpenLineage events (mlboard pipeline ingest FILE, "
                "or mlboard pipeline serve) or record runs (mlboard pipeline record NAME "
                "--state success)."
            )
            heading.update(Content.styled(empty, "$text-muted"))
            runs.update("")
            sparkline.display = False
            return
        heading.update(pipeline_heading(entry, snapshot.now))
        counts = row_counts(entry)
        sparkline.display = any(counts)
        sparkline.data = counts
        runs.update(run_lines(entry, snapshot.names))

    def show_columns(self) -> None:
        table = self.table("drift-columns")
        snapshot, key = self.snapshot, self.table("drift-reports").highlighted_key
        report = (
            next((r for r in snapshot.drift if str(r.report_id) == key), None) if snapshot else None
        )
        colors = dict(self.app.theme_variables)
        columns = report.columns if report else []
        table.clear()
        for index, column in enumerate(columns):
            table.add_row(*column_cells(column, colors), key=str(index))
        table.border_title = (
            Content(f"#{report.report_id}: {one_line(compared_files(report))}")
            if report
            else "Columns"
        )

    @on(DataTable.RowHighlighted, "#pipelines")
    def pipeline_highlighted(self) -> None:
        self.show_pipeline()

    @on(DataTable.RowHighlighted, "#drift-reports")
    def report_highlighted(self) -> None:
        self.show_columns()

    # -- alerts

    def highlighted_alert(self) -> AlertView | None:
        key = self.table("alerts").highlighted_key
        alerts = self.snapshot.alerts if self.snapshot else []
        return next((alert for alert in alerts if str(alert.id) == key), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Alert keys are dimmed while there is no alert to act on."""
        if action in ("acknowledge", "alert_story") and not (
            self.snapshot and self.snapshot.alerts
        ):
            return None
        return True

    def action_acknowledge(self) -> None:
        alert = self.highlighted_alert()
        if alert is None:
            return
        try:
            seen = acknowledge_alert(self.workspace, alert.id)
        except UserError as error:
            self.notify(error.message, severity="warning", markup=False)
            return
        self.notify(
            f"Alert #{seen.id} acknowledged by @{one_line(seen.acknowledged_by)}:"
            f" {one_line(seen.subject)}",
            markup=False,
        )
        self.refresh_data()

    def action_alert_story(self) -> None:
        alert = self.highlighted_alert()
        if alert is None:
            return
        if alert.story is not None:
            self.app.push_screen(StoryDetailScreen(alert.story), self._after_story)
            return
        try:
            key = open_story_for_alert(self.workspace, alert.id)
        except UserError as error:
            self.notify(error.message, severity="warning", markup=False)
            return
        self.notify(f"{key} is in the backlog, from alert #{alert.id}.", title=key, markup=False)
        host(self).data_changed()

    def _after_story(self, edited: str | None) -> None:
        if edited is not None:
            host(self).data_changed()

    def action_check_alerts(self) -> None:
        self.notify("Checking pipelines, drift and monitoring runs…", markup=False)
        self._check_alerts()

    @work(thread=True, exclusive=True, group="alerts", exit_on_error=False)
    def _check_alerts(self) -> None:
        """Thread worker: one write transaction in the service, the result as a message."""
        self.post_message(AlertsChecked(evaluate_alerts(self.workspace)))

    @on(AlertsChecked)
    def alerts_checked(self, message: AlertsChecked) -> None:
        changes = message.changes
        text = f"{len(changes.opened)} opened, {len(changes.resolved)} resolved"
        if changes.stories:
            text += f"; stories {', '.join(changes.stories)} in the backlog"
        self.notify(text, title="Alerts checked", markup=False)
        if changes.stories:
            host(self).data_changed()
        else:
            self.refresh_data()
