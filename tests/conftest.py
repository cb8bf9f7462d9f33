"""Shared fixtures: a frozen clock, a workspace on a real SQLite file, the sample team."""

from __future__ import annotations

import os
import time

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")  # read when Textual is imported
# Dates shown "in local time" must not depend on the machine: UTC, or the zone CI asks for to
# run the date-sensitive modules a second time (MLBOARD_TEST_TZ=Pacific/Auckland).
os.environ["TZ"] = os.environ.get("MLBOARD_TEST_TZ") or "UTC"
time.tzset()

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from mlboard.config import Settings
from mlboard.services.workspace import Workspace
from mlboard.store.engine import open_database

import hypothesis_profiles  # noqa: F401  (loads the Hypothesis profile HYPOTHESIS_PROFILE names)
import read_guard

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


_USER_FOLDERS = ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")


@pytest.fixture(scope="session", autouse=True)
def _no_real_user_config(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Module and session fixtures, too, never touch the real user config or data folders."""
    with pytest.MonkeyPatch.context() as patch:
        base = tmp_path_factory.mktemp("session-user")
        for variable in _USER_FOLDERS:
            patch.setenv(variable, str(base / variable.lower()))
        yield


@pytest.fixture(autouse=True)
def user_config_folder(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Each test has its own user config and data folders (trusted config files, the audit key,
    the audit checkpoints), so no test reads or writes the real ones, and nothing leaks from one
    test to the next. The audit key is the key file's unless a test sets MLBOARD_AUDIT_KEY."""
    base = tmp_path_factory.mktemp("user")
    for variable in _USER_FOLDERS:
        (base / variable.lower()).mkdir()
        monkeypatch.setenv(variable, str(base / variable.lower()))
    monkeypatch.delenv("MLBOARD_AUDIT_KEY", raising=False)
    return base / "xdg_config_home"


@pytest.fixture
def clock() -> Clock:
    return Clock()


read_guard.install()


@pytest.fixture(autouse=True)
def reads_stay_in_the_checkout() -> Iterator[None]:
    """Fail a test that opened or listed a file beside the checkout or in the home folder."""
    read_guard.touched.clear()
    yield
    assert not read_guard.touched, f"read outside the repository: {sorted(set(read_guard.touched))}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Modules of the store suite set `BACKENDS = ("sqlite", "postgresql")` to run on both."""
    backends = getattr(metafunc.module, "BACKENDS", None)
    if backends and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", backends)


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture(scope="session")
def help_pages() -> dict[tuple[str, ...], str]:
    """Every `mlboard` help page, keyed by command path (read once: Typer builds its command
    tree anew for every call)."""
    from cli_runs import read_help_pages

    return read_help_pages()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    from postgres_server import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture
def database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A new, empty database of the backend under test."""
    if backend == "sqlite":
        yield str(tmp_path / "board.db")
        return
    server = request.getfixturevalue("postgres_url")
    if server is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: CI must run the store suite on it")
        pytest.skip("PostgreSQL is not installed here (apt-get install postgresql)")
    from postgres_server import created_database

    with created_database(server) as url:
        yield url


@pytest.fixture
def settings(database: str) -> Settings:
    """The team works in UTC, as the tests' dates are written; CI runs the date-sensitive
    modules on a machine in Auckland too, where anything read in the machine's zone instead of
    the team's shows up."""
    return Settings(database=database, database_origin="test", actor="tester", timezone="UTC")


@pytest.fixture
def workspace(settings: Settings, clock: Clock):
    ws = Workspace(open_database(settings.database), settings, clock)
    yield ws
    ws.close()


@pytest.fixture
def sample_workspace(workspace: Workspace) -> Workspace:
    """The sample team as of the frozen now, in its own calendar: Wednesday 2026-11-25."""
    from mlboard.services.demo import sample_data_folder
    from mlboard.services.sample_team import load_sample_team, read_sample_team

    load_sample_team(workspace, read_sample_team(sample_data_folder()), FROZEN_NOW)
    return workspace


FROZEN_TODAY: date = FROZEN_NOW.date()
