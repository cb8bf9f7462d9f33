"""Tables read in the background keep the user's place: the cursor stays on its row when rows
arrive above it or when it is gone, and an answer overtaken by a newer read never shows.

The Audit screen lists its entries newest first, so every write elsewhere inserts rows above
the highlighted one: it is the real case, driven through the app. The rest uses a bare app.
"""

from __future__ import annotations

import asyncio
import threading

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult

from mlboard.services.stories.records import create_story
from mlboard.tui.app import MlboardApp
from mlboard.tui.screens.governance.audit import AuditScreen
from mlboard.tui.screens.reloading import ReloadingScreen
from mlboard.tui.screens.screen_base import Loaded
from mlboard.tui.widgets.keyed_table import KeyedTable, Row

SIZE = (160, 45)


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def rows(*keys: str) -> list[Row]:
    return [(key, [Text(key)]) for key in keys]


def keys(table: KeyedTable) -> list[str]:
    return [str(key.value) for key in table.rows]


async def test_the_audit_cursor_stays_on_its_entry_when_newer_entries_arrive(workspace):
    for title in ("Label drift check", "Retrain churn", "Ship card"):
        create_story(workspace, title)
    app = MlboardApp(workspace)
    async with app.run_test(size=SIZE) as pilot:
        screen = AuditScreen()
        app.push_screen(screen)
        await settle(pilot)
        await pilot.press("down", "down")
        chosen = screen.table.highlighted_key
        assert chosen is not None and screen.table.cursor_row == 2

        create_story(workspace, "Backfill features")  # newest first: its entries go on top
        app.data_changed()
        await settle(pilot)

        table = screen.table
        assert keys(table)[0] != chosen and table.highlighted_key == chosen
        assert table.cursor_row == keys(table).index(chosen) > 2
        assert f"#{chosen}" in str(screen.query_one("#audit-entry-text").render())


async def test_the_audit_screen_reads_again_when_shown_after_changes_behind_its_back(workspace):
    create_story(workspace, "Label drift check")
    app = MlboardApp(workspace, screen="audit")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, AuditScreen)
        before = screen.table.row_count

        await app.switch_mode("board")
        key = create_story(workspace, "Retrain churn").key
        app.data_changed()  # redraws the board; the audit screen only learns of it when shown
        await settle(pilot)
        assert screen.table.row_count == before

        await app.switch_mode("audit")
        await settle(pilot)
        assert screen.table.row_count > before
        newest = keys(screen.table)[0]
        assert str(screen.table.get_cell(newest, "key")) == key


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable([("name", "Name", 10)], id="names")


async def test_when_the_highlighted_row_is_gone_the_cursor_keeps_its_position():
    app = TableApp()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(KeyedTable)
        table.show_rows(rows("a", "b", "c"))
        table.move_cursor(row=1)
        await pilot.pause()

        table.show_rows(rows("a", "c"))  # b is gone: the next row moves up into its place
        assert table.highlighted_key == "c"
        table.show_rows(rows("a"))  # past the end: the last row
        assert table.highlighted_key == "a"
        table.show_rows([])
        assert table.highlighted_key is None
        table.show_rows(rows("x", "a"))
        assert table.highlighted_key == "x"


class RacingScreen(ReloadingScreen[list[Row]]):
    """Its first read is held until the test lets it go, so a second read can overtake it."""

    READ_GROUP = "race"

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.lock = threading.Lock()
        self.first_started = threading.Event()
        self.release_first = threading.Event()
        self.first_answered = asyncio.Event()
        self.shown: list[list[str]] = []

    def compose(self) -> ComposeResult:
        yield KeyedTable([("name", "Name", 10)], id="names")

    def read(self) -> list[Row]:
        with self.lock:
            self.reads += 1
            first = self.reads == 1
        if first:
            self.first_started.set()
            self.release_first.wait(timeout=10)
            return rows("old")
        return rows("new")

    def show(self, data: list[Row]) -> None:
        self.shown.append([key for key, _ in data])
        self.query_one(KeyedTable).show_rows(data)

    @on(Loaded)
    def answered(self, message: Loaded[list[Row]]) -> None:
        if message.request == 1:
            self.first_answered.set()


class CountingApp(App[None]):
    """The least of an app a reloading screen needs: a count of data changes."""

    data_version = 0


async def test_an_answer_overtaken_by_a_newer_read_is_dropped():
    app = CountingApp()
    async with app.run_test(size=(40, 12)) as pilot:
        screen = RacingScreen()
        app.push_screen(screen)
        await pilot.pause()
        assert await asyncio.to_thread(screen.first_started.wait, 10)

        screen.refresh_data()  # the second read answers at once
        second = [w for w in app.workers if w.node is screen and not w.is_cancelled]
        await app.workers.wait_for_complete(second)
        await pilot.pause()
        assert screen.shown == [["new"]]

        screen.release_first.set()  # the first read answers last, with older data
        await asyncio.wait_for(screen.first_answered.wait(), 10)
        await pilot.pause()
        assert screen.shown == [["new"]]
        assert keys(screen.query_one(KeyedTable)) == ["new"]
