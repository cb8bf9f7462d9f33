"""The `mlboard` executable: opens the board fast, or hands over to the full CLI.

Opening the board is the command people run most, so a bare `mlboard` (optionally with `--db`
and `--screen`) goes straight to the TUI without loading Typer's help machinery. Every path
shares one error handler: a `UserError` is one line on stderr and its exit code, never a
traceback, and never a control character from the text it quotes.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class BoardArgs:
    """What a bare call asks of the board: its database and the screen to open on."""

    database: str | None = None
    screen: str = "board"


def board_args(args: Sequence[str]) -> BoardArgs | None:
    """The board's arguments if `args` only open the board (`--db`, `--screen`), else None."""
    values: dict[str, str] = {}
    rest = list(args)
    while rest:
        option = rest.pop(0)
        name, equals, value = option.partition("=")
        if name not in ("--db", "--screen") or name in values:
            return None
        if not equals:
            if not rest or rest[0].startswith("-"):
                return None
            value = rest.pop(0)
        values[name] = value
    return BoardArgs(values.get("--db"), values.get("--screen", "board"))


def main() -> None:
    try:
        board = board_args(sys.argv[1:])
        if board is not None:
            gc.disable()  # start-up's objects live on: the board enables it after the first frame
            from mlboard.config import load_settings
            from mlboard.tui import check_screen
            from mlboard.tui.first_read import read_first

            screen = check_screen(board.screen)
            settings = load_settings(board.database)
            first = read_first(settings, screen)  # before Textual: a helper may read meanwhile
            from mlboard.tui.app import run_board

            run_board(settings, screen, first)
        else:
            from mlboard.cli import main as run_command

            run_command()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:
        sys.exit(report(error))


def report(error: Exception) -> int:
    """Print a known failure as one line and return its exit code; re-raise anything else."""
    from mlboard.errors import UserError

    if isinstance(error, UserError):
        message, code = error.message, error.exit_code
    elif type(error).__module__.startswith("sqlalchemy"):
        message, code = f"database: {getattr(error, 'orig', None) or error}", 1
    else:
        raise error
    from rich.console import Console

    from mlboard.text_safety import terminal_safe

    # Messages quote what was typed or stored (names, file contents): shown, never obeyed.
    line = terminal_safe(f"error: {message}")
    Console(stderr=True, highlight=False).print(line, markup=False, soft_wrap=True)
    return code
