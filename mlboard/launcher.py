"""The `mlboard` executable: opens the board fast, or hands over to the full CLI.

Opening the board is the command people run most, so a bare `mlboard` (optionally with `--db`
and `--screen`) goes straight to the TUI without loading Typer's help machinery. Every path
shares one error handler: a `UserError`, and a command line the argument parser refuses (an
unknown option, a missing argument, a value of the wrong kind), is one line on stderr and its
exit code, never a traceback or a box, and never a control character from the text it quotes.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer


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


def main(argv: Sequence[str] | None = None) -> None:
    """Run `mlboard` with `argv` (default: the command line's) and exit with its code."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        board = board_args(args)
        if board is not None:
            gc.disable()  # start-up's objects live on: the board enables it after the first frame
            from mlboard.config import load_settings
            from mlboard.tui import check_screen
            from mlboard.tui.first_read import read_first

            screen = check_screen(board.screen)
            settings = load_settings(board.database)
            if settings.keymap:  # a key given to two bindings is refused before anything starts
                from mlboard.tui.keys import check_keymap

                check_keymap(settings)
            first = read_first(settings, screen)  # before Textual: a helper may read meanwhile
            from mlboard.tui.app import run_board

            run_board(settings, screen, first)
        else:
            sys.exit(run_cli(args))
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as error:
        sys.exit(report(error))


def run_cli(args: Sequence[str]) -> int:
    """Run a command; its exit code. Errors are left to `report`, so they read like the rest.

    In its standalone mode Typer would print the parser's errors itself, over several lines;
    without it they are raised (`typer.TyperException`), and `typer.Exit` becomes a return value.
    """
    from mlboard.cli import app_for

    code = app_for(args)(args=list(args), prog_name="mlboard", standalone_mode=False)
    return code if isinstance(code, int) else 0


def report(error: Exception) -> int:
    """Print a known failure as one line and return its exit code; re-raise anything else."""
    from mlboard.errors import UserError

    if isinstance(error, UserError):
        message, code = error.message, error.exit_code
    elif type(error).__module__.startswith("sqlalchemy"):
        message, code = f"database: {getattr(error, 'orig', None) or error}", 1
    else:
        import typer

        if not isinstance(error, typer.TyperException):  # the argument parser's errors
            raise error
        if type(error).__name__ == "NoArgsIsHelpError":  # a group without a command: its help
            sys.stderr.write(error.format_message() + "\n")
            return 2
        message, code = _usage_message(error), 2
    from rich.console import Console

    from mlboard.text_safety import terminal_safe

    # Messages quote what was typed or stored (names, file contents): shown, never obeyed.
    line = terminal_safe(f"error: {message}")
    Console(stderr=True, highlight=False).print(line, markup=False, soft_wrap=True)
    return code


def _usage_message(error: typer.TyperException) -> str:
    """The parser's sentence in the CLI's own voice, and where the command's help is."""
    text = error.format_message().replace("Value error, ", "").strip().rstrip(".")
    text = text[:1].lower() + text[1:]
    ctx = getattr(error, "ctx", None)  # a usage error knows the command it was raised in
    return f"{text} ({ctx.command_path} --help)" if ctx is not None else text
