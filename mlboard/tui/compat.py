"""The one place mlboard reaches into Textual's private API; tests/test_tui_compat.py fails
loudly on a Textual that changed what is used here."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import OptionList
from textual.widgets._footer import FooterLabel, KeyGroup

if TYPE_CHECKING:
    from textual.widgets import DataTable

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


def restyle_keeping_cells(table: DataTable[Any]) -> None:
    """Apply a style update to `table` but keep its rendered cells, rows and lines.

    DataTable's `notify_style_update` drops every cache it has, and Textual has no public way to
    keep them. Its cell, row and line caches are keyed by the base style and the pseudo-classes
    already; only the cursor's styles (`_get_styles_to_render_cell`) are cached apart from them.
    So this runs Widget's update (the one DataTable extends) and drops the cursor's styles only.
    """
    from textual.widgets import DataTable  # not at the import: the board has no table

    super(DataTable, table).notify_style_update()
    table._get_styles_to_render_cell.cache_clear()


def restyle_keeping_options(option_list: OptionList) -> None:
    """Apply a style update to `option_list` without repainting its lines.

    OptionList's `notify_style_update` is Widget's plus a repaint of every visible line, and
    Textual has no public way to have the first without the second.
    """
    super(OptionList, option_list).notify_style_update()


def drop_rendered_options(option_list: OptionList) -> None:
    """Drop the options `option_list` rendered and its line counts, then repaint.

    OptionList drops them itself only when its options change or on a Resize; it has no public
    way to drop them when the width it rendered at is no longer the width it has.
    """
    option_list._clear_caches()
