"""The footer of every screen: Textual's Footer, rebuilt only when its keys really change.

Textual's Footer recomposes all of its keys whenever the screen's bindings are refreshed: on
every focus change and every time a screen is shown again. Building a score of key widgets and
styling them costs more than repainting the whole screen, so switching between two screens
took twice as long as it needed to. The keys shown are a pure function of the active bindings,
so the footer compares them and keeps its widgets when nothing it shows has changed; and the
footer of a screen in the background is not rebuilt at all.
"""

from __future__ import annotations

from collections.abc import Hashable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    def __init__(self) -> None:
        super().__init__()
        self._shown: Hashable = None

    def _keys(self, screen: Screen[object]) -> Hashable:
        """Everything of the active bindings that the footer shows (or hides)."""
        return tuple(
            (binding.key, self.app.get_key_display(binding), binding.description,
             binding.action, binding.group, enabled, tooltip)
            for _, binding, enabled, tooltip in screen.active_bindings.values()
            if binding.show
        )  # fmt: skip

    def compose(self) -> ComposeResult:
        self._shown = self._keys(self.screen) if self._bindings_ready else None
        yield from super().compose()

    def bindings_changed(self, screen: Screen[object]) -> None:
        if not screen.is_current:
            return  # a hidden screen's keys change with the app's mode, and are back once shown
        if self._shown is not None and self._keys(screen) == self._shown:
            return
        super().bindings_changed(screen)
