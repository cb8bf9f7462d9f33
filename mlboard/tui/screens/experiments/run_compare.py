"""The compare view: runs side by side, only what differs, with one metric's histories overlaid.

One column per run, in the order compared. Parameters whose values differ come first; those
every run logged with the same value are counted in the heading and shown with `e`. Every
metric has a row, the best run's value marked ★ (in the story target's direction for the target
metric, by its name for the others: `analytics.compare`). The metrics table is the chart's
chooser: the highlighted metric's histories are overlaid below it, fetched from MLflow in a
worker when the cache lacks them.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import DataTable, Header, Static

from mlboard.analytics.compare import SYSTEM_PREFIX
from mlboard.errors import UserError
from mlboard.services.experiments.compare import Comparison, compare_runs, compare_story_runs
from mlboard.services.experiments.metric_history import StoreFactory, cached_histories
from mlboard.tui.keys import bind
from mlboard.tui.navigation import OpenRun
from mlboard.tui.screens.experiments.history_view import HistoryView
from mlboard.tui.text import cell, one_line
from mlboard.tui.widgets.card import metric_value
from mlboard.tui.widgets.key_footer import KeyFooter
from mlboard.tui.widgets.steady_table import SteadyTable
from mlboard.wording import plural

NAME_WIDTH = 26
RUN_WIDTH = (9, 16)  # a run's column: at least, at most


def run_columns(table: DataTable[Text], comparison: Comparison, first: str) -> None:
    """A name column, then one per run, headed by its name."""
    table.clear(columns=True)
    table.add_column(Text(first), width=NAME_WIDTH, key="name")
    low, high = RUN_WIDTH
    for run in comparison.runs:
        label = one_line(run.label)
        width = min(max(len(label), low), high)
        shown = label if len(label) <= width else label[: width - 1] + "…"
        table.add_column(Text(shown, style="bold"), width=width, key=run.run_id)


def param_rows(comparison: Comparison, *, equal: bool) -> list[tuple[str, list[Text]]]:
    """The differing parameters (— where a run did not log one); with `equal`, then the ones
    every run has the same, dimmed."""
    rows = [
        (name, [cell(name), *(cell("—" if v is None else v) for v in values)])
        for name, values in comparison.diff.params.items()
    ]
    if equal:
        rows += [
            (name, [cell(name, "dim"), *(cell(value, "dim") for _ in comparison.runs)])
            for name, value in comparison.diff.params_same.items()
        ]
    return rows


def metric_name(comparison: Comparison, name: str) -> Text:
    """`val_auc ↑`: which way is better; the target metric marked ◎, system metrics plain."""
    target = comparison.target
    if name.startswith(SYSTEM_PREFIX):
        return cell(name, "dim")
    arrow = " ↑" if comparison.diff.maximize[name] else " ↓"
    if target is not None and name == target.metric:
        shown = Text.assemble(("◎ ", "bold"), one_line(name), arrow, style="bold")
    else:
        shown = Text.assemble(one_line(name), (arrow, "dim"))
    shown.no_wrap, shown.overflow = True, "ellipsis"
    return shown


def metric_rows(comparison: Comparison, best_style: str) -> list[tuple[str, list[Text]]]:
    """Each metric's last value per run; ★ on the best."""
    best = comparison.diff.best
    rows = []
    for name, values in comparison.diff.metrics.items():
        cells = [metric_name(comparison, name)]
        for index, value in enumerate(values):
            if value is None:
                cells.append(Text("·", style="dim", justify="right"))
            elif best.get(name) == index:
                cells.append(Text(f"★ {metric_value(value)}", style=best_style, justify="right"))
            else:
                cells.append(Text(metric_value(value), justify="right"))
        rows.append((name, cells))
    return rows


def first_chart_metric(comparison: Comparison) -> str | None:
    """The target metric (listed first), else the first metric that is not the machine's."""
    names = list(comparison.diff.metrics)
    return next((n for n in names if not n.startswith(SYSTEM_PREFIX)), names[0] if names else None)


class RunCompareScreen(HistoryView):
    """Escape goes back; Enter on a run's column opens that run."""

    CSS_PATH = "workbench.tcss"
    SUB_TITLE = "Compare runs"
    BINDINGS = [
        bind("close_compare", "close", "Back"),
        bind(
            "toggle_equal_params", "toggle_equal", "Equal params",
            tooltip="Show or hide the parameters every run has the same",
        ),
        bind("refresh", "reload", "Refresh", show=False),
    ]  # fmt: skip

    def __init__(
        self,
        comparison: Comparison,
        *,
        story: str | None = None,
        run_ids: Sequence[str] = (),
        store_factory: StoreFactory | None = None,
    ) -> None:
        super().__init__("compare", store_factory)
        self.comparison = comparison
        self.story = story
        self.run_ids = list(run_ids)
        self.show_equal = False
        self.chart_metric: str | None = None

    @property
    def metrics(self) -> SteadyTable:
        return self.query_one("#compare-metrics", SteadyTable)

    @property
    def params(self) -> SteadyTable:
        return self.query_one("#compare-params", SteadyTable)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="compare-summary")
        yield Static(id="compare-params-title")
        yield SteadyTable(id="compare-params", cursor_type="row", zebra_stripes=True)
        yield Static(id="compare-metrics-title")
        yield SteadyTable(id="compare-metrics", cursor_type="cell", zebra_stripes=True)
        yield Static(id="compare-progress")
        yield Static(id="compare-chart-note")
        yield Vertical(id="compare-chart")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.mark_read()
        self.show(self.comparison)
        self.metrics.focus()

    def show_comparison(
        self, comparison: Comparison, *, story: str | None, run_ids: Sequence[str]
    ) -> None:
        """Show other runs in this view (kept from an earlier opening), charting their first
        metric; whether the equal parameters show is kept."""
        self.story, self.run_ids, self.chart_metric = story, list(run_ids), None
        self.forget_fetch()
        self.mark_read()
        self.show(comparison)

    def show(self, comparison: Comparison) -> None:
        self.comparison = comparison
        runs, diff = comparison.runs, comparison.diff
        parts: list[str | tuple[str, str]] = [
            ("Comparing ", ""),
            (plural(len(runs), "run"), "bold"),
        ]
        if self.story:
            parts += [" of ", (self.story, "bold $accent"), " (its finished runs)"]
        if comparison.target is not None:
            parts += [("  ·  ", "$text-muted"), f"target {comparison.target}"]
        parts += [("  ·  ★ best  ↑ higher is better  ↓ lower", "$text-muted")]
        self.query_one("#compare-summary", Static).update(Content.assemble(*parts))
        self.show_params()
        metrics = self.metrics
        keep = metrics.cursor_coordinate
        run_columns(metrics, comparison, "Metric")
        best_style = f"bold {self.app.theme_variables.get('success', '')}"
        for key, cells in metric_rows(comparison, best_style):
            metrics.add_row(*cells, key=key)
        self.query_one("#compare-metrics-title", Static).update(
            Content.assemble(
                (f"Metrics ({len(diff.metrics)})", "bold"),
                ("  ·  the highlighted metric is charted below", "$text-muted"),
            )
        )
        wanted = self.chart_metric if self.chart_metric in diff.metrics else None
        wanted = wanted or first_chart_metric(comparison)
        if wanted is not None:
            row = list(diff.metrics).index(wanted)
            metrics.move_cursor(row=row, column=keep.column, animate=False)
        self.choose_metric(wanted)

    def show_params(self) -> None:
        diff = self.comparison.diff
        differ, same = len(diff.params), len(diff.params_same)
        if same:
            how = "shown, e hides them" if self.show_equal else "hidden, e shows them"
            equal = Content.styled(f"  ·  {same} equal in every run ({how})", "$text-muted")
        else:
            equal = Content.styled("  ·  none is the same in every run", "$text-muted")
        title = f"Parameters that differ ({differ})" if differ else "No parameter differs"
        self.query_one("#compare-params-title", Static).update(
            Content.assemble((title, "bold"), equal)
        )
        table = self.params
        run_columns(table, self.comparison, "Parameter")
        rows = param_rows(self.comparison, equal=self.show_equal)
        for key, cells in rows:
            table.add_row(*cells, key=key)
        table.display = bool(rows)

    def action_toggle_equal(self) -> None:
        self.show_equal = not self.show_equal
        self.show_params()

    @on(DataTable.CellHighlighted, "#compare-metrics")
    def metric_highlighted(self, event: DataTable.CellHighlighted) -> None:
        metric = event.cell_key.row_key.value
        if metric != self.chart_metric:
            self.choose_metric(metric)

    @on(DataTable.CellSelected, "#compare-metrics")
    def run_chosen(self, event: DataTable.CellSelected) -> None:
        run_id = event.cell_key.column_key.value
        if run_id and run_id != "name":
            self.post_message(OpenRun(run_id))

    def choose_metric(self, metric: str | None) -> None:
        """Chart `metric` from the cache now; fetch what the cache lacks of it in a worker."""
        self.chart_metric = metric
        self.draw_chart()
        if metric is not None:
            self.fetch([run.run_id for run in self.comparison.runs], [metric])

    def histories_arrived(self, fetched: int) -> None:
        if fetched:
            self.draw_chart()

    def draw_chart(self) -> None:
        """The chosen metric's cached histories, one line per run; a note on what is missing."""
        metric = self.chart_metric
        runs = self.comparison.runs
        if metric is None:
            self.hide_chart(Content.styled("No metric logged.", "$text-muted"))
            return
        found = cached_histories(self.workspace, [run.run_id for run in runs], metric)
        series = [(run.label, found[run.run_id]) for run in runs if found.get(run.run_id)]
        if not series:
            self.hide_chart(
                Content.styled(f"No history of {one_line(metric)} cached.", "$text-muted")
            )
            return
        lacking = len(runs) - len(series)
        self.note(
            Content.styled(
                f"{lacking} of {plural(len(runs), 'run')} {'has' if lacking == 1 else 'have'} "
                f"no history of {one_line(metric)} cached.",
                "$text-muted",
            )
            if lacking
            else None
        )
        self.chart().show_histories(series, metric, self.comparison.target)

    def refresh_data(self) -> None:
        """A sync or a link changed the mirror: compare the same runs (or story) again."""
        self.mark_read()
        try:
            if self.story:
                comparison = compare_story_runs(self.workspace, self.story)
            else:
                comparison = compare_runs(self.workspace, self.run_ids)
        except UserError as error:
            self.notify(error.message, title="Compare", severity="warning", markup=False)
            return
        self.show(comparison)
