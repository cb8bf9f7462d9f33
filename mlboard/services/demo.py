"""The demo workspace: a folder with a database built from the sample team.

Everything is dated on the clock the build is given: the sample's history is shifted so that
today falls in its active sprint (see `sample_team.sample_shift`) and replayed up to that moment,
the MLflow runs and registrations are placed on the same shifted calendar, and the pipelines,
drift check and alerts happen at that moment.

Built into a temporary file and renamed into place only when complete, so an interrupted build
leaves nothing half-written, and a second run finds the finished workspace and reuses it.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from mlboard.config import Settings
from mlboard.config_trust import TrustState, digest, record_trust, trust_state
from mlboard.services.sample_team import load_sample_team, read_sample_team, team_today
from mlboard.services.workspace import Workspace, open_workspace
from mlboard.store import audit_head
from mlboard.store.engine import database_url

DATABASE_NAME = "mlboard.db"
MLFLOW_NAME = "mlflow.db"
ARTIFACTS_NAME = "mlartifacts"
CONFIG_NAME = "mlboard.toml"


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


def ensure_demo(folder: Path, settings: Settings, now: datetime) -> DemoWorkspace:
    """Reuse the demo in `folder`, or build it there as of `now` (an aware datetime)."""
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / DATABASE_NAME
    if database.exists():
        _trust_config_if_unchanged(folder)
        return DemoWorkspace(folder, database, created=False)
    partial = folder / f".{DATABASE_NAME}.partial"
    tracking = folder / MLFLOW_NAME
    # Whatever an interrupted build left behind belongs to no finished demo.
    for leftover in (*folder.glob(f".{DATABASE_NAME}.partial*"), tracking):
        leftover.unlink(missing_ok=True)
    shutil.rmtree(folder / ARTIFACTS_NAME, ignore_errors=True)
    tracking_uri = f"sqlite:///{tracking}"
    demo_settings = replace(
        settings, database=str(partial), database_origin="demo", tracking_uris=(tracking_uri,)
    )
    workspace: Workspace = open_workspace(demo_settings, clock=lambda: now)
    try:
        load_sample_team(workspace, read_sample_team(sample_data_folder()), now)
        _add_runs(workspace, tracking_uri, folder / ARTIFACTS_NAME, team_today(workspace, now))
        from mlboard.services.demo_data import add_demo_data

        add_demo_data(workspace)
    finally:
        workspace.close()
    os.replace(partial, database)
    audit_head.move(database_url(str(partial)), database_url(str(database)))
    content = _config_text(folder)
    (folder / CONFIG_NAME).write_bytes(content)
    record_trust(folder / CONFIG_NAME, digest(content))
    return DemoWorkspace(folder, database, created=True)


def _config_text(folder: Path) -> bytes:
    """The demo's `mlboard.toml`: its database and its MLflow store, beside it."""
    return (
        "# The mlboard demo workspace: run `mlboard` in this folder.\n"
        f'database = "{DATABASE_NAME}"\n'
        f'tracking_uri = "sqlite:///{folder / MLFLOW_NAME}"\n'
    ).encode()


def _trust_config_if_unchanged(folder: Path) -> None:
    """mlboard wrote this file, so it is trusted as written (also for a demo built before
    trust was recorded); a file someone edited since is left to the user to trust."""
    path = folder / CONFIG_NAME
    content = _config_text(folder)
    try:
        unchanged = path.read_bytes() == content
    except OSError:
        return
    if unchanged and trust_state(path, digest(content)) is not TrustState.TRUSTED:
        record_trust(path, digest(content))


def _add_runs(workspace: Workspace, tracking_uri: str, artifacts: Path, today: date) -> None:
    """Train the demo's models into a real MLflow store, then sync it like any other."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # before numpy loads: 2 cores, no thrash
    from mlboard.integrations.mlflow_sync import quiet_mlflow_logs
    from mlboard.services.demo_runs import build_demo_runs
    from mlboard.services.metric_history import refresh_histories
    from mlboard.services.sync import sync

    quiet_mlflow_logs()
    build_demo_runs(tracking_uri, str(artifacts), today=today)
    sync(workspace, tracking_uri)
    refresh_histories(workspace)
