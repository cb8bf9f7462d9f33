"""The layers keep their promises: the core never sees the UI, start-up never pays for heavy
libraries."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mlboard"
CORE_LAYERS = ("store", "services", "analytics", "integrations")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules_of(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", CORE_LAYERS)
def test_core_layers_never_import_the_ui(layer):
    for path in modules_of(layer):
        leaks = {
            name
            for name in imported_modules(path)
            if name.split(".")[0] == "textual" or name.startswith("mlboard.tui")
        }
        assert not leaks, f"{path.relative_to(PACKAGE)} imports {leaks}"


def test_analytics_never_touches_the_database():
    for path in modules_of("analytics"):
        leaks = {
            name
            for name in imported_modules(path)
            if name.split(".")[0] in {"sqlmodel", "sqlalchemy"}
            or name.startswith(("mlboard.store", "mlboard.services"))
        }
        assert not leaks, f"{path.relative_to(PACKAGE)} imports {leaks}"


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
        "'pandas') if m in sys.modules))"
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
