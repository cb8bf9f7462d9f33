"""The mlboard Textual app: opens on the Board of the active sprint."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from mlboard.config import Settings
from mlboard.services.workspace import Workspace, open_workspace
from mlboard.tui.screens.board import BoardScreen


class MlboardApp(App[None]):
    """Every action has a binding id, so `[tool.mlboard.keymap]` can remap its keys."""

    CSS_PATH = "app.tcss"
    TITLE = "mlboard"
    BINDINGS = [
        Binding("question_mark", "toggle_help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
    ]

    def __init__(self, workspace: Workspace) -> None:
        super().__init__()
        self.workspace = workspace

    def on_mount(self) -> None:
        self.set_keymap(dict(self.workspace.settings.keymap))
        self.push_screen(BoardScreen())

    def action_toggle_help(self) -> None:
        if self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette offers every action of the current screen, with its key."""
        yield from super().get_system_commands(screen)
        seen = {"quit", "command_palette"}
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            key = self.get_key_display(binding)
            yield SystemCommand(
                binding.description,
                f"{binding.tooltip or binding.description} ({key})",
                lambda action=binding.action, node=active.node: self.run_action(action, node),
            )


def run_board(settings: Settings) -> None:
    """Open the workspace of `settings` and run the app on it until the user quits."""
    workspace = open_workspace(settings)
    try:
        MlboardApp(workspace).run()
    finally:
        workspace.close()
