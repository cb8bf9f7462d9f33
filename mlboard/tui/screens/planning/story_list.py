"""The Planning screen's two lists, the backlog and the sprint: one story per line, in rank order.

An OptionList draws only the lines in view, so a backlog of thousands of stories stays quick;
`show` replaces the stories and keeps the rendered lines of the ones that did not change.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from mlboard.services.stories.records import StoryView
from mlboard.tui.keys import bind
from mlboard.tui.screens.planning.rows import story_row
from mlboard.wording import plural


def rank_order(story: StoryView) -> tuple[float, int]:
    """The rank order `list_stories` returns: rank, then the key's number."""
    number = story.key.rsplit("-", 1)[-1]
    return story.rank, int(number) if number.isdigit() else 0


class StoryList(OptionList):
    """Stories one per line; `show` replaces them, reusing the rendered lines of unchanged ones."""

    BINDINGS = [
        bind("card_down", "cursor_down", "Down", show=False),
        bind("card_up", "cursor_up", "Up", show=False),
    ]

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id, markup=False)
        self.stories: list[StoryView] = []
        self._rows: dict[StoryView, Option] = {}

    @property
    def story(self) -> StoryView | None:
        index = self.highlighted
        return self.stories[index] if index is not None and index < len(self.stories) else None

    def show(self, stories: list[StoryView], select: str | None = None) -> None:
        """Replace the stories; highlight `select`, else the same story, else the same place."""
        current = self.story
        index = self.highlighted
        rows = {
            story: self._rows.get(story) or Option(story_row(story), id=story.key)
            for story in stories
        }
        self._rows = rows
        self.stories = stories
        self.set_options(rows[story] for story in stories)
        keys = [story.key for story in stories]
        wanted = select or (current.key if current else None)
        if wanted in keys:
            self.highlighted = keys.index(wanted)  # type: ignore[arg-type]
        elif keys:
            self.highlighted = min(index or 0, len(keys) - 1)

    def replace(self, story: StoryView) -> None:
        self.show([story if s.key == story.key else s for s in self.stories], select=story.key)

    def title(self, name: Content | str) -> None:
        points = sum(story.points or 0 for story in self.stories)
        count = len(self.stories)
        self.border_title = Content.assemble(
            name if isinstance(name, Content) else (name, "bold"),
            f" · {plural(count, 'story')} · {points:g} pts",
        )
