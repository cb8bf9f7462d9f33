"""The Textual app: screens and widgets that call services and show their results."""

from __future__ import annotations

from mlboard.errors import UserError

# The app's screens, in the order of their keys; `mlboard --screen NAME` opens on one of them.
# Kept here, free of Textual, so the launcher can check the name before loading the app.
SCREENS = ("board", "experiments", "models", "planning", "standup", "data", "governance", "audit")


def check_screen(name: str) -> str:
    """`name` if it is one of SCREENS, else the error that lists them."""
    if name not in SCREENS:
        raise UserError(f"--screen: no screen called {name!r}; choose one of {', '.join(SCREENS)}")
    return name
