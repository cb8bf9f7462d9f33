"""One status column of the board: a virtualised list of cards titled with its totals.

An OptionList renders only the lines in view, so a column of hundreds of cards costs the same
to paint as a column of ten (one widget per column, not one per card).
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from mlboard.domain import StoryStatus
from mlboard.services.board import CardFacts
from mlboard.services.stories import StoryView
from mlboard.tui.widgets.card import render_card


class CardList(OptionList):
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="card_down"),
        Binding("k", "cursor_up", "Up", show=False, id="card_up"),
    ]


class BoardColumn(Vertical):
    """Cards of one status; `show` replaces them, keeping the highlight on `select` if given."""

    def __init__(self, status: StoryStatus) -> None:
        super().__init__(id=f"column-{status.value}", classes="board-column")
        self.status = status
        self.stories: list[StoryView] = []

    def compose(self) -> ComposeResult:
        cards = CardList(id=f"cards-{self.status.value}", markup=False)
        cards.border_title = self.status.label
        yield cards

    @property
    def cards(self) -> CardList:
        return self.query_one(CardList)

    @property
    def highlighted_key(self) -> str | None:
        option = self.cards.highlighted_option
        return option.id if option else None

    def show(
        self,
        stories: list[StoryView],
        select: str | None = None,
        evidence: Mapping[str, CardFacts] | None = None,
    ) -> None:
        """Replace the cards; `evidence` (by story key) adds the markers of `CardFacts`."""
        previous = select or self.highlighted_key
        evidence = evidence or {}
        self.stories = stories
        cards = self.cards
        options: list[Option | None] = []
        for story in stories:
            options += [Option(render_card(story, evidence.get(story.key)), id=story.key), None]
        cards.set_options(options[:-1])
        keys = [story.key for story in stories]
        if previous in keys:
            cards.highlighted = cards.get_option_index(previous)  # type: ignore[arg-type]
        elif keys:
            cards.highlighted = 0
        points = sum(story.points or 0 for story in stories)
        cards.border_title = Content.assemble(
            (self.status.label, "bold"), f" {len(stories)} · {points:g} pts"
        )
