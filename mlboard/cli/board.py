"""Opening the TUI from a command (`mlboard demo`; a bare `mlboard` goes through the launcher)."""

from __future__ import annotations

from mlboard.cli.state import CliState


def open_board(state: CliState, screen: str = "board") -> None:
    from mlboard.tui import check_screen
    from mlboard.tui.app import run_board

    run_board(state.settings(), check_screen(screen))
