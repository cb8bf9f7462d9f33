"""One way for a screen to load and reload, and the messages its background reads answer with.

Every main screen shows data that others change while it is open: a sync, a move on another
screen, another terminal. The app counts those changes (`Host.data_version`) and calls
`refresh_data` on the screens in view; a screen out of view compares what it read with the count
when it is shown again. `ScreenBase` owns that protocol, so a screen says only how to read
(`refresh_data`, calling `mark_read` when it reads) and how to show what it read.

A read done in a thread worker answers with `Loaded` or `LoadFailed`; `request` tells the
answer of the latest read from one a newer read replaced (a thread cannot be stopped, so the
old answer still arrives and is dropped).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

from textual.message import Message
from textual.screen import Screen

from mlboard.tui.host import Host, host

if TYPE_CHECKING:  # the board's first paint reads without the database layer
    from mlboard.services.workspace import Workspace

T = TypeVar("T")


@dataclass
class Loaded(Message, Generic[T]):
    """What a screen's background read found."""

    data: T
    request: int


@dataclass
class LoadFailed(Message):
    """Why a screen's background read found nothing (one line, for the screen to show)."""

    text: str
    request: int


class ScreenBase(Screen[None]):
    """A main screen: typed access to the app, and reading again when the data changed."""

    def __init__(self) -> None:
        super().__init__()
        self.data_seen = -1  # the app's data_version when this screen last read

    @property
    def host(self) -> Host:
        return host(self)

    @property
    def workspace(self) -> Workspace:
        return self.host.workspace

    def mark_read(self) -> None:
        """Called by a read: what the screen shows is as new as the data now."""
        self.data_seen = self.host.data_version

    def changed_here(self) -> None:
        """This screen wrote to the database and shows the result itself: the other screens
        read again when shown, and the app's change poll does not reload this one for it."""
        self.host.catch_up()
        self.mark_read()

    def refresh_data(self) -> None:
        """Read again (the data changed elsewhere, `r`, or shown again after a change)."""
        raise NotImplementedError

    def action_reload(self) -> None:
        self.refresh_data()

    def on_screen_resume(self) -> None:
        """Shown again: read again only if something changed while out of sight."""
        if self.is_mounted and self.data_seen != self.host.data_version:
            self.refresh_data()
