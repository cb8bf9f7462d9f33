"""The footer of every screen: Textual's Footer, rebuilt only when its keys really change.

Textual's Footer recomposes all of its keys whenever the screen's bindings are refreshed: on
every focus change and every time a screen is shown again. Building a score of key widgets and
styling them costs more than repainting the whole screen, so switching between two screens
took twice as long as it needed to. The keys shown are a pure function of the active bindings,
so the footer compares them and keeps its widgets when nothing it shows has changed; and the
footer of a screen in the background is not rebuilt at all.

A screen reports its bindings several times while it settles (mounted, focused, a list
highlighted), each before the rebuild the first one asked for has run. At most one rebuild is
on its way at a time, and it shows the keys of that moment: the footer is rebuilt once, not once
per report — a late second rebuild used to replace the keys after the screen looked settled.
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
        self._rebuilding = False
        self._keys_known = False  # Footer composes no keys before its first `bindings_changed`

    def _keys(self, screen: Screen[object]) -> Hashable:
        """Everything of the active bindings that the footer shows (or hides)."""
        return tuple(
            (binding.key, self.app.get_key_display(binding), binding.description,
             binding.action, binding.group, enabled, tooltip)
            for _, binding, enabled, tooltip in screen.active_bindings.values()
            if binding.show
        )  # fmt: skip

    @property
    def settled(self) -> bool:
        """The keys shown are the screen's keys now, and no rebuild is on its way."""
        return not self._rebuilding and self._shown == self._keys(self.screen)

    async def recompose(self) -> None:
        self._rebuilding = False  # whether or not it can run: the next change schedules anew
        await super().recompose()

    def compose(self) -> ComposeResult:
        self._shown = self._keys(self.screen) if self._keys_known else None
        yield from super().compose()

    def bindings_changed(self, screen: Screen[object]) -> None:
        if not screen.is_current or self._rebuilding:
            return  # a hidden screen's keys are back once shown; a rebuild reads them anew
        if self._shown is not None and self._keys(screen) == self._shown:
            return
        self._keys_known = True
        super().bindings_changed(screen)  # schedules a rebuild while the app has focus
        self._rebuilding = self.app.app_focus
