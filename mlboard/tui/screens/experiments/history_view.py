"""Views that chart metric histories and fetch what the cache lacks: the run and compare views.

The sync fetches only the histories checks need; these views chart any metric, so they fetch
the rest on demand. That calls MLflow once per run and metric, and a tracking server may be
slow or gone, so it runs in a thread worker that reports through messages only: the view
shows the progress on a line of its own meanwhile, stays usable, and says on that line when
the server could not be read (what is cached is still shown). The chart itself (plotext) is
imported and mounted the first time there is a history to draw.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import on, work
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from mlboard.services.experiments.metric_history import StoreFactory, fetch_run_histories
from mlboard.services.workspace import Workspace
from mlboard.tui.screens.screen_base import ScreenBase
from mlboard.tui.text import one_line
from mlboard.wording import plural

if TYPE_CHECKING:
    from mlboard.tui.widgets.metric_chart import MetricChart


@dataclass
class HistoryProgress(Message):
    """`done` of `total` histories fetched so far."""

    done: int
    total: int
    request: int


@dataclass
class HistoriesFetched(Message):
    """The fetch ended: how many were cached, and why it stopped early (None: it did not)."""

    fetched: int
    error: str | None
    request: int


def progress_line(done: int, total: int) -> Content:
    return Content.assemble(
        ("⟳ ", "bold $accent"),
        f"Fetching {plural(total, 'metric history')} from MLflow… ",
        (f"{done}/{total}", "bold"),
    )


def error_line(error: str) -> Content:
    """The tracking store could not be read: say why, and that the view shows the cache."""
    return Content.assemble(
        ("⚠ ", "bold $error"),
        (one_line(error), "$error"),
        ("  ·  showing what is cached", "$text-muted"),
    )


class HistoryView(ScreenBase):
    """What the two views share: the fetch worker, its progress line (`#…-progress`), the
    chart, and reading again when shown after a change made elsewhere.

    Subclasses say what the histories they asked for change (`histories_arrived`) and how to
    read their data again (`refresh_data`). `store_factory` opens a tracking store (None:
    MLflow's client, as everywhere else).
    """

    def __init__(self, prefix: str, store_factory: StoreFactory | None = None) -> None:
        super().__init__()
        self.prefix = prefix  # of the widget ids: `run` in #run-progress, #run-chart…
        self.store_factory = store_factory
        self.fetching = False
        self.fetch_error: str | None = None
        self._request = 0

    def fetch(self, run_ids: Sequence[str], keys: Iterable[str] | None, total: int = 0) -> None:
        """Fetch what the cache lacks of these histories in a worker; `total`, when known,
        shows the progress line at once."""
        self._request += 1
        self.fetching, self.fetch_error = True, None
        if total:
            self.show_progress(progress_line(0, total))
        self._fetch(self.workspace, list(run_ids), keys, self._request)

    def forget_fetch(self) -> None:
        """The view shows something else now: the answer of a fetch under way is dropped."""
        self._request += 1
        self.fetching, self.fetch_error = False, None
        self.show_progress(None)

    @work(thread=True, exclusive=True, group="histories", exit_on_error=False)
    def _fetch(
        self, workspace: Workspace, run_ids: list[str], keys: Iterable[str] | None, request: int
    ) -> None:
        """Thread worker: MLflow and the cache only; answers with messages."""
        post = self.post_message
        chosen = {} if self.store_factory is None else {"store_factory": self.store_factory}
        outcome = fetch_run_histories(
            workspace,
            run_ids,
            keys,
            progress=lambda done, total: post(HistoryProgress(done, total, request)),
            **chosen,
        )
        post(HistoriesFetched(outcome.fetched, outcome.error, request))

    @on(HistoryProgress)
    def _progress(self, message: HistoryProgress) -> None:
        if message.request == self._request:
            self.show_progress(progress_line(message.done, message.total))

    @on(HistoriesFetched)
    def _fetched(self, message: HistoriesFetched) -> None:
        if message.request != self._request:
            return
        self.fetching, self.fetch_error = False, message.error
        self.show_progress(error_line(message.error) if message.error else None)
        self.histories_arrived(message.fetched)

    def histories_arrived(self, fetched: int) -> None:
        """The fetch ended (`fetch_error` says why early): show what it brought."""
        raise NotImplementedError

    def show_progress(self, line: Content | None) -> None:
        progress = self.query_one(f"#{self.prefix}-progress", Static)
        progress.display = line is not None
        progress.update(line or "")

    def note(self, text: Content | None) -> None:
        """A line about the chart (`#…-chart-note`): what it lacks, or why there is none."""
        shown = self.query_one(f"#{self.prefix}-chart-note", Static)
        shown.display = text is not None
        shown.update(text or "")

    def hide_chart(self, note: Content) -> None:
        self.query_one(f"#{self.prefix}-chart", Vertical).display = False
        self.note(note)

    def chart(self) -> MetricChart:
        """The chart (in `#…-chart`), mounted the first time, and shown."""
        from mlboard.tui.widgets.metric_chart import MetricChart

        box = self.query_one(f"#{self.prefix}-chart", Vertical)
        box.display = True
        if not box.children:
            box.mount(MetricChart(id=f"{self.prefix}-history-chart"))
        return box.query_one(MetricChart)

    def refresh_data(self) -> None:
        """A sync or a link changed the mirror: read again (the app calls it too)."""
        raise NotImplementedError

    def action_close(self) -> None:
        self.dismiss()
