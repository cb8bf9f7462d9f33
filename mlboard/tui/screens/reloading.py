"""Screens read in a thread worker, again whenever their data changes.

The Data, Governance and Audit screens read their rows in a thread worker on mount, on `r`,
whenever the data changes (a sync, a story done, another terminal's write) and when shown
again after such a change (`ScreenBase`). The answer of a read that a newer read replaced is
dropped: thread workers cannot be stopped, so it still arrives.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar, Generic, TypeVar

from textual import on

from mlboard.tui.screens.screen_base import Loaded, ScreenBase

T = TypeVar("T")


class ReloadingScreen(ScreenBase, Generic[T]):
    """Subclasses say what to read (`read`, in the worker: the database only, never a widget)
    and how to draw it (`show`, on the app's thread). `READ_GROUP` names the worker: the app
    titles an error with it ("Audit failed").
    """

    READ_GROUP: ClassVar[str]

    def __init__(self) -> None:
        super().__init__()
        self._request = 0

    def read(self) -> T:
        """Runs in the worker thread: query the database, touch no widget."""
        raise NotImplementedError

    def show(self, data: T) -> None:
        """Runs on the app's thread with the latest read's answer: redraw."""
        raise NotImplementedError

    def on_mount(self) -> None:
        """Runs after the subclass's own `on_mount` (Textual calls each class's handler)."""
        self.refresh_data()

    def refresh_data(self) -> None:
        self.mark_read()
        self._request += 1
        self.run_worker(
            partial(self._read, self._request),
            group=self.READ_GROUP,
            exclusive=True,
            thread=True,
            exit_on_error=False,
        )

    def _read(self, request: int) -> None:
        self.post_message(Loaded(self.read(), request))

    @on(Loaded)
    def _data_read(self, message: Loaded[T]) -> None:
        if message.request == self._request:
            self.show(message.data)
