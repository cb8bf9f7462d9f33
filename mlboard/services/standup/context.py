"""What every section of the standup digest reads: one session, the window, the workspace.

Its own module so that the sections and the digest that gathers them both import it, and
neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from mlboard.services.standup.window import Window
from mlboard.services.workspace import Workspace
from mlboard.store.tables import Member


@dataclass
class DigestContext:
    """What every section needs: one read session, the window and the workspace."""

    session: Session
    window: Window
    ws: Workspace
    members: dict[int, Member] = field(default_factory=dict)


Section = Callable[[DigestContext], tuple[str, Any]]
