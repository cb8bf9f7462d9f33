"""The Board: the active sprint as columns by status, with keys to move, open, edit and filter."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Header, OptionList, Static

from mlboard.domain import StoryStatus
from mlboard.errors import UserError
from mlboard.services.planning.sprint_view import SprintView
from mlboard.services.stories.board import (
    BoardData,
    BoardFilter,
    CardFacts,
    card_facts,
    load_board,
    parse_filter,
)
from mlboard.tui.keys import bind
from mlboard.tui.screens.screen_base import Loaded, ScreenBase
from mlboard.tui.widgets.board_column import BoardColumn, CardList
from mlboard.tui.widgets.filter_input import FilterInput
from mlboard.tui.widgets.key_footer import KeyFooter
from mlboard.wording import plural

COLUMNS = tuple(StoryStatus)
NO_FACTS = CardFacts()


def sprint_summary(sprint: SprintView | None, done_points: float, today: date) -> Content:
    if sprint is None:
        return Content.assemble(
            ("No active sprint. ", "bold"),
            "Start one with `mlboard sprint start NAME`, or open the demo with `mlboard demo`.",
        )
    parts: list[str | tuple[str, str]] = [(sprint.name, "bold")]
    if sprint.goal:
        parts += ["  ", (sprint.goal, "italic")]
    if sprint.start and sprint.end:
        left = sprint.days_left(today)
        parts += [("  ·  ", "$text-muted"), f"{sprint.start:%b %d} → {sprint.end:%b %d}"]
        parts += [("  ·  ", "$text-muted"), f"{plural(left, 'day')} left"]
    parts += [
        ("  ·  ", "$text-muted"),
        f"{done_points:g} pts done of {sprint.scope_points:g} in scope",
    ]
    if sprint.committed_points is not None:
        parts.append(f" · {sprint.committed_points:g} committed at the start")
    return Content.assemble(*parts)


class BoardScreen(ScreenBase):
    """Columns of cards; focus moves with arrows (or h/j/k/l), cards move with `[` and `]`."""

    CSS_PATH = ["board.tcss", "../stories/story.tcss"]  # it opens the story dialogs
    BINDINGS = [
        bind("column_left", "focus_column(-1)", "Column ←", show=False),
        bind("column_right", "focus_column(1)", "Column →", show=False),
        bind("move_next", "move(1)", "Move →"),
        bind("move_previous", "move(-1)", "Move ←"),
        bind("new_story", "new_story", "New"),
        bind("edit_story", "edit_story", "Edit"),
        bind("filter", "filter", "Filter"),
        bind("refresh", "reload", "Refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.board = BoardData(None, [])
        self.filter = BoardFilter()
        self.evidence: Mapping[str, CardFacts] = {}
        self._evidence_request = 0
        self._return_to: BoardColumn | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="sprint-summary")
        yield FilterInput(
            parse_filter,
            placeholder="Filter: words, @member, kind:data — Enter to apply, Esc to clear",
            id="filter",
        )
        with Horizontal(id="columns"):
            for status in COLUMNS:
                yield BoardColumn(status)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.reload(board=self.host.take_first_board())
        busiest = next((c for c in self.columns[1:] if c.stories), self.columns[1])
        busiest.cards.focus()

    @property
    def columns(self) -> list[BoardColumn]:
        return list(self.query(BoardColumn))

    def reload(
        self, select: str | None = None, *, evidence: bool = True, board: BoardData | None = None
    ) -> None:
        """Read the board again (or draw `board`, read already) and redraw it, keeping the
        highlighted cards.

        The evidence of every story (best run against target, warnings) is read for the whole
        sprint at once, in a worker: on a team with tens of thousands of runs it takes longer
        than the board itself, so cards show their targets first and their progress when it
        arrives. A move between columns does not change it, so `evidence=False` skips it.
        """
        self.board = board if board is not None else load_board(self.workspace)
        if evidence:
            self.mark_read()
            self._evidence_request += 1
            keys = [s.key for s in self.board.stories]
            request = self._evidence_request
            self.host.after_first_frame(lambda: self._read_evidence(keys, request))
        self.redraw(select)

    def _read_evidence(self, keys: list[str], request: int) -> None:
        """Start the read unless a newer reload asked for one since (a thread cannot be stopped
        once started, so a superseded read is not started at all)."""
        if request == self._evidence_request:
            self._load_evidence(keys, request)

    @work(thread=True, exclusive=True, group="evidence", exit_on_error=False)
    def _load_evidence(self, keys: list[str], request: int) -> None:
        """Thread worker: reads only, and hands the result to `evidence_loaded`."""
        self.post_message(Loaded(card_facts(self.workspace, keys), request))

    @on(Loaded)
    def evidence_loaded(self, message: Loaded[Mapping[str, CardFacts]]) -> None:
        """Redraw only if a card would change: most stories have no runs to show."""
        if message.request != self._evidence_request:
            return
        old, self.evidence = self.evidence, message.data
        if any(
            old.get(key, NO_FACTS).badge() != facts.badge() for key, facts in self.evidence.items()
        ):
            self.redraw()

    def refresh_data(self) -> None:
        """New runs were synced or linked elsewhere: redraw in place, keeping the highlight."""
        self.reload()

    def redraw(self, select: str | None = None) -> None:
        stories = [story for story in self.board.stories if self.filter.matches(story)]
        for column in self.columns:
            column.show([s for s in stories if s.status == column.status], select, self.evidence)
        done = sum(s.points or 0 for s in self.board.stories if s.status == StoryStatus.DONE)
        today = self.host.today()
        summary = sprint_summary(self.board.sprint, done, today)
        if self.filter.active:
            summary += Content.assemble(
                ("  ·  ", "$text-muted"), (f"filtered: {len(stories)} shown", "$warning")
            )
        self.query_one("#sprint-summary", Static).update(summary)

    def _focused_column(self) -> BoardColumn | None:
        focused = self.focused
        if isinstance(focused, CardList) and isinstance(focused.parent, BoardColumn):
            return focused.parent
        return None

    def selected_key(self) -> str | None:
        column = self._focused_column()
        return column.highlighted_key if column else None

    def action_focus_column(self, offset: int) -> None:
        columns = self.columns
        current = self._focused_column()
        index = columns.index(current) if current else 0
        columns[(index + offset) % len(columns)].cards.focus()

    def action_move(self, offset: int) -> None:
        from mlboard.services.stories.records import step_story

        key = self.selected_key()
        if key is None:
            return
        try:
            story = step_story(self.workspace, key, offset)
        except UserError as error:
            self.notify(error.message, severity="warning", markup=False)
            return
        self.changed_here()
        self.reload(select=story.key, evidence=False)
        self.query_one(f"#cards-{story.status}", CardList).focus()

    # The story form and detail are imported when first opened: the first paint does not wait.

    def action_new_story(self) -> None:
        from mlboard.tui.screens.stories.story_form import StoryFormScreen

        sprint = self.board.sprint.name if self.board.sprint else None
        self.app.push_screen(StoryFormScreen(None, sprint=sprint), self._after_edit)

    def action_edit_story(self) -> None:
        from mlboard.tui.screens.stories.story_form import StoryFormScreen

        key = self.selected_key()
        if key is not None:
            self.app.push_screen(StoryFormScreen(key), self._after_edit)

    def _after_edit(self, key: str | None) -> None:
        if key is not None:
            self.changed_here()
            self.reload(select=key)

    @on(OptionList.OptionSelected)
    def open_story(self, event: OptionList.OptionSelected) -> None:
        from mlboard.tui.screens.stories.story_detail import StoryDetailScreen

        if event.option.id is not None:
            self.app.push_screen(StoryDetailScreen(event.option.id), self._after_edit)

    def action_filter(self) -> None:
        self._return_to = self._focused_column()
        self.query_one("#filter", FilterInput).open()

    @on(FilterInput.Parsed)
    def filter_changed(self, event: FilterInput.Parsed) -> None:
        self.filter = event.value
        self.redraw()

    @on(FilterInput.Left)
    def filter_left(self) -> None:
        (self._return_to or self.columns[1]).cards.focus()

    def key_escape(self) -> None:
        self.query_one("#filter", FilterInput).close()
