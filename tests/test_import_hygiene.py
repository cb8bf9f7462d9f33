"""Start-up never pays for heavy libraries. (The layers' promises are import-linter contracts:
tests/test_architecture.py.)"""

from __future__ import annotations

import subprocess
import sys

import pytest

from processes import script_answer


@pytest.mark.parametrize("module", ["mlboard.launcher", "mlboard.cli", "mlboard.tui.app"])
def test_start_up_paths_do_not_import_heavy_libraries(module):
    """Nor the screens that open only on a key: the board's first paint does not wait for them."""
    script = (
        f"import sys, {module}; "
        "print(' '.join(m for m in ('mlflow', 'pandas', 'scipy', 'textual_plotext', "
        "'mlboard.tui.screens.stories.story_form', 'mlboard.tui.screens.stories.story_detail') "
        "if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_help_does_not_open_a_database_or_import_sqlalchemy(tmp_path):
    script = (
        "import sys; sys.argv = ['mlboard', '--help']\n"
        "from mlboard.launcher import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print('LOADED', ' '.join(m for m in ('sqlalchemy', 'sqlmodel', 'textual', 'mlflow', "
        "'pandas', 'pydantic') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert result.stdout.strip().endswith("LOADED")
    assert list(tmp_path.iterdir()) == []


def test_checking_a_keymap_in_the_config_does_not_import_textual(tmp_path):
    """Every command reads the config, and so checks its binding ids: without the TUI."""
    (tmp_path / "mlboard.toml").write_text('[keymap]\nmove_next = "ctrl+right"\n')
    script = (
        "import sys\n"
        "from mlboard.config import load_settings\n"
        "print(dict(load_settings('x.db').keymap), 'textual' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert result.stdout.strip() == "{'move_next': 'ctrl+right'} False"


DATABASE_LAYER = ("sqlalchemy", "sqlmodel", "pydantic", "alembic")


def test_the_board_app_and_its_light_read_do_not_import_the_database_layer():
    script = (
        "import sys, mlboard.launcher, mlboard.tui.app, mlboard.services.sqlite_reads; "
        f"print(' '.join(m for m in {DATABASE_LAYER!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


FIRST_FRAME = """
import json, sys
from mlboard.config import load_settings
from mlboard.tui.app import board_app
from mlboard.tui.screens.board.screen import BoardScreen

app = board_app(load_settings(sys.argv[1]))
seen = {}

def first_frame():
    screen = app.screen
    seen["cards"] = sum(column.cards.option_count for column in screen.columns)
    seen["stories"] = len(screen.board.stories)
    seen["loaded"] = [name for name in sys.argv[2:] if name in sys.modules]

app.after_first_frame(first_frame)  # before the board's own: it runs first

async def auto_pilot(pilot):
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    seen["loaded_later"] = [name for name in sys.argv[2:] if name in sys.modules]
    app.exit()

app.run(headless=True, size=(160, 50), auto_pilot=auto_pilot)
app.close_workspace()
print(json.dumps(seen))
"""


def test_the_board_paints_its_cards_before_loading_the_database_layer(sample_workspace, tmp_path):
    """`mlboard` on a current SQLite file: the first frame holds every card of the active
    sprint, and SQLAlchemy, SQLModel and pydantic load only after it (for the card facts)."""
    database = sample_workspace.settings.database
    seen = script_answer(FIRST_FRAME, database, *DATABASE_LAYER, cwd=tmp_path)
    assert seen["cards"] == seen["stories"] > 0
    assert seen["loaded"] == []
    assert "sqlalchemy" in seen["loaded_later"]  # the card facts opened the database after it


LISTING = """
import contextlib, io, json, sys
sys.argv = ["mlboard", "--db", sys.argv[1], *sys.argv[2:]]
from mlboard.launcher import main
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main()
    except SystemExit as exit:
        assert not exit.code, exit.code
print(json.dumps({
    "commands": sorted(name for name in sys.modules if name.startswith("mlboard.cli.")),
    "database_layer": [name for name in ("sqlalchemy", "sqlmodel") if name in sys.modules],
}))
"""


@pytest.mark.parametrize("command", [["sprint", "list"], ["story", "list", "--format", "json"]])
def test_a_listing_loads_its_own_command_and_no_database_layer(sample_workspace, command, tmp_path):
    """On a current SQLite file a listing is read with sqlite3, and only its command is built."""
    seen = script_answer(LISTING, sample_workspace.settings.database, *command, cwd=tmp_path)
    assert set(seen["commands"]) <= {
        "mlboard.cli.output",
        "mlboard.cli.state",
        "mlboard.cli.sprints",
        "mlboard.cli.planning",  # `sprint report` is part of the sprint group
        "mlboard.cli.stories",
        "mlboard.cli.runs",  # `story link` and `story unlink`
        "mlboard.cli.run_reports",  # `story compare`
        "mlboard.cli.governance",  # `story check` and `story gates`
    }
    assert seen["database_layer"] == []


FIRST_STANDUP = """
import gc, json, sys
gc.disable()
from mlboard.config import load_settings
from mlboard.tui.first_read import read_first
from mlboard.tui.screens.standup.screen import StandupScreen

settings = load_settings(sys.argv[1])
first = read_first(settings, "standup")  # as the executable: before Textual is imported
from mlboard.tui.app import board_app

seen = {}
redraw = StandupScreen.redraw

def drawn_with_the_digest(screen):
    seen.setdefault("loaded", [name for name in sys.argv[2:] if name in sys.modules])
    return redraw(screen)

StandupScreen.redraw = drawn_with_the_digest
app = board_app(settings, "standup", first)

async def auto_pilot(pilot):
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    seen["people"] = len(app.screen.standup.data["people"])
    app.exit()

app.run(headless=True, size=(160, 50), auto_pilot=auto_pilot)
app.close_workspace()
print(json.dumps(seen))
"""


def test_the_standup_is_shown_before_the_app_loads_the_database_layer(sample_workspace, tmp_path):
    """`mlboard --screen standup`: a helper process reads the digest while the app starts, and
    the app shows it without importing SQLAlchemy, SQLModel or pydantic itself."""
    database = sample_workspace.settings.database
    seen = script_answer(FIRST_STANDUP, database, *DATABASE_LAYER, cwd=tmp_path)
    assert seen["people"] > 0
    assert seen["loaded"] == []


def test_only_a_config_file_to_check_imports_pydantic(tmp_path):
    """Pydantic and the file's model cost about 0.1 s: a folder without a config file (and
    `import mlboard.config` alone) never pays for them; one with a file does, to check it."""
    script = (
        "import sys\n"
        "from mlboard.config import load_settings\n"
        "print('pydantic' in sys.modules, end=' ')\n"
        "load_settings('x.db')\n"
        "print('pydantic' in sys.modules)"
    )

    def pydantic_loaded(folder):
        return subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=folder
        ).stdout.strip()

    (tmp_path / "plain").mkdir()
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / "mlboard.toml").write_text('key_prefix = "DS"\n')
    assert pydantic_loaded(tmp_path / "plain") == "False False"
    assert pydantic_loaded(tmp_path / "team") == "False True"
