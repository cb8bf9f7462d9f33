"""What every command shares: the `--db` flag, the settings, and the workspace opened once.

`tracking_uris` holds a command's `--tracking-uri` flags, set before the settings are first read:
a flag overrides the config file's `tracking_uri`, which then needs no trust.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from mlboard.config import Settings
    from mlboard.services.sqlite_reads import FileReads
    from mlboard.services.workspace import Workspace

T = TypeVar("T")


@dataclass
class CliState:
    """`clock` is the workspace's clock (None: the real time). A program that runs the commands
    in-process passes its own in `obj=CliState(clock=...)`, as Workspace takes one."""

    db: str | None = None
    tracking_uris: tuple[str, ...] = ()
    clock: Callable[[], datetime] | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _workspace: Workspace | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            from mlboard.config import load_settings

            self._settings = load_settings(self.db, tracking_uris=self.tracking_uris)
        return self._settings

    def workspace(self, *, create_folder: bool = False) -> Workspace:
        """Open the database on first use (so `--help` never touches it); `create_folder`
        makes a SQLite file's missing folder (`mlboard init`)."""
        if self._workspace is None:
            from mlboard.services.workspace import open_workspace, utc_now

            self._workspace = open_workspace(
                self.settings(), clock=self.clock or utc_now, create_folder=create_folder
            )
        return self._workspace

    def read_quickly(self, read: Callable[[FileReads], T]) -> T | None:
        """`read` on the database file with sqlite3 alone, when its schema is current (listings
        then skip importing SQLAlchemy); None when the workspace must be opened instead."""
        from mlboard.services.sqlite_reads import read_file

        return read_file(self.settings().database, read)
