"""Start-up never pays for heavy libraries. (The layers' promises are import-linter contracts:
tests/test_architecture.py.)"""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["mlboard.launcher", "mlboard.cli", "mlboard.tui.app"])
def test_start_up_paths_do_not_import_heavy_libraries(module):
    """Nor the screens that open only on a key: the board's first paint does not wait for them."""
    script = (
        f"import sys, {module}; "
        "print(' '.join(m for m in ('mlflow', 'pandas', 'scipy', 'textual_plotext', "
        "'mlboard.tui.screens.story_form', 'mlboard.tui.screens.story_detail') "
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
