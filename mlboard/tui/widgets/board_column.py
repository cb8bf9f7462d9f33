"""One status column of the board: a virtualised list of cards titled with its totals.

An OptionList renders only the lines in view, so a column of hundreds of cards costs the same
to paint as a column of ten (one widget per column, not one per card).
"""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.events import Resize
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from mlboard.domain import StoryStatus
from mlboard.services.stories.board import CardFacts
from mlboard.services.stories.view import StoryView
from mlboard.tui.compat import drop_rendered_options, restyle_keeping_options
from mlboard.tui.keys import bind
from mlboard.tui.widgets.card import render_card


class CardList(OptionList):
    """An OptionList that renders its cards again only when their width changes.

    OptionList drops every rendered option on each Resize event, width changed or not. The
    first one arrives just after the first frame was drawn at that very size, so every card was
    rendered twice before the user saw any (a fifth of a second on a sprint of 150 cards).
    Here the cards are dropped when a frame is about to be drawn at a new width instead.
    """

    DEFAULT_CSS = """
    CardList {
        height: 1fr;
        border: round $panel-lighten-2;
        padding: 0;
        /* the same width with or without a scrollbar: cards are rendered once, not per layout */
        scrollbar-gutter: stable;
        scrollbar-size-vertical: 1;

        &:focus {
            border: round $accent;
            border-title-color: $accent;
        }

        & > .option-list--option {
            padding: 0 1;
        }
    }
    """
    BINDINGS = [
        bind("card_down", "cursor_down", "Down", show=False),
        bind("card_up", "cursor_up", "Up", show=False),
    ]

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id, markup=False)
        self._cards_width: int | None = None
        self._drawn_rules: object = None
        self._drawn_state: tuple[object, ...] = ()

    def notify_style_update(self) -> None:
        """Draw the lines again only if their look may have changed.

        Textual applies the stylesheet to every widget of a screen shown again, and OptionList
        then draws every visible line anew: most of the time of a switch back to the board. The
        lines look as the stylesheet's rules (a new theme or new CSS makes new ones), the list's
        classes and its focus (the highlighted card's colours) say; only a change of those draws
        them again. Cards themselves redraw when they change (`show`) or the width does.
        """
        rules, state = self.app.stylesheet.rules, (self.has_focus, frozenset(self.classes))
        if rules is not self._drawn_rules or state != self._drawn_state:
            self._drawn_rules, self._drawn_state = rules, state
            super().notify_style_update()
            return
        restyle_keeping_options(self)  # the style caches only: no repaint

    def render_lines(self, crop: Region) -> list[Strip]:
        width = self.scrollable_content_region.width
        if width != self._cards_width:
            self._cards_width = width
            drop_rendered_options(self)  # the cards and their line counts hold the old width
        return super().render_lines(crop)

    def on_resize(self, event: Resize) -> None:
        event.prevent_default()  # skips OptionList's handler: `render_lines` does it when needed


class BoardColumn(Vertical):
    """Cards of one status; `show` replaces them, keeping the highlight on `select` if given."""

    DEFAULT_CSS = """
    BoardColumn {
        width: 1fr;
        height: 1fr;
        margin: 0 0 0 1;
    }
    """

    def __init__(self, status: StoryStatus) -> None:
        super().__init__(id=f"column-{status.value}")
        self.status = status
        self.stories: list[StoryView] = []

    def compose(self) -> ComposeResult:
        cards = CardList(id=f"cards-{self.status.value}")
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
