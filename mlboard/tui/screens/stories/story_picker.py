"""Pick a story by key or by words of its title: the link (and unlink) dialog of a run.

Typing narrows a list of matches below the box (exact key first, then key prefixes, then
titles), and the box itself completes keys inline (`SuggestFromList`, → accepts). Enter picks
the highlighted match, so `ml-12 ⏎` and `churn calib ⏎` both work without the mouse.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from mlboard.tui.keys import bind
from mlboard.tui.widgets.key_footer import KeyFooter

MAX_MATCHES = 50


def rank_matches(choices: Sequence[tuple[str, str]], text: str) -> list[tuple[str, str]]:
    """Stories whose key and title hold every word typed; the key typed exactly comes first."""
    words = text.casefold().split()
    if not words:
        return list(choices[:MAX_MATCHES])
    first = words[0]
    found = [
        (key, title)
        for key, title in choices
        if all(word in f"{key} {title}".casefold() for word in words)
    ]
    found.sort(key=lambda kt: (kt[0].casefold() != first, not kt[0].casefold().startswith(first)))
    return found[:MAX_MATCHES]


class StoryPickerScreen(ModalScreen[str | None]):
    """Dismissed with the chosen story key, or None on Escape."""

    CSS_PATH = "story.tcss"
    BINDINGS = [
        bind("picker_cancel", "cancel", "Cancel"),
        bind("picker_next", "move(1)", "Next match", show=False),
        bind("picker_previous", "move(-1)", "Previous match", show=False),
    ]

    def __init__(self, heading: Content, choices: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.heading = heading
        self.choices = list(choices)

    def compose(self) -> ComposeResult:
        suggestions = [f"{key} {title}" for key, title in self.choices]
        with Vertical(id="story-picker"):
            yield Static(self.heading, id="picker-heading")
            yield Input(
                placeholder="Story key or title words — Enter to choose, Esc to cancel",
                suggester=SuggestFromList(suggestions, case_sensitive=False),
                id="picker-input",
            )
            yield OptionList(id="picker-matches", markup=False)
            yield Static(id="picker-error")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.show_matches("")

    @property
    def matches(self) -> OptionList:
        return self.query_one("#picker-matches", OptionList)

    def show_matches(self, text: str) -> None:
        found = rank_matches(self.choices, text)
        self.matches.set_options(
            Option(Content.assemble((key, "bold"), "  ", title), id=key) for key, title in found
        )
        if found:
            self.matches.highlighted = 0
        self.query_one("#picker-error", Static).update(
            "" if found else Content(f"No story matches {text.strip()!r}.")
        )

    @on(Input.Changed, "#picker-input")
    def _typed(self, event: Input.Changed) -> None:
        self.show_matches(event.value)

    @on(Input.Submitted, "#picker-input")
    def _submitted(self) -> None:
        option = self.matches.highlighted_option
        if option is not None and option.id is not None:
            self.dismiss(option.id)

    @on(OptionList.OptionSelected, "#picker-matches")
    def _clicked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_move(self, offset: int) -> None:
        matches = self.matches
        if matches.option_count:
            current = matches.highlighted or 0
            matches.highlighted = max(0, min(matches.option_count - 1, current + offset))

    def action_cancel(self) -> None:
        self.dismiss(None)
