"""The demo workspace: a folder with a database built from the sample team.

Built into a temporary file and renamed into place only when complete, so an interrupted build
leaves nothing half-written, and a second run finds the finished workspace and reuses it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from mlboard.config import Settings
from mlboard.services.sample_team import load_sample_team, read_sample_team
from mlboard.services.workspace import Workspace, open_workspace

DATABASE_NAME = "mlboard.db"


@dataclass(frozen=True)
class DemoWorkspace:
    folder: Path
    database: Path
    created: bool


def sample_data_folder() -> Path:
    """The sample team shipped inside the package, or beside it in a source checkout."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "sample_data", here.parent / "sample_data"):
        if (candidate / "team.toml").is_file():
            return candidate
    raise FileNotFoundError("the sample team (sample_data/) is missing from this installation")


def ensure_demo(folder: Path, settings: Settings, today: date) -> DemoWorkspace:
    """Reuse the demo in `folder`, or build it there."""
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / DATABASE_NAME
    if database.exists():
        return DemoWorkspace(folder, database, created=False)
    partial = folder / f".{DATABASE_NAME}.partial"
    for leftover in folder.glob(f".{DATABASE_NAME}.partial*"):
        leftover.unlink()
    workspace: Workspace = open_workspace(_demo_settings(settings, partial))
    try:
        load_sample_team(workspace, read_sample_team(sample_data_folder()), today)
    finally:
        workspace.close()
    os.replace(partial, database)
    (folder / "mlboard.toml").write_text(
        "# The mlboard demo workspace: run `mlboard` in this folder.\n"
        f'database = "{DATABASE_NAME}"\n',
        encoding="utf-8",
    )
    return DemoWorkspace(folder, database, created=True)


def _demo_settings(settings: Settings, database: Path) -> Settings:
    from dataclasses import replace

    return replace(settings, database=str(database), database_origin="demo")
