"""What the screens, dialogs and widgets use of the app, typed: `host(node).workspace`.

Textual types `node.app` as a plain `App`; mlboard's screens need the app's workspace, its count
of data changes and a few start-up hooks. `Host` names exactly those (MlboardApp provides them),
so a screen is type-checked against what it uses, and importing it does not import the app
module (which imports the screens).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Protocol, cast

from textual.dom import DOMNode

if TYPE_CHECKING:
    from mlboard.services.standup.screen_data import Standup
    from mlboard.services.stories.board import BoardData
    from mlboard.services.workspace import Workspace


class Host(Protocol):
    """The app as its screens see it."""

    data_version: int  # changes made behind the screens' backs, counted (see MlboardApp)

    @property
    def workspace(self) -> Workspace: ...

    @property
    def served(self) -> bool: ...

    def today(self) -> date: ...

    def data_changed(self) -> None: ...

    def catch_up(self) -> None: ...

    def after_first_frame(self, callback: Callable[[], object]) -> None: ...

    def take_first_board(self) -> BoardData | None: ...

    def take_first_standup(self) -> Callable[[], Standup | None] | None: ...


def host(node: DOMNode) -> Host:
    """The app `node` belongs to, as its screens see it."""
    return cast("Host", node.app)
