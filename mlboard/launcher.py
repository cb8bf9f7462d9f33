"""The `mlboard` executable: opens the board fast, or hands over to the full CLI.

Opening the board is the command people run most, so a bare `mlboard` (optionally with `--db`)
goes straight to the TUI without loading Typer's help machinery. Every path shares one error
handler: a `UserError` is one line on stderr and its exit code, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def board_database(args: Sequence[str]) -> tuple[bool, str | None]:
    """Whether `args` only ask to open the board, and the `--db` value they give, if any."""
    match list(args):
        case []:
            return True, None
        case ["--db", value] if not value.startswith("-"):
            return True, value
        case [option] if option.startswith("--db="):
            return True, option.removeprefix("--db=")
        case _:
            return False, None


def main() -> None:
    try:
        bare, database = board_database(sys.argv[1:])
        if bare:
            from mlboard.config import load_settings
            from mlboard.tui.app import run_board

            run_board(load_settings(database))
        else:
            from mlboard.cli import app

            app()
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

    Console(stderr=True, highlight=False).print(f"error: {message}", markup=False, soft_wrap=True)
    return code
