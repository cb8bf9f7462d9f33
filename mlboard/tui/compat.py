"""The one place mlboard reaches into Textual's private API; tests/test_tui_compat.py fails
loudly on a Textual that changed what is used here."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets._footer import FooterLabel, KeyGroup

# Composed only by the footer of a shown screen, when its keys come in groups (the workbench's).
FOOTER_PARTS: tuple[type[Widget], ...] = (KeyGroup, FooterLabel)


def built_screen(app: App[Any], mode: str) -> Screen[Any] | None:
    """The base screen of `mode` if it was built (shown, or built ahead), else None."""
    try:
        stack = app.get_screen_stack(mode)
    except KeyError:  # a mode not switched to yet
        return None
    return stack[0] if stack else None


async def build_mode(app: App[Any], mode: str) -> Screen[Any] | None:
    """Compose and mount the screen of `mode` without showing it; None if it exists already.

    Textual builds a mode's screen on the first switch to it and has no public way to build it
    earlier; the switch then only shows it. The screen is laid out for the app's size, mounted
    (so its `on_mount` reads its data) and told it is resumed, as on a switch.
    """
    if built_screen(app, mode) is not None or not app.is_running:
        return None  # built already, or the app is closing its screens
    add_default_css(app, FOOTER_PARTS)
    await app._init_mode(mode)
    screen = built_screen(app, mode)
    if screen is not None:
        # Mounted just now, it has the stylesheet's current rules; Textual would otherwise apply
        # the whole stylesheet again on the switch (reparsing it, and making the screens shown
        # since draw every line again).
        screen._css_update_count = app._css_update_count
    return screen


def add_default_css(app: App[Any], widgets: tuple[type[Widget], ...]) -> None:
    """Put the default CSS of `widgets` in the app's stylesheet before one of them is mounted.

    Textual adds a widget class's default CSS when its first instance mounts, and then parses the
    whole stylesheet again. A screen built ahead composes its footer only when shown: the first
    footer with grouped keys would do that on the switch, and restyle every screen after it.
    """
    for widget in widgets:
        for read_from, css, tie_breaker, scope in widget()._get_default_css():
            app.stylesheet.add_source(
                css, read_from=read_from, is_default_css=True, tie_breaker=tie_breaker, scope=scope
            )
