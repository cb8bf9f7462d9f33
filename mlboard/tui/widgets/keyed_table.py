"""Tables read in the background and redrawn without losing the user's place.

The Data, Governance and Audit screens read their rows in a thread worker and read them again
whenever the data changes (a sync, a story done, another terminal's write). Two rules make that
bearable, and they live here once: a refill keeps the cursor on the row it was on, found by its
key (a refresh that adds a row above must not move the user's place), and the answer of a read
that a newer read replaced is dropped (thread workers cannot be stopped, so it still arrives).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial
from typing import ClassVar, Generic, TypeVar

from rich.text import Text
from textual import on
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable

from mlboard.services.workspace import Workspace

Column = tuple[str, str, int]  # key, label, width
Row = tuple[str, list[Text]]  # key, cells
T = TypeVar("T")


class KeyedTable(DataTable[Text]):
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

    @property
    def highlighted_key(self) -> str | None:
        if not self.row_count:
            return None
        return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value

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


class DataRead(Message, Generic[T]):
    """What a screen's worker read; `request` tells a stale answer from a fresh one."""

    def __init__(self, data: T, request: int) -> None:
        super().__init__()
        self.data = data
        self.request = request


class ReloadingScreen(Screen[None], Generic[T]):
    """A screen read in a thread worker on mount, on `r`, when the app says its data changed,
    and when shown again after changes made behind its back.

    Subclasses say what to read (`read`, in the worker: the database only, never a widget) and
    how to draw it (`show`, on the app's thread). `READ_GROUP` names the worker: the app titles
    an error with it ("Audit failed").
    """

    READ_GROUP: ClassVar[str]

    def __init__(self) -> None:
        super().__init__()
        self.data_seen = -1
        self._request = 0

    @property
    def workspace(self) -> Workspace:
        return self.app.workspace  # type: ignore[attr-defined]

    def read(self) -> T:
        """Runs in the worker thread: query the database, touch no widget."""
        raise NotImplementedError

    def show(self, data: T) -> None:
        """Runs on the app's thread with the latest read's answer: redraw."""
        raise NotImplementedError

    def on_mount(self) -> None:
        """Runs after the subclass's own `on_mount` (Textual calls each class's handler)."""
        self.reload()

    def reload(self) -> None:
        self.data_seen = getattr(self.app, "data_version", 0)
        self._request += 1
        self.run_worker(
            partial(self._read, self._request),
            group=self.READ_GROUP,
            exclusive=True,
            thread=True,
            exit_on_error=False,
        )

    def _read(self, request: int) -> None:
        self.post_message(DataRead(self.read(), request))

    @on(DataRead)
    def _data_read(self, message: DataRead[T]) -> None:
        if message.request == self._request:
            self.show(message.data)

    def refresh_data(self) -> None:
        """Something changed elsewhere (a sync, a story done): read again."""
        self.reload()

    def on_screen_resume(self) -> None:
        if self.is_mounted and self.data_seen != getattr(self.app, "data_version", 0):
            self.reload()

    def action_reload(self) -> None:
        self.reload()
