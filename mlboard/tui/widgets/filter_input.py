"""The filter line of the Board and of Experiments: hidden until opened, checked as it is typed.

Each screen has its own filter language (`@ana kind:data` on the board, `exp:churn status:failed`
in Experiments) but the same way of using it: `/` opens the line, every keystroke is parsed, a
line that does not parse is marked and says why in its tooltip (the screen keeps the last good
filter), Enter goes back to the screen's content and Esc clears and hides the line. The widget
owns that behaviour; the screen gives the parser and reacts to `Parsed` and `Left`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.content import Content
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input

from mlboard.tui.text import one_line


class FilterInput(Input):
    DEFAULT_CSS = """
    FilterInput {
        display: none;
        margin: 0 1;
        &.shown {
            display: block;
        }
        &.invalid {
            border: tall $error;
        }
    }
    """

    @dataclass
    class Parsed(Message):
        """The line parses: `value` is what the screen's parser made of it."""

        value: Any

    @dataclass
    class Left(Message):
        """Enter or Esc: the screen takes the focus back (after Esc the line is empty)."""

    def __init__(
        self,
        parse: Callable[[str], Any],
        *,
        placeholder: str,
        suggester: Suggester | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(placeholder=placeholder, suggester=suggester, id=id)
        self._parse = parse

    @property
    def shown(self) -> bool:
        return self.has_class("shown")

    def open(self) -> None:
        self.add_class("shown")
        self.focus()

    def close(self) -> bool:
        """Clear and hide the line; False when it was not open (Esc means something else)."""
        if not self.shown:
            return False
        self.value = ""  # parsed as the empty filter: the screen shows everything again
        self.remove_class("shown")
        self.post_message(self.Left())
        return True

    @on(Input.Changed)
    def _parse_line(self, event: Input.Changed) -> None:
        event.stop()
        try:
            parsed = self._parse(event.value)
        except ValueError as error:
            self.add_class("invalid")
            self.tooltip = Content(one_line(error))  # names in it are not markup
            return
        self.remove_class("invalid")
        self.tooltip = None
        self.post_message(self.Parsed(parsed))

    @on(Input.Submitted)
    def _leave(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Left())
