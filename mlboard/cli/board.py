"""Opening the TUI from the command line."""

from __future__ import annotations

from mlboard.cli.state import CliState


def open_board(state: CliState) -> None:
    """Run the Textual app on the configured workspace until the user quits."""
    from mlboard.tui.app import MlboardApp

    workspace = state.workspace()
    try:
        MlboardApp(workspace).run()
    finally:
        workspace.close()
