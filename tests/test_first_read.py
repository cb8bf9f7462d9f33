"""The first screen's data read before the app starts: the board with sqlite3, the standup by a
helper process; the same data the app would read itself, and never from a file it must first
upgrade or refuse."""

from __future__ import annotations

from mlboard.config import Settings
from mlboard.services.standup.screen_data import load_standup
from mlboard.services.stories.board import load_board
from mlboard.services.workspace import Workspace
from mlboard.store import migrations
from mlboard.store.engine import create_database_engine, database_url
from mlboard.tui.app import board_app
from mlboard.tui.first_read import read_first
from mlboard.tui.screens.standup.screen import StandupScreen


def test_the_helper_reads_the_standup_the_app_would_read(sample_workspace):
    first = read_first(sample_workspace.settings, "standup")
    assert first is not None and first.standup is not None and first.board is None
    read_ahead = first.standup()
    # The helper runs on the real clock: so does the workspace it is compared with, a moment
    # later (what is measured from now, such as days in a status, may have moved meanwhile).
    here = load_standup(Workspace(sample_workspace.engine, sample_workspace.settings))
    assert (read_ahead.since, read_ahead.today) == (here.since, here.today)
    assert (read_ahead.cards, read_ahead.sprint) == (here.cards, here.sprint) != ({}, None)
    assert people(read_ahead.data) == people(here.data) != []
    assert read_ahead.data["ml"] == here.data["ml"]


def people(data: dict) -> list[tuple]:
    """Who is in the digest and with which stories, as the person panel lists them."""
    return [
        (person["member"], person["done"], *([i["story"] for i in person[k]] for k in KINDS))
        for person in data["people"]
    ]


KINDS = ("doing", "blocked", "moved_back")


def test_the_board_is_read_ahead_with_its_change_marker(sample_workspace):
    first = read_first(sample_workspace.settings, "board")
    assert first is not None and first.standup is None
    assert first.board == load_board(sample_workspace)


def test_nothing_is_read_ahead_of_a_file_to_upgrade(tmp_path):
    path = tmp_path / "old.db"
    engine = create_database_engine(database_url(str(path)))
    migrations.upgrade(engine, migrations.known_revisions()[-2])
    engine.dispose()
    settings = Settings(str(path), "test", actor="tester")
    assert read_first(settings, "standup") is None
    assert read_first(settings, "board") is None


def test_other_screens_read_in_the_app(sample_workspace):
    assert read_first(sample_workspace.settings, "experiments") is None


async def test_the_standup_read_ahead_is_what_the_screen_shows(sample_workspace):
    app = board_app(sample_workspace.settings, "standup")
    try:
        async with app.run_test(size=(150, 45)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, StandupScreen) and screen.standup is not None
            person = screen.standup.data["people"][0]["name"]
            assert person in str(screen.query_one("#person-heading").render())
    finally:
        app.close_workspace()
