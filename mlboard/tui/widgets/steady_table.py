"""The row-cursor table every screen uses: rows found by key, cells kept across screen switches."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from mlboard.tui.compat import restyle_keeping_cells


class SteadyTable(DataTable[Text]):
    """A DataTable that keeps its rendered cells when only focus or hover changed.

    DataTable drops every rendered cell on any style update, and coming back to a screen is one:
    each visible cell was rendered again, a third of a second on a full table. Its cell, row and
    line caches are keyed by the pseudo-classes (focus, hover) and the base style already, so
    only the cursor's look, cached apart, must go. A new theme still drops everything.
    """

    _styled_for: object = None

    def notify_style_update(self) -> None:
        theme = self.app.theme
        if theme != self._styled_for:
            self._styled_for = theme
            super().notify_style_update()
            return
        restyle_keeping_cells(self)
        self.refresh()

    @property
    def highlighted_key(self) -> str | None:
        """The key of the row under the cursor, None in an empty table."""
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
