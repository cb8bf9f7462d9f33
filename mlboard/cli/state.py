"""What every command shares: the `--db` flag, the settings, and the workspace opened once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from mlboard.config import Settings
    from mlboard.services.sqlite_reads import FileReads
    from mlboard.services.workspace import Workspace

T = TypeVar("T")


@dataclass
class CliState:
    db: str | None = None
    _settings: Settings | None = field(default=None, repr=False)
    _workspace: Workspace | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        if self._settings is None:
            from mlboard.config import load_settings

            self._settings = load_settings(self.db)
        return self._settings

    def workspace(self) -> Workspace:
        """Open the database on first use (so `--help` never touches it)."""
        if self._workspace is None:
            from mlboard.services.workspace import open_workspace

            self._workspace = open_workspace(self.settings())
        return self._workspace

    def read_quickly(self, read: Callable[[FileReads], T]) -> T | None:
        """`read` on the database file with sqlite3 alone, when its schema is current (listings
        then skip importing SQLAlchemy); None when the workspace must be opened instead."""
        from mlboard.services.sqlite_reads import read_file

        return read_file(self.settings().database, read)
