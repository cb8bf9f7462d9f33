"""What mlboard/tui/compat.py takes from Textual's private API is still there and still does what
compat expects. A Textual upgrade that changes any of it fails here, naming the part, before a
screen quietly draws stale cells or slow switches come back: the reason the textual pin can be
a range of releases rather than one.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable, Footer, Label, OptionList

from mlboard.tui import compat
from mlboard.tui.widgets.board_column import CardList

SIZE = (60, 20)


def cleared(method: Callable[..., Any]) -> set[str]:
    """The attributes of `self` that `method` clears (`.clear()` or `.cache_clear()`)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(method)))
    return {
        call.func.value.attr
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr in {"clear", "cache_clear"}
        and isinstance(call.func.value, ast.Attribute)
        and isinstance(call.func.value.value, ast.Name)
        and call.func.value.value.id == "self"
    }


def calls(method: Callable[..., Any]) -> list[str]:
    """The source of every call `method` makes, in order."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(method)))
    found = [ast.unparse(call.func) for call in ast.walk(tree) if isinstance(call, ast.Call)]
    return [call for call in found if call != "super"]


class Other(Screen[None]):
    def compose(self) -> ComposeResult:
        yield Label("other", id="other-label")


class Grouped(Screen[None]):
    """Two keys in one group: the footer shows them as a KeyGroup with a FooterLabel."""

    BINDINGS = [
        Binding("j", "scroll_down", "Down", group=Binding.Group("Move")),
        Binding("k", "scroll_up", "Up", group=Binding.Group("Move")),
    ]

    def compose(self) -> ComposeResult:
        yield Footer()


class Lists(App[None]):
    MODES = {"main": Screen, "other": Other, "grouped": Grouped}
    DEFAULT_MODE = "main"

    def __init__(self, widget: Callable[[], Widget] | None = None) -> None:
        super().__init__()
        self.widget = widget

    def on_mount(self) -> None:
        if self.widget is not None:
            self.screen.mount(self.widget())


def table() -> DataTable[str]:
    table: DataTable[str] = DataTable()
    table.add_columns("name", "status")
    for row in range(10):
        table.add_row(f"run {row}", "finished")
    return table


def options(option_list: OptionList) -> OptionList:
    option_list.add_options([f"story {number}" for number in range(10)])
    return option_list


def card_list() -> OptionList:
    return options(CardList(id="cards"))


def plain_list() -> OptionList:
    return options(OptionList())


async def test_a_mode_is_built_without_being_shown_and_keeps_the_rules_applied():
    app = Lists()
    async with app.run_test(size=SIZE) as pilot:
        main = app.screen
        other = await compat.build_mode(app, "other")
        await pilot.pause()
        assert other is compat.built_screen(app, "other")
        assert app.screen is main  # built, not shown
        assert other.query_one("#other-label", Label).is_mounted
        assert other._css_update_count == app._css_update_count
        assert await compat.build_mode(app, "other") is None
        assert compat.built_screen(app, "grouped") is None


async def test_default_css_is_added_to_the_stylesheet_before_a_widget_mounts():
    app = Lists()
    async with app.run_test(size=SIZE):

        def sources() -> set[str]:
            return {name for _, name in app.stylesheet.source}

        assert "KeyGroup.DEFAULT_CSS" not in sources()
        compat.add_default_css(app, compat.FOOTER_PARTS)
        assert {"KeyGroup.DEFAULT_CSS", "Label.DEFAULT_CSS"} <= sources()


async def test_the_footer_parts_are_what_a_footer_of_grouped_keys_composes():
    app = Lists()
    async with app.run_test(size=SIZE) as pilot:
        await app.switch_mode("grouped")
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        composed = {type(widget) for widget in footer.walk_children(Widget)}
        assert set(compat.FOOTER_PARTS) <= composed


def test_a_data_table_drops_the_caches_restyle_keeping_cells_relies_on():
    """`restyle_keeping_cells` drops only the cursor's styles: every other cache DataTable drops
    on a style update must be one keyed by the style (these, checked by hand for 8.2)."""
    assert cleared(DataTable.notify_style_update) == {
        "_row_render_cache",
        "_cell_render_cache",
        "_row_renderable_cache",
        "_line_cache",
        "_styles_cache",
        "_get_styles_to_render_cell",
    }
    assert calls(DataTable.notify_style_update)[0] == "super().notify_style_update"


async def test_restyle_keeping_cells_keeps_the_rendered_cells():
    app = Lists(table)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        data_table = app.screen.query_one(DataTable)
        assert data_table._cell_render_cache
        compat.restyle_keeping_cells(data_table)
        assert data_table._cell_render_cache
        assert data_table._get_styles_to_render_cell.cache_info().currsize == 0
        DataTable.notify_style_update(data_table)  # what it saves: all cells drawn anew
        assert not data_table._cell_render_cache


def test_an_option_list_restyle_is_a_widget_restyle_and_a_repaint():
    assert calls(OptionList.notify_style_update) == ["self.refresh", "super().notify_style_update"]


async def test_drop_rendered_options_drops_the_rendered_options():
    app = Lists(plain_list)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        option_list = app.screen.query_one(OptionList)
        compat.restyle_keeping_options(option_list)
        assert option_list._option_render_cache
        compat.drop_rendered_options(option_list)
        assert not option_list._option_render_cache


async def test_a_card_list_keeps_its_rendered_cards_on_a_resize_an_option_list_drops():
    """CardList stops OptionList's Resize handler (public `prevent_default`); it must be the
    handler that drops the rendered options, or the cards are drawn twice again."""
    assert "self._clear_caches" in calls(OptionList._on_resize)
    for make, rendered_again in ((card_list, False), (plain_list, True)):
        app = Lists(make)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            options = app.screen.query_one(OptionList)
            renders = options._option_render_cache.misses
            options.post_message(Resize(options.size, options.size, options.size))
            await pilot.pause()
            assert (options._option_render_cache.misses > renders) is rendered_again
