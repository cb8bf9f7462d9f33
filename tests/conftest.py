"""Shared fixtures: a frozen clock, a workspace on a real SQLite file, the sample team."""

from __future__ import annotations

import os
import time

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")  # read when Textual is imported
os.environ["TZ"] = "UTC"  # dates shown "in local time" must not depend on the machine
time.tzset()

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from mlboard.config import Settings
from mlboard.services.workspace import Workspace
from mlboard.store.engine import open_database

FROZEN_NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # a Wednesday


@dataclass
class Clock:
    """A clock tests move by hand: `clock.advance(hours=2)`."""

    current: datetime = field(default=FROZEN_NOW)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database=str(tmp_path / "board.db"), database_origin="test", actor="tester")


@pytest.fixture
def workspace(settings: Settings, clock: Clock):
    ws = Workspace(open_database(settings.database), settings, clock)
    yield ws
    ws.close()


@pytest.fixture
def sample_workspace(workspace: Workspace) -> Workspace:
    """The sample team, with dates shifted so that its `as_of` is the frozen today."""
    from mlboard.services.demo import sample_data_folder
    from mlboard.services.sample_team import load_sample_team, read_sample_team

    load_sample_team(workspace, read_sample_team(sample_data_folder()), FROZEN_TODAY)
    return workspace


FROZEN_TODAY: date = FROZEN_NOW.date()
