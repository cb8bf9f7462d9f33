"""The programs mlboard's first paint is compared with, measured in the same run the same way.

- kanban-tui 0.21 (PyPI), a Textual kanban board, on a board of 60 tasks. It is installed into a
  venv of its own outside the repository (`--peer-venv`, default /tmp/mlboard-peers, or
  MLBOARD_PEER_VENV), created on first use and reused. Its configuration and database live in
  a temporary folder: XDG_CONFIG_HOME and XDG_DATA_HOME point there (it creates its folders on
  import) and KANBAN_TUI_CONFIG_FILE / KANBAN_TUI_DATABASE_FILE name its files. The 60 tasks
  are created with its own backend (`KanbanTui(...).backend`), in its three visible columns.
- The floor: a trivial Textual app that paints one line, run by the project's interpreter. No
  Textual program starts faster on this machine; it is the reference when kanban-tui cannot
  be installed.

    python benchmarks/peers.py [--peer-venv DIR]   # prints both first paints once
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from terminal import Paint, first_paint

KANBAN_TUI = "kanban-tui==0.21.*"
DEFAULT_VENV = Path(os.environ.get("MLBOARD_PEER_VENV", "/tmp/mlboard-peers"))
TASKS = 60
CTRL_Q = b"\x11"  # Textual's own quit key: neither peer binds `q`

FILL = """
import sys
from kanban_tui.app import KanbanTui

app = KanbanTui(config_path=sys.argv[1], database_path=sys.argv[2])
app.backend.create_new_board(name="Sixty", icon=":sparkles:")
columns = [column for column in app.backend.get_columns() if column.visible]
for number in range(1, int(sys.argv[3]) + 1):
    column = columns[(number - 1) % len(columns)].column_id
    app.backend.create_new_task(title=f"peer task {number:02d}", description="", column=column)
"""

FLOOR = """
from textual.app import App
from textual.widgets import Static

class Floor(App):
    def compose(self):
        yield Static("floor: painted")

Floor().run()
"""


@dataclass
class Peer:
    """A program to time: its command, what to add to its environment, the text of its data."""

    name: str
    argv: list[str]
    wait_for: re.Pattern[bytes]
    env: dict[str, str] = field(default_factory=dict)
    quit_keys: bytes = CTRL_Q

    def paint(self) -> Paint:
        return first_paint(self.argv, self.wait_for, env=self.env, quit_keys=self.quit_keys)


def floor() -> Peer:
    return Peer(
        "floor: a trivial Textual app", [sys.executable, "-c", FLOOR], re.compile(b"floor: painted")
    )


def ensure_kanban_tui(venv: Path) -> Path:
    """The peer venv's python with kanban-tui installed (created on first use); raises
    RuntimeError saying why it could not be installed."""
    python = venv / "bin" / "python"
    if not python.exists():
        made = subprocess.run(
            [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True
        )
        if made.returncode != 0:
            raise RuntimeError(f"cannot create {venv}: {made.stderr.strip()[-200:]}")
    found = subprocess.run([str(python), "-c", "import kanban_tui"], capture_output=True)
    if found.returncode != 0:
        print(f"installing {KANBAN_TUI} into {venv} (once)", flush=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", KANBAN_TUI]
        installed = subprocess.run(pip, capture_output=True, text=True)
        if installed.returncode != 0:
            raise RuntimeError(
                f"pip install {KANBAN_TUI} failed: {installed.stderr.strip()[-300:]}"
            )
    return python


def kanban_tui(venv: Path, folder: Path, tasks: int = TASKS) -> Peer:
    """kanban-tui on a board of `tasks` tasks kept in `folder` (filled once)."""
    python = ensure_kanban_tui(venv)
    config, database = folder / "config.toml", folder / "kanban.db"
    env = {
        "XDG_CONFIG_HOME": str(folder / "xdg-config"),
        "XDG_DATA_HOME": str(folder / "xdg-data"),
        "KANBAN_TUI_CONFIG_FILE": str(config),
        "KANBAN_TUI_DATABASE_FILE": str(database),
    }
    if not database.exists():
        fill = [str(python), "-c", FILL, str(config), str(database), str(tasks)]
        subprocess.run(fill, check=True, env={**os.environ, **env}, capture_output=True)
    command = str(python.parent / "ktui")
    return Peer(f"kanban-tui, {tasks} tasks", [command], re.compile(rb"peer task \d\d"), env)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer-venv", type=Path, default=DEFAULT_VENV)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlboard-peer-") as folder:
        for peer in (kanban_tui(args.peer_venv, Path(folder)), floor()):
            peer.paint()  # warm-up
            paint = peer.paint()
            print(f"{peer.name}: {paint.seconds:.3f} s to first paint, peak {paint.rss_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
