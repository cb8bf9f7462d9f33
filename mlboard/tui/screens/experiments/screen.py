"""Experiments: every synced run, newest first; filter, sort, and link runs to stories.

Enter opens a run (the run view), `o` its story; space selects runs and `C` compares them.
Fifty thousand runs do not go into a table at once: the screen asks for the newest page
(`list_runs(limit=…)`) and more when the cursor or the scroll reaches the end. Experiment,
status and "unlinked" narrow the query itself; free words narrow the loaded rows (the service
has no text search yet). Linking runs in a thread: writing the run's tag back to MLflow imports
MLflow and may wait on a server, and the table must stay responsive meanwhile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Header, Static

from mlboard.errors import UserError
from mlboard.services.experiments.compare import MAX_COMPARED
from mlboard.services.experiments.linking import link_run, unlink_run
from mlboard.services.experiments.runs import RunView, experiment_names, list_runs, run_count
from mlboard.services.stories.records import list_stories
from mlboard.tui.keys import bind
from mlboard.tui.navigation import OpenCompare, OpenRun, OpenStory
from mlboard.tui.run_filter import RunFilter, RunFilterSuggester, parse_run_filter
from mlboard.tui.screens.screen_base import ScreenBase
from mlboard.tui.screens.stories.story_picker import StoryPickerScreen
from mlboard.tui.text import one_line
from mlboard.tui.widgets.filter_input import FilterInput
from mlboard.tui.widgets.key_footer import KeyFooter
from mlboard.tui.widgets.run_table import RunColumn, RunTable, common_metrics, sort_runs
from mlboard.wording import plural

PAGE = 500
COMPARE = Binding.Group("Compare")  # the footer shows `space C Compare`, the palette each key
LINK = Binding.Group("Link/unlink")
FIRST_SCREEN = 100  # rows of the very first paint; the rest of the first page follows it


@dataclass
class LinkChanged(Message):
    """A link or unlink finished (in a worker): `error` says why it did not happen;
    `tag_warning` why the link is made but its MLflow tag is not (the next sync retries)."""

    text: str
    error: str | None = None
    tag_warning: str | None = None


class ExperimentsScreen(ScreenBase):
    """The runs table; the summary line says how many are loaded of how many synced."""

    CSS_PATH = "experiments.tcss"
    TITLE = "mlboard · Experiments"
    BINDINGS = [
        bind("filter", "filter", "Filter"),
        bind(
            "select_run", "select_run", "Select", tooltip="Select the run to compare (or not)",
            group=COMPARE,
        ),
        bind(
            "compare_runs", "compare", "Compare", tooltip="Compare the selected runs",
            group=COMPARE,
        ),
        bind("open_run_story", "open_story", "Story", tooltip="Open the run's story"),
        bind("sort_runs", "sort", "Sort", tooltip="Sort by the next column"),
        bind("reverse_runs", "reverse", "Reverse", show=False),
        bind("more_runs", "more", "More", show=False, tooltip="Load the next page of runs"),
        bind("link_run", "link", "Link", tooltip="Link the run to a story", group=LINK),
        bind("unlink_run", "unlink", "Unlink", tooltip="Unlink the run from its story", group=LINK),
        bind("refresh", "reload", "Refresh", show=False),
    ]  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.filter = RunFilter()
        self.limit = PAGE
        self.loaded: list[RunView] = []
        self.shown: list[RunView] = []
        self.has_more = False
        self.total = 0
        self._experiments: list[str] | None = None
        self.sort: tuple[str, bool] | None = None  # column key, descending; None: newest first

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="runs-summary")
        yield FilterInput(
            lambda line: parse_run_filter(line, self.experiments),
            placeholder="Filter: exp:NAME status:failed unlinked words — Esc to clear",
            suggester=RunFilterSuggester(lambda: self.experiments),
            id="run-filter",
        )
        yield RunTable(id="runs", most_selected=MAX_COMPARED)
        yield KeyFooter()

    @property
    def experiments(self) -> list[str]:
        """Names for the filter's checks and completion: read when the filter is first used."""
        if self._experiments is None:
            self._experiments = experiment_names(self.workspace)
        return self._experiments

    @property
    def table(self) -> RunTable:
        return self.query_one(RunTable)

    def on_mount(self) -> None:
        """A screenful of runs first, the rest of the first page right after the first frame:
        measuring and laying out 500 rows would hold the first paint back for a tenth of a
        second. A screen built ahead, out of sight, reads the whole page at once."""
        self.limit = FIRST_SCREEN if self.is_current else PAGE
        self.load()
        self.table.focus()
        if self.limit < PAGE:
            self.host.after_first_frame(self._fill_first_page)

    def _fill_first_page(self) -> None:
        """Up to a whole page, unless a filter or the scroll has loaded one since."""
        if self.limit < PAGE:
            self.load_more(PAGE - self.limit)

    def refresh_data(self) -> None:
        """After a sync or a link: same filter, same number of rows, the cursor kept."""
        self._experiments = None  # a sync may have brought new ones
        self.load()

    def load(self) -> None:
        """Query the newest `limit` runs matching the filter and show them."""
        ws, query = self.workspace, self.filter
        self.mark_read()
        self.total = run_count(ws)
        runs = list_runs(
            ws,
            experiment=query.experiment,
            status=query.status,
            unlinked=query.unlinked,
            limit=self.limit + 1,
        )
        self.has_more = len(runs) > self.limit
        self.loaded = runs[: self.limit]
        self.redraw()

    def redraw(self) -> None:
        table = self.table
        keep = table.highlighted_key
        shown = [run for run in self.loaded if self.filter.matches(run)]
        metrics = common_metrics(shown)
        if table.metric_names != metrics or not table.run_columns:
            table.set_columns(metrics)
        column = self._sort_column()
        if column is None:
            self.sort = None
        else:
            shown = sort_runs(shown, column, reverse=self.sort[1])  # type: ignore[index]
        table.now = self.workspace.now()
        table.show_runs(shown, keep)
        self.shown = shown
        self.show_summary()

    def _sort_column(self) -> RunColumn | None:
        if self.sort is None:
            return None
        return next((c for c in self.table.run_columns if c.key == self.sort[0]), None)

    def show_summary(self) -> None:
        muted, selected = "$text-muted", len(self.table.selected)
        if not self.total:
            text = Content.assemble(
                ("No runs synced yet. ", "bold"),
                "Press s to sync from MLflow (tracking_uri in [tool.mlboard] or "
                "MLFLOW_TRACKING_URI).",
            )
        else:
            more = "+" if self.has_more and self.filter.active else ""
            parts: list[str | tuple[str, str]] = [
                (f"{len(self.shown):,}{more}", "bold"),
                f" of {plural(self.total, 'run')}",
                " match the filter" if self.filter.active else "",
            ]
            if self.has_more:
                parts += [
                    ("  ·  ", muted),
                    f"newest {len(self.loaded):,} loaded (End or + loads more)",
                ]
            column = self._sort_column()
            order = "newest first" if column is None else f"by {column.label}"
            if column is not None:
                order += " ↓" if self.sort and self.sort[1] else " ↑"
            parts += [("  ·  ", muted), order]
            if selected:
                parts += [
                    ("  ·  ", muted),
                    (f"{selected} selected", "bold $accent"),
                    (" (C compares, Esc clears)", muted),
                ]
            text = Content.assemble(*parts)
        self.query_one("#runs-summary", Static).update(text)

    def action_more(self) -> None:
        self.load_more()

    @on(RunTable.NearEnd)
    def reached_end(self, message: RunTable.NearEnd) -> None:
        if message.rows == self.table.row_count:
            self.load_more()

    def load_more(self, rows: int = PAGE) -> None:
        """The next `rows` runs: appended in place when the order allows, else redrawn."""
        if not self.has_more:
            return
        before = len(self.loaded)
        query = self.filter
        self.limit += rows
        runs = list_runs(
            self.workspace,
            experiment=query.experiment,
            status=query.status,
            unlinked=query.unlinked,
            limit=self.limit + 1,
        )
        self.has_more = len(runs) > self.limit
        fresh = runs[before : self.limit]
        unchanged = [r.run_id for r in runs[:before]] == [r.run_id for r in self.loaded]
        self.loaded = runs[: self.limit]
        if unchanged and self.sort is None:
            added = [run for run in fresh if query.matches(run)]
            self.table.append_runs(added)
            self.shown += added
            self.show_summary()
        else:
            self.redraw()

    # Filtering

    def action_filter(self) -> None:
        self.query_one("#run-filter", FilterInput).open()

    @on(FilterInput.Parsed)
    def filter_changed(self, event: FilterInput.Parsed) -> None:
        self.filter = event.value
        self.limit = PAGE
        self.load()

    @on(FilterInput.Left)
    def filter_left(self) -> None:
        self.table.focus()

    def key_escape(self) -> None:
        """Clears the filter when it is open, else the selection."""
        if not self.query_one("#run-filter", FilterInput).close() and self.table.selected:
            self.table.clear_selection()
            self.show_summary()

    # Selecting and comparing

    def action_select_run(self) -> None:
        """Select the run under the cursor, or leave it out again; the cursor moves on."""
        if not self.table.toggle_highlighted():
            message = f"At most {MAX_COMPARED} runs can be compared at once."
            self.notify(message, severity="warning", markup=False)
        self.show_summary()

    def action_compare(self) -> None:
        if len(self.table.selected) > 1:
            self.post_message(OpenCompare(run_ids=tuple(self.table.selected)))
        else:
            self.notify("Select at least two runs to compare (space selects one).", markup=False)

    # Sorting

    def action_sort(self) -> None:
        keys = [column.key for column in self.table.run_columns]
        current = keys.index(self.sort[0]) if self.sort and self.sort[0] in keys else -1
        following = keys[current + 1] if current + 1 < len(keys) else None
        self.sort = None if following is None else (following, following == "start")
        self.redraw()

    def action_reverse(self) -> None:
        self.sort = ("start", False) if self.sort is None else (self.sort[0], not self.sort[1])
        self.redraw()

    @on(DataTable.HeaderSelected)
    def header_clicked(self, event: DataTable.HeaderSelected) -> None:
        key = event.column_key.value or ""
        same = self.sort is not None and self.sort[0] == key
        self.sort = (key, not self.sort[1]) if same and self.sort else (key, key == "start")
        self.redraw()

    # Links

    def highlighted_run(self) -> RunView | None:
        run_id = self.table.highlighted_key
        return next((run for run in self.shown if run.run_id == run_id), None)

    def _story_choices(self, keys: Sequence[str] | None = None) -> list[tuple[str, str]]:
        stories = list_stories(self.workspace)
        return [(s.key, s.title) for s in stories if keys is None or s.key in keys]

    def action_link(self) -> None:
        run = self.highlighted_run()
        if run is None:
            return
        heading = Content.assemble("Link run ", (one_line(run.label), "bold"), " to a story")
        self.app.push_screen(
            StoryPickerScreen(heading, self._story_choices()),
            lambda key: self._change_link(run, key, link=True) if key else None,
        )

    def action_unlink(self) -> None:
        run = self.highlighted_run()
        if run is None:
            return
        if not run.stories:
            self.notify(f"Run {one_line(run.label)} is not linked to a story.", markup=False)
        elif len(run.stories) == 1:
            self._change_link(run, run.stories[0], link=False)
        else:
            heading = Content.assemble("Unlink run ", (one_line(run.label), "bold"), " from")
            self.app.push_screen(
                StoryPickerScreen(heading, self._story_choices(run.stories)),
                lambda key: self._change_link(run, key, link=False) if key else None,
            )

    @work(thread=True, group="link", exit_on_error=False)
    def _change_link(self, run: RunView, key: str, *, link: bool) -> None:
        """Thread worker: link or unlink (and write the MLflow tag, per the settings)."""
        change = link_run if link else unlink_run
        try:
            result = change(self.workspace, key, run.run_id)
        except UserError as error:  # refused by the board: nothing was changed
            self.post_message(LinkChanged("", error.message))
            return
        label = one_line(run.label)
        verb = f"Linked run {label} to" if link else f"Unlinked run {label} from"
        self.post_message(LinkChanged(f"{verb} {key.upper()}", tag_warning=result.tag_warning))

    @on(LinkChanged)
    def link_changed(self, message: LinkChanged) -> None:
        if message.error is not None:
            self.notify(message.error, title="Link failed", severity="error", markup=False)
            return
        self.notify(message.text, markup=False)
        if message.tag_warning is not None:
            self.notify(
                f"{message.tag_warning}; the next sync tries again",
                title="MLflow tag not written",
                severity="warning",
                markup=False,
            )
        self.host.data_changed()

    @on(DataTable.RowSelected)
    def open_run(self) -> None:
        """Enter opens the run view."""
        run = self.highlighted_run()
        if run is not None:
            self.post_message(OpenRun(run.run_id))

    def action_open_story(self) -> None:
        """The run's story; for a run without one, the link dialog."""
        run = self.highlighted_run()
        if run is not None and run.stories:
            self.post_message(OpenStory(run.stories[0]))
        elif run is not None:
            self.action_link()
