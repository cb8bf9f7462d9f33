"""A table refilled without losing the user's place.

The Data, Governance and Audit screens refill their tables whenever the data changes (a sync,
a story done, another terminal's write; see `ReloadingScreen`). A refill keeps the cursor on
the row it was on, found by its key: a refresh that adds a row above must not move the user's
place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.text import Text

from mlboard.tui.widgets.steady_table import SteadyTable

Column = tuple[str, str, int]  # key, label, width
Row = tuple[str, list[Text]]  # key, cells


class KeyedTable(SteadyTable):
    """A row-cursor table whose rows have keys; its cells keep their own colours under the
    cursor (a failed run stays red when highlighted)."""

    def __init__(self, columns: Sequence[Column], *, id: str) -> None:
        super().__init__(
            id=id, cursor_type="row", zebra_stripes=True, cursor_foreground_priority="renderable"
        )
        self.column_specs = columns

    def on_mount(self) -> None:
        """Columns are added once mounted: measuring a label needs the running app."""
        for key, label, width in self.column_specs:
            self.add_column(Text(label), width=width, key=key)

    def highlight(self, key: str) -> bool:
        """Move the cursor to the row with this key; False when no row has it."""
        if key not in self.rows:
            return False
        self.move_cursor(row=self.get_row_index(key), animate=False)
        return True

    def show_rows(self, rows: Iterable[Row]) -> None:
        """Replace every row, keeping the cursor on the same key, or at the same position when
        that row is gone (the next one moves up into it)."""
        keep, index = self.highlighted_key, self.cursor_row
        self.clear()
        for key, cells in rows:
            self.add_row(*cells, key=key)
        if self.row_count and not (keep is not None and self.highlight(keep)):
            self.move_cursor(row=min(index, self.row_count - 1), animate=False)
