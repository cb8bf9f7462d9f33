"""What every command shares: the `--db` flag, the settings, and the workspace opened once.

`tracking_uris` holds a command's `--tracking-uri` flags, set before the settings are first read:
a flag overrides the config file's `tracking_uri`, which then needs no trust.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mlboard.config import Settings
    from mlboard.services.workspace import Workspace


@dataclass
class CliState:
    db: str | None = None
    tracking_uris: tuple[str, ...] = ()
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
            from mlboard.services.workspace import open_workspace

            self._workspace = open_workspace(self.settings(), create_folder=create_folder)
        return self._workspace
