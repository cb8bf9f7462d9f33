"""The `mlboard` executable: which calls take the fast path to the TUI, and on which screen."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest
from typer.main import get_command

from mlboard.cli import app as full_cli
from mlboard.cli import command_name
from mlboard.config import Settings
from mlboard.launcher import BoardArgs, board_args
from mlboard.store import migrations
from mlboard.tui import SCREENS
from mlboard.tui.app import MlboardApp, board_app

from processes import run_mlboard, script_answer


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
    result = run_mlboard("--screen", "kanban", "--db", "x.db", cwd=tmp_path)
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
    result = run_mlboard("--screen", "standup", "--db", "x.db", "where", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --screen opens the TUI; it does not go with `where`"


def test_an_older_database_is_upgraded_before_the_board_is_drawn(tmp_path):
    from mlboard.store.engine import create_database_engine, database_url

    path = tmp_path / "old.db"
    engine = create_database_engine(database_url(str(path)))
    migrations.upgrade(engine, migrations.known_revisions()[-2])
    engine.dispose()
    app = board_app(Settings(str(path), "test", actor="tester"))
    app.close_workspace()
    with sqlite3.connect(path) as connection:
        version = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    connection.close()
    assert version == (migrations.head_revision(),)


def test_a_newer_database_is_refused_in_one_line(tmp_path):
    from mlboard.store.engine import open_database

    path = tmp_path / "new.db"
    open_database(str(path)).dispose()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.close()
    result = run_mlboard("--db", str(path), cwd=tmp_path)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "written by a newer mlboard (schema 9999" in result.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["sprint", "list"], "sprint"),
        (["--db", "team.db", "story", "move", "ML-1", "done"], "story"),
        (["--db=team.db", "standup"], "standup"),
        (["--db", "story", "story", "list"], "story"),
        (["--help"], None),
        (["--version"], None),
        (["--db", "team.db"], None),
        (["storyy", "list"], None),
        (["--db"], None),
    ],
)
def test_a_command_line_registers_only_the_command_it_runs(args, expected):
    assert command_name(args) == expected


def test_every_command_of_the_full_cli_can_be_registered_alone():
    from mlboard.cli import COMMANDS

    assert {*COMMANDS} == {command.name for command in get_command(full_cli).commands.values()}


def test_a_bad_filter_of_a_listing_is_one_line(tmp_path):
    from mlboard.store.engine import open_database

    open_database(str(tmp_path / "team.db")).dispose()
    result = run_mlboard("--db", "team.db", "story", "list", "--status", "x", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: status: unknown status 'x' (choose from backlog, todo, in_progress, review, done)"
    ]


START_UP = """
import gc, json, sys
gc.disable()  # as the executable does before loading the app
from mlboard.config import load_settings
from mlboard.tui.app import run_board
from mlboard.tui.compat import built_screen

seen = {}

async def auto_pilot(pilot):
    app = pilot.app
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    seen["collecting"] = gc.isenabled()
    seen["frozen"] = gc.get_freeze_count()
    seen["built"] = [mode for mode in ("standup", "experiments", "models", "planning")
                     if built_screen(app, mode) is not None]
    seen["mode"] = app.current_mode
    app.exit()

run_board(load_settings(sys.argv[1]), "board", headless=True, size=(160, 50), auto_pilot=auto_pilot)
print(json.dumps(seen))
"""


def test_start_up_builds_the_daily_screens_and_leaves_the_collector_on(sample_workspace, tmp_path):
    """After start-up the garbage collector runs again, over what came after it; the screens of
    every day's switches are built while the board stays on screen."""
    seen = script_answer(START_UP, sample_workspace.settings.database, cwd=tmp_path)
    assert seen["collecting"] is True and seen["frozen"] > 0
    assert seen["built"] == ["standup", "experiments", "models"]
    assert seen["mode"] == "board"


def test_a_database_failure_after_opening_is_one_line_and_exit_1(tmp_path):
    """A table dropped behind mlboard's back: SQLAlchemy's error becomes one `database:` line,
    not a traceback."""
    database = str(tmp_path / "board.db")
    added = run_mlboard("--db", database, "story", "add", "Churn model", cwd=tmp_path)
    assert added.returncode == 0
    with closing(sqlite3.connect(database)) as connection:
        connection.execute("DROP TABLE story")
    result = run_mlboard("--db", database, "story", "list", cwd=tmp_path)
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
