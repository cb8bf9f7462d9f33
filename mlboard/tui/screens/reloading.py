"""Screens read in the background, again whenever their data changes.

The Data, Governance and Audit screens read their rows in a thread worker and read them again
whenever the data changes (a sync, a story done, another terminal's write). The answer of a
read that a newer read replaced is dropped: thread workers cannot be stopped, so it still
arrives.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar, Generic, TypeVar

from textual import on
from textual.message import Message
from textual.screen import Screen

from mlboard.services.workspace import Workspace

T = TypeVar("T")


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
