"""The run view: one run in full, as `mlboard run show` prints it, with a chart of one metric.

It opens at once from the board's mirror and history cache (`run_detail`); the histories the
cache lacks are fetched from MLflow in a thread worker while the view stays usable, with the
progress on a line of its own, and the view reads the run again when they are in. A tracking
server that cannot be reached is said on that line; the view keeps what is cached.

The metrics table is the chart's chooser: the highlighted metric is charted (the story's
target metric comes first, so it is the one charted on opening). plotext is imported only when
a history is there to draw.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import DataTable, Header, Static

from mlboard.services.experiments.metric_history import StoreFactory, cached_histories
from mlboard.services.experiments.run_detail import RunDetail, run_detail
from mlboard.services.stories.records import get_story
from mlboard.tui.keys import bind
from mlboard.tui.navigation import OpenStory
from mlboard.tui.screens.experiments.history_view import HistoryView
from mlboard.tui.screens.stories.story_detail import STATUS_STYLES
from mlboard.tui.screens.stories.story_picker import StoryPickerScreen
from mlboard.tui.text import cell, one_line
from mlboard.tui.widgets.card import metric_value
from mlboard.tui.widgets.key_footer import KeyFooter
from mlboard.tui.widgets.keyed_table import KeyedTable
from mlboard.tui.widgets.run_table import format_duration

METRIC_COLUMNS = (
    ("metric", "Metric", 26),
    ("last", "Last", 10),
    ("min", "Min", 10),
    ("max", "Max", 10),
    ("steps", "Steps", 6),
)
CHILDREN_LISTED = 5
LABEL = 11  # width of the field names


def _moment(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else "—"


def _field(label: str, *value: str | tuple[str, str]) -> Content:
    return Content.assemble((f"{label:<{LABEL}}", "$text-muted"), *value)


def field_lines(detail: RunDetail) -> Content:
    """Where the run comes from, when it ran, what it is part of, what it cost and made."""
    duration = format_duration(
        None if detail.duration_s is None else timedelta(seconds=detail.duration_s)
    )
    if detail.status == "RUNNING" and duration:
        duration += " so far"
    lines = [
        _field("Experiment", one_line(detail.experiment) or "—"),
        _field(
            "Status",
            (detail.status, STATUS_STYLES.get(detail.status, "$accent")),
            ("  deleted in MLflow" if detail.deleted else "", "bold $error"),
        ),
        _field("User", one_line(detail.user) or "—"),
        _field("Started", _moment(detail.start)),
        _field("Ended", _moment(detail.end)),
        _field("Duration", duration or "—"),
    ]
    if detail.parent is not None:
        parent = detail.parent
        lines.append(
            _field("Parent", one_line(parent.label), (f"  {parent.status}", "$text-muted"))
        )
    if detail.children:
        names = ", ".join(one_line(child.label) for child in detail.children[:CHILDREN_LISTED])
        more = len(detail.children) - CHILDREN_LISTED
        lines.append(
            _field("Children", f"{len(detail.children)}: {names}", " …" if more > 0 else "")
        )
    lines.append(_field("GPUs", f"{detail.gpus} · {detail.gpu_hours:.1f} GPU-hours"))
    stories: list[str | tuple[str, str]] = []
    for link in detail.stories:
        stories += [", " if stories else "", (link.key, "bold"), (f" ({link.how})", "$text-muted")]
    lines.append(
        _field("Stories", *(stories or [("none — L in Experiments links it", "$text-muted")]))
    )
    models: list[str | tuple[str, str]] = []
    for model in detail.model_versions:
        aliases = " ".join(f"@{alias}" for alias in model.aliases)
        models += [", " if models else "", f"{one_line(model.name)} v{model.version}"]
        models += [(f" {one_line(aliases)}", "bold $accent")] if aliases else []
    lines.append(_field("Models", *(models or [("none registered from it", "$text-muted")])))
    lines.append(_field("Tracking", one_line(detail.tracking_uri)))
    return Content("\n").join(lines)


def pairs(title: str, values: dict[str, str], note: Content | None = None) -> Content:
    """A heading, then `name  value` lines, names padded to the longest (up to 28)."""
    heading = Content.assemble((f"{title} ({len(values)})", "bold"), note or "")
    width = min(max((len(one_line(name)) for name in values), default=0), 28)
    return Content("\n").join(
        [
            heading,
            *(
                Content.assemble((f"{one_line(name, 28):<{width}}  ", "$text-muted"), one_line(v))
                for name, v in values.items()
            ),
        ]
    )


def metric_rows(detail: RunDetail) -> list[tuple[str, list[Text]]]:
    """One row per metric, in the chart's order (the linked stories' targets first)."""

    def number(value: float | None) -> Text:
        shown = "—" if value is None else metric_value(value)
        return Text(shown, justify="right")

    rows = []
    for name in detail.chart_metrics:
        summary = detail.metrics[name]
        steps = "—" if summary.steps is None else str(summary.steps)
        cells = [cell(name), number(summary.last), number(summary.min), number(summary.max)]
        rows.append((name, [*cells, Text(steps, justify="right")]))
    return rows


class RunDetailScreen(HistoryView):
    """Escape goes back to where the run was opened (Experiments, a story, the compare view)."""

    CSS_PATH = "workbench.tcss"
    SUB_TITLE = "Run"
    BINDINGS = [
        bind("close_run", "close", "Back"),
        bind("open_run_story", "open_story", "Story", tooltip="Open the story the run counts for"),
        bind(
            "toggle_mlflow_tags", "toggle_mlflow_tags", "mlflow.* tags",
            tooltip="Show or hide MLflow's own tags",
        ),
        bind("refresh", "reload", "Refresh", show=False),
    ]  # fmt: skip

    def __init__(self, run_id: str, *, store_factory: StoreFactory | None = None) -> None:
        super().__init__("run", store_factory)
        self.run_id = run_id
        self.detail: RunDetail | None = None
        self.show_mlflow_tags = False
        self.chart_metric: str | None = None
        self._tried: tuple[str, ...] | None = None  # the missing histories fetched last

    @property
    def metrics(self) -> KeyedTable:
        return self.query_one("#run-metrics", KeyedTable)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="run-title")
        yield Static(id="run-progress")
        with Horizontal(id="run-body"):
            with VerticalScroll(id="run-facts"):
                yield Static(id="run-fields")
                yield Static(id="run-params")
                yield Static(id="run-tags")
            with Vertical(id="run-metrics-box"):
                yield KeyedTable(METRIC_COLUMNS, id="run-metrics")
                yield Static(id="run-chart-note")
                yield Vertical(id="run-chart")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.load()
        self.metrics.focus()

    def show_run(self, run_id: str) -> None:
        """Show another run in this view (kept from an earlier opening): its target metric
        charted, its own histories fetched; whether MLflow's tags show is kept."""
        self.run_id, self._tried = run_id, None
        self.forget_fetch()
        self.metrics.clear()  # the cursor starts on the first metric again
        self.query_one("#run-facts", VerticalScroll).scroll_home(animate=False)
        self.load()

    def load(self, *, fetch: bool = False) -> None:
        """Read the run from the cache and show it; fetch its missing histories in a worker
        unless the same ones were tried already (`fetch` tries again)."""
        self.mark_read()
        detail = run_detail(self.workspace, self.run_id)
        missing = detail.missing_histories
        start = bool(missing) and not self.fetching and (fetch or missing != self._tried)
        if start:
            self._tried = missing
            self.fetch([detail.run_id], None, total=len(missing))
        self.show(detail)

    def histories_arrived(self, fetched: int) -> None:
        self.load()

    def refresh_data(self) -> None:
        self.load()

    def action_reload(self) -> None:
        self.load(fetch=True)

    def show(self, detail: RunDetail) -> None:
        self.detail = detail
        self.query_one("#run-title", Static).update(
            Content.assemble(
                ("Run ", "$text-muted"),
                (one_line(detail.run_name) or detail.run_id[:12], "bold $accent"),
                ("  ", ""),
                (detail.run_id, "$text-muted"),
            )
        )
        self.query_one("#run-fields", Static).update(field_lines(detail))
        self.query_one("#run-params", Static).update(pairs("Params", detail.params))
        self.show_tags()
        table = self.metrics
        table.show_rows(metric_rows(detail))
        self.draw_chart(table.highlighted_key)

    def show_tags(self) -> None:
        detail = self.detail
        if detail is None:
            return
        own = detail.own_tags
        hidden = len(detail.tags) - len(own)
        if self.show_mlflow_tags:
            note = Content.styled("  ·  t hides MLflow's own mlflow.* tags", "$text-muted")
            shown = detail.tags
        else:
            note = Content.styled(f"  ·  {hidden} mlflow.* hidden, t shows them", "$text-muted")
            shown = own
        self.query_one("#run-tags", Static).update(pairs("Tags", shown, note if hidden else None))

    def action_toggle_mlflow_tags(self) -> None:
        self.show_mlflow_tags = not self.show_mlflow_tags
        self.show_tags()

    @on(DataTable.RowHighlighted, "#run-metrics")
    def metric_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value != self.chart_metric:
            self.draw_chart(event.row_key.value)

    def draw_chart(self, metric: str | None) -> None:
        """The history of `metric` from the cache; a note instead when there is none (yet)."""
        self.chart_metric = metric
        points = cached_histories(self.workspace, [self.run_id], metric).get(self.run_id, [])
        if not metric:
            self.hide_chart(Content.styled("No metrics logged.", "$text-muted"))
        elif not points:
            why = "being fetched" if self.fetching else "cached"
            self.hide_chart(
                Content.styled(f"No history of {one_line(metric)} {why}.", "$text-muted")
            )
        else:
            self.note(None)
            label = self.detail.label if self.detail else self.run_id[:12]
            self.chart().show_histories([(label, points)], metric)

    def action_open_story(self) -> None:
        """The story the run counts for; a choice when it counts for several."""
        detail = self.detail
        if detail is None:
            return
        keys = list(dict.fromkeys(link.key for link in detail.stories))
        if not keys:
            self.notify(
                f"Run {one_line(detail.label)} counts for no story (L in Experiments links it).",
                markup=False,
            )
        elif len(keys) == 1:
            self.post_message(OpenStory(keys[0]))
        else:
            choices = [(key, get_story(self.workspace, key).title) for key in keys]
            heading = Content.assemble("Open a story of run ", (one_line(detail.label), "bold"))
            self.app.push_screen(
                StoryPickerScreen(heading, choices),
                lambda key: self.post_message(OpenStory(key)) if key else None,
            )
