"""The `mlboard` executable: which calls take the fast path to the TUI, and on which screen."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from contextlib import closing

import pytest

from mlboard.launcher import BoardArgs, board_args
from mlboard.tui import SCREENS
from mlboard.tui.app import MlboardApp

from processes import child_env


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], BoardArgs()),
        (["--db", "team.db"], BoardArgs("team.db")),
        (["--db=team.db"], BoardArgs("team.db")),
        (["--screen", "standup"], BoardArgs(None, "standup")),
        (["--screen=data", "--db", "team.db"], BoardArgs("team.db", "data")),
        (["--db", "team.db", "--screen", "planning"], BoardArgs("team.db", "planning")),
        (["--db", "team.db", "story", "list"], None),
        (["--db", "a.db", "--db", "b.db"], None),
        (["--screen"], None),
        (["--help"], None),
        (["--db", "--help"], None),
    ],
)
def test_only_a_bare_call_takes_the_fast_path_to_the_board(args, expected):
    assert board_args(args) == expected


def test_every_screen_can_be_opened_by_name():
    assert set(SCREENS) == set(MlboardApp.MODES)


def test_an_unknown_screen_is_one_line_naming_the_choices(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mlboard", "--screen", "kanban", "--db", "x.db"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: --screen: no screen called 'kanban'; choose one of "
        "board, experiments, models, planning, standup, data, governance, audit"
    ]
    assert not (tmp_path / "x.db").exists()


@pytest.mark.parametrize("screen", ["standup", "data"])
async def test_the_app_opens_on_the_screen_asked_for(sample_workspace, screen):
    app = MlboardApp(sample_workspace, screen)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.current_mode == screen
        assert type(app.screen).__name__ == f"{screen.capitalize()}Screen"
        await pilot.press("b")
        assert app.current_mode == "board"


def test_screen_does_not_go_with_a_command(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mlboard", "--screen", "standup", "--db", "x.db", "where"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --screen opens the TUI; it does not go with `where`"


def test_a_database_failure_after_opening_is_one_line_and_exit_1(tmp_path):
    """A table dropped behind mlboard's back: SQLAlchemy's error becomes one `database:` line,
    not a traceback."""
    database = tmp_path / "board.db"

    def mlboard(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mlboard", "--db", str(database), *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=child_env(tmp_path, MLBOARD_USER="tester"),
            check=False,
        )

    assert mlboard("story", "add", "Churn model").returncode == 0
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("DROP TABLE story")
    result = mlboard("story", "list")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["error: database: no such table: story"]
    assert result.stdout == ""


def test_a_database_in_an_unknown_home_folder_is_one_line(tmp_path, monkeypatch, capsys):
    from mlboard.launcher import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", ["mlboard", "--db", "~nosuchuser/board.db", "story", "list"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    assert capsys.readouterr().err == (
        "error: database ~nosuchuser/board.db: no home folder for '~nosuchuser'\n"
    )
