"""The table of runs: one row per run, the most common metrics as columns, sortable.

The screen loads runs a page at a time; this widget only turns `RunView`s into rows, sorts the
rows it holds and says when the user reaches the end (`NearEnd`), so the screen can load more.
Every cell is a `Text` built from plain strings: run names and users are never read as markup,
and their control characters (MLflow keeps whatever training code sent) become spaces, so an
escape sequence or a line break cannot reach the terminal or split a row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rich.text import Text
from textual.message import Message

from mlboard.services.experiments.runs import RunView
from mlboard.tui.keys import bind
from mlboard.tui.text import one_line
from mlboard.tui.widgets.card import metric_value
from mlboard.tui.widgets.steady_table import SteadyTable

MAX_METRICS = 4
STATUS_COLORS = {"FINISHED": "success", "FAILED": "error", "KILLED": "warning", "RUNNING": "accent"}


@dataclass(frozen=True)
class RunColumn:
    key: str
    label: str
    width: int | None
    sort_key: Callable[[RunView], Any]
    justify: str = "left"


def _lower(text: str) -> str:
    return text.casefold()


def base_columns() -> list[RunColumn]:
    return [
        RunColumn("run", "Run", 22, lambda r: _lower(r.label)),
        RunColumn("experiment", "Experiment", 12, lambda r: _lower(r.experiment_name)),
        RunColumn("status", "Status", 8, lambda r: r.status),
        RunColumn("user", "User", 8, lambda r: _lower(r.user)),
        RunColumn("start", "Start", 12, lambda r: r.start),
        RunColumn("duration", "Duration", 8, lambda r: duration(r, None), "right"),
        RunColumn("stories", "Stories", 10, lambda r: r.stories or None),
    ]


def metric_column(name: str) -> RunColumn:
    return RunColumn(
        f"metric:{name}", name, min(max(len(name), 7), 12), lambda r: r.metrics.get(name), "right"
    )


def common_metrics(runs: Iterable[RunView], limit: int = MAX_METRICS) -> list[str]:
    """The metric keys most runs report (ties by name): the ones worth a column."""
    counts = Counter(key for run in runs for key, v in run.metrics.items() if v is not None)
    return [key for key, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]


def duration(run: RunView, now: datetime | None) -> timedelta | None:
    """End minus start; a running run counts up to `now` (None: unknown)."""
    if run.start is None:
        return None
    end = run.end or now
    return None if end is None else end - run.start


def format_duration(span: timedelta | None) -> str:
    if span is None:
        return ""
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m {seconds % 60:02d}s"
    if seconds < 86400:
        return f"{seconds // 3600}h {seconds % 3600 // 60:02d}m"
    return f"{seconds // 86400}d {seconds % 86400 // 3600:02d}h"


def sort_runs(runs: Sequence[RunView], column: RunColumn, reverse: bool) -> list[RunView]:
    """Sorted by `column`; runs without a value go last whichever the direction."""
    valued = [run for run in runs if column.sort_key(run) is not None]
    empty = [run for run in runs if column.sort_key(run) is None]
    return sorted(valued, key=column.sort_key, reverse=reverse) + empty


class RunTable(SteadyTable):
    """Rows keyed by run id; colours come from the app's theme when rows are built."""

    BINDINGS = [
        bind("run_down", "cursor_down", "Down", show=False),
        bind("run_up", "cursor_up", "Up", show=False),
        bind("run_first", "scroll_top", "First", show=False),
        bind("run_last", "scroll_bottom", "Last", show=False),
    ]

    @dataclass
    class NearEnd(Message):
        """The cursor or the scroll reached the last of `rows` loaded rows.

        Both may fire for one key press; the row count lets the screen load one page, not two.
        """

        rows: int

    def __init__(self, *, id: str | None = None, most_selected: int = 0) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.run_columns: list[RunColumn] = []
        self.now: datetime | None = None
        self.selected: dict[str, None] = {}  # run ids, in the order they were selected
        self.most_selected = most_selected
        self._labels: dict[str, str] = {}  # each shown run's name, to mark it again
        self._colors: dict[str, str] = {}

    def set_columns(self, metrics: Sequence[str]) -> None:
        """Replace the columns (and rows) when the set of metric columns changes."""
        self.clear(columns=True)
        self.run_columns = base_columns() + [metric_column(name) for name in metrics]
        for column in self.run_columns:
            shown = column.label
            if column.width is not None and len(shown) > column.width:
                shown = shown[: column.width - 1] + "…"  # a cut name should look cut
            label = Text(shown, justify=column.justify)  # type: ignore[arg-type]
            self.add_column(label, width=column.width, key=column.key)

    @property
    def metric_names(self) -> list[str]:
        return [c.label for c in self.run_columns if c.key.startswith("metric:")]

    def _color(self, name: str) -> str:
        """A theme colour; looked up once per batch of rows (`theme_variables` is rebuilt)."""
        if not self._colors:
            self._colors = dict(self.app.theme_variables)
        return self._colors.get(name, "")

    def name_cell(self, run_id: str, label: str) -> Text:
        """The run's name, after a ✓ when it is selected."""
        self._labels[run_id] = label
        name = Text(one_line(label), overflow="ellipsis", no_wrap=True)
        if run_id in self.selected:
            name = Text.assemble(("✓ ", f"bold {self._color('accent')}"), name)
            name.overflow, name.no_wrap = "ellipsis", True
        return name

    def toggle_highlighted(self) -> bool:
        """Select the run under the cursor (or leave it out again) and move the cursor on, as
        file managers do; False when `most_selected` runs are selected already."""
        run_id = self.highlighted_key
        if run_id is None:
            return True
        if run_id in self.selected:
            del self.selected[run_id]
        elif len(self.selected) >= self.most_selected:
            return False
        else:
            self.selected[run_id] = None
        self._remark(run_id)
        self.action_cursor_down()
        return True

    def clear_selection(self) -> None:
        was, self.selected = self.selected, {}
        for run_id in was:
            self._remark(run_id)

    def _remark(self, run_id: str) -> None:
        if run_id in self.rows:
            self.update_cell(run_id, "run", self.name_cell(run_id, self._labels[run_id]))

    def cells(self, run: RunView) -> list[Text]:
        muted = self._color("text-muted")
        start = run.start.astimezone().strftime("%b %d %H:%M") if run.start else ""
        span = format_duration(duration(run, self.now))
        if run.end is None and run.start is not None and span:
            span += "…"
        cells = [
            self.name_cell(run.run_id, run.label),
            Text(one_line(run.experiment_name), overflow="ellipsis", no_wrap=True),
            Text(run.status, style=self._color(STATUS_COLORS.get(run.status, "text-muted"))),
            Text(one_line(run.user), overflow="ellipsis", no_wrap=True),
            Text(start),
            Text(span, justify="right"),
            Text(", ".join(run.stories), style=self._color("text-primary"))
            if run.stories
            else Text("—", style=muted),
        ]
        for column in self.run_columns[len(cells) :]:
            value = column.sort_key(run)
            cells.append(
                Text(metric_value(value), justify="right")
                if value is not None
                else Text("·", style=muted, justify="right")
            )
        return cells

    def append_runs(self, runs: Iterable[RunView]) -> None:
        self._colors = {}  # the theme may have changed since the last batch
        for run in runs:
            self.add_row(*self.cells(run), key=run.run_id)

    def show_runs(self, runs: Sequence[RunView], keep: str | None = None) -> None:
        """Replace the rows in one go, keeping the cursor on run `keep` if it is still there."""
        self.clear()
        self._labels = {}
        self.append_runs(runs)
        if keep is not None and keep in self.rows:
            self.move_cursor(row=self.get_row_index(keep), animate=False, scroll=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self.max_scroll_y and new_value >= self.max_scroll_y - 1 and new_value > old_value:
            self.post_message(self.NearEnd(self.row_count))

    def watch_cursor_coordinate(self, old: Any, new: Any) -> None:
        super().watch_cursor_coordinate(old, new)
        if self.row_count and new.row >= self.row_count - 1 and new.row != old.row:
            self.post_message(self.NearEnd(self.row_count))
