"""The Board screen driven as a person would, with Textual's Pilot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from mlboard.services.stories.records import StoryView, create_story, get_story
from mlboard.services.workspace import Workspace
from mlboard.tui.app import MlboardApp
from mlboard.tui.screens.board.screen import BoardScreen
from mlboard.tui.screens.stories.story_detail import StoryDetailScreen
from mlboard.tui.screens.stories.story_form import StoryFormScreen
from mlboard.tui.widgets.board_column import BoardColumn

SIZE = (160, 45)


def column(app: MlboardApp, status: str) -> BoardColumn:
    return app.screen.query_one(f"#column-{status}", BoardColumn)


def keys_in(app: MlboardApp, status: str) -> list[str]:
    return [story.key for story in column(app, status).stories]


def shown_stories(app: MlboardApp) -> list[StoryView]:
    """Every story the board shows, column after column."""
    return [
        story for board_column in app.screen.query(BoardColumn) for story in board_column.stories
    ]


@asynccontextmanager
async def board(
    workspace: Workspace, size: tuple[int, int] = SIZE
) -> AsyncIterator[tuple[MlboardApp, Pilot[None]]]:
    """The app on `workspace`, drawn once: the board as a person first sees it."""
    app = MlboardApp(workspace)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        yield app, pilot


async def press_on_card(pilot: Pilot[None], app: MlboardApp, story_key: str, *keys: str) -> None:
    """Highlight the card of `story_key` in its column, press `keys`, let the screen settle."""
    story = get_story(app.workspace, story_key)
    cards = column(app, story.status).cards
    cards.focus()
    cards.highlighted = cards.get_option_index(story_key)
    await pilot.pause()
    await pilot.press(*keys)
    await pilot.pause()


async def test_the_board_shows_the_active_sprint_by_status(sample_workspace):
    async with board(sample_workspace) as (app, _):
        assert isinstance(app.screen, BoardScreen)
        assert len(keys_in(app, "done")) == 6
        assert len(keys_in(app, "in_progress")) == 3
        summary = str(app.screen.query_one("#sprint-summary").render())
        assert "Sprint 24" in summary and "3 days left" in summary


async def test_moving_a_card_changes_the_database(sample_workspace):
    async with board(sample_workspace) as (app, pilot):
        key = keys_in(app, "todo")[0]
        await press_on_card(pilot, app, key, "right_square_bracket")
        assert get_story(sample_workspace, key).status == "in_progress"
        assert key in keys_in(app, "in_progress")
        assert app.screen.focused is column(app, "in_progress").cards
        await pilot.press("left_square_bracket", "left_square_bracket")
        await pilot.pause()
        assert get_story(sample_workspace, key).status == "backlog"


async def test_arrow_keys_move_focus_between_columns(sample_workspace):
    async with board(sample_workspace) as (app, pilot):
        column(app, "todo").cards.focus()
        await pilot.press("right")
        assert app.screen.focused is column(app, "in_progress").cards
        await pilot.press("l", "l")
        assert app.screen.focused is column(app, "done").cards
        await pilot.press("h")
        assert app.screen.focused is column(app, "review").cards


async def test_filter_by_member_and_kind(sample_workspace):
    async with board(sample_workspace) as (app, pilot):
        await pilot.press("slash")
        await pilot.press(*"@ana")
        await pilot.pause()
        shown = shown_stories(app)
        assert shown and all(s.assignee == "ana" for s in shown)
        app.screen.query_one("#filter", Input).value = "kind:bug"
        await pilot.pause()
        shown = shown_stories(app)
        assert shown and {s.kind for s in shown} == {"bug"}
        await pilot.press("escape")
        await pilot.pause()
        assert len(shown_stories(app)) == 14


async def test_edit_a_story_in_the_form(sample_workspace):
    async with board(sample_workspace) as (app, pilot):
        key = keys_in(app, "todo")[0]
        await press_on_card(pilot, app, key, "e")
        assert isinstance(app.screen, StoryFormScreen)
        app.screen.query_one("#field-points", Input).value = "-3"
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = str(app.screen.query_one("#form-error").render())
        assert "points: must be a number >= 0" in error
        app.screen.query_one("#field-points", Input).value = "8"
        app.screen.query_one("#field-target", Input).value = "val_f1 >= 0.9"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, BoardScreen)
    story = get_story(sample_workspace, key)
    assert (story.points, str(story.target)) == (8.0, "val_f1 >= 0.9")


async def test_create_a_story_from_the_board(sample_workspace):
    async with board(sample_workspace) as (app, pilot):
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"Evaluate [red] calibration")
        await pilot.click("#save")
        await pilot.pause()
        created = [s for s in column(app, "todo").stories if "calibration" in s.title]
        assert [s.title for s in created] == ["Evaluate [red] calibration"]
        assert created[0].sprint == "Sprint 24"


async def test_enter_and_click_open_the_story_detail(sample_workspace):
    async with board(sample_workspace) as (app, pilot):
        key = keys_in(app, "review")[0]
        await press_on_card(pilot, app, key, "enter")
        assert isinstance(app.screen, StoryDetailScreen)
        history = str(app.screen.query_one("#story-history").render())
        assert "History" in history and "status" in history
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, BoardScreen)
        await pilot.click("#cards-review", offset=(3, 2))
        await pilot.pause()
        assert isinstance(app.screen, StoryDetailScreen)


async def test_titles_with_markup_render_literally(workspace):
    from mlboard.services.planning.sprints import add_sprint, start_sprint

    add_sprint(workspace, "S1")
    create_story(workspace, "[/bar] [red]x", {"sprint": "S1"})
    start_sprint(workspace, "S1")
    async with board(workspace) as (app, pilot):
        cards = column(app, "todo").cards
        assert "[/bar] [red]x" in str(cards.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await pilot.pause()
        assert "[/bar] [red]x" in str(app.screen.query_one("#story-title").render())


async def test_keymap_from_config_remaps_bindings(sample_workspace):
    from dataclasses import replace

    keymap = {"move_next": "ctrl+right"}
    sample_workspace.settings = replace(sample_workspace.settings, keymap=keymap)
    async with board(sample_workspace) as (app, pilot):
        key = keys_in(app, "todo")[0]
        await press_on_card(pilot, app, key, "ctrl+right")
        assert get_story(sample_workspace, key).status == "in_progress"


async def test_no_active_sprint_says_what_to_do(workspace):
    async with board(workspace) as (app, _):
        assert "No active sprint" in str(app.screen.query_one("#sprint-summary").render())


@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_help_panel_and_palette_open(sample_workspace, size):
    async with board(sample_workspace, size) as (app, pilot):
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.query("HelpPanel")
        await pilot.press("question_mark")
        await pilot.pause()
        assert not app.screen.query("HelpPanel")
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Move →", "New", "Filter", "Theme"} <= set(commands)


async def test_cards_mark_data_blockers_sensitivity_and_gates(workspace):
    from mlboard.services.data.pipelines import record_run
    from mlboard.services.data.status import depend
    from mlboard.services.planning.sprints import add_sprint, start_sprint

    add_sprint(workspace, "S1")
    create_story(workspace, "Features", {"sprint": "S1", "kind": "data"})
    create_story(
        workspace,
        "Churn model",
        {"sprint": "S1", "kind": "model", "sensitivity": "personal", "status": "review"},
    )
    start_sprint(workspace, "S1")
    record_run(workspace, "features", "failed", error="disk full")
    depend(workspace, "ML-1", "features")
    async with board(workspace) as (app, pilot):
        await app.workers.wait_for_complete()
        await pilot.pause()
        todo = str(column(app, "todo").cards.get_option_at_index(0).prompt)
        review = str(column(app, "review").cards.get_option_at_index(0).prompt)
    assert "⛁ blocked by data: pipeline mlboard/features failed: disk full" in todo
    assert "◆ personal data" in review
    assert "☐ before done: model_card" in review


async def test_the_story_detail_lists_its_gates_and_opens_the_checklist(workspace):
    from mlboard.services.planning.sprints import add_sprint, start_sprint
    from mlboard.services.team.members import add_member
    from mlboard.tui.screens.governance.screen import ChecklistModal

    add_member(workspace, "ana")
    add_sprint(workspace, "S1")
    create_story(
        workspace,
        "Churn model",
        {"sprint": "S1", "kind": "model", "sensitivity": "personal", "assignee": "ana"},
    )
    start_sprint(workspace, "S1")
    async with board(workspace) as (app, pilot):
        await press_on_card(pilot, app, "ML-1", "enter")
        gates = str(app.screen.query_one("#story-gates").render())
        assert "Definition of Done" in gates and "☐ model_card" in gates
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ChecklistModal)


async def test_cards_are_drawn_again_when_the_terminal_is_resized(sample_workspace):
    async with board(sample_workspace) as (app, pilot):
        cards = column(app, "done").cards
        wide = cards.virtual_size.height
        await pilot.resize_terminal(90, 45)
        await pilot.pause()
        width = cards.scrollable_content_region.width
        assert [cards.render_line(y).cell_length for y in range(5)] == [width] * 5
        assert cards.virtual_size.height > wide  # narrower cards: titles wrap onto more lines
        await pilot.resize_terminal(*SIZE)
        await pilot.pause()
        assert cards.virtual_size.height == wide


async def test_a_board_drawn_from_its_file_works_as_one_drawn_from_the_services(workspace):
    """`mlboard` paints the board from a light read of the file and opens the database after
    the first frame: the same cards, then their facts, and moves that write."""
    from mlboard.services.data.pipelines import record_run
    from mlboard.services.data.status import depend
    from mlboard.services.planning.sprints import add_sprint, start_sprint
    from mlboard.tui.app import board_app

    add_sprint(workspace, "S1")
    create_story(workspace, "Features", {"sprint": "S1", "kind": "data"})
    create_story(workspace, "Churn model", {"sprint": "S1", "kind": "model"})
    start_sprint(workspace, "S1")
    record_run(workspace, "features", "failed", error="disk full")
    depend(workspace, "ML-1", "features")
    app = board_app(workspace.settings)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert keys_in(app, "todo") == ["ML-1", "ML-2"]
            await app.workers.wait_for_complete()
            await pilot.pause()
            first_card = column(app, "todo").cards.get_option_at_index(0).prompt
            assert "⛁ blocked by data" in str(first_card)
            await press_on_card(pilot, app, "ML-2", "right_square_bracket")
            assert get_story(workspace, "ML-2").status == "in_progress"
            assert keys_in(app, "in_progress") == ["ML-2"]
    finally:
        app.close_workspace()


async def test_a_board_drawn_from_its_file_notices_changes_made_since(workspace):
    """The snapshot's change marker is the one the poll compares: nothing changed, nothing is
    read again; a change made elsewhere shows."""
    from mlboard.services.planning.sprints import add_sprint, start_sprint
    from mlboard.services.stories.records import move_story
    from mlboard.tui.app import board_app

    add_sprint(workspace, "S1")
    create_story(workspace, "Features", {"sprint": "S1"})
    start_sprint(workspace, "S1")
    app = board_app(workspace.settings)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            app.poll_changes()
            assert app.data_version == 0
            move_story(workspace, "ML-1", "review")
            app.poll_changes()
            await pilot.pause()
            assert app.data_version == 1
            assert keys_in(app, "review") == ["ML-1"]
    finally:
        app.close_workspace()


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Etc/GMT+12"])
async def test_a_board_drawn_from_its_file_counts_days_in_the_team_time_zone(workspace, zone):
    """26 hours apart, the two zones are never on the same date: each board counts the days
    left from its own team's date, not the machine's."""
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from mlboard.services.planning.sprints import add_sprint, start_sprint
    from mlboard.tui.app import board_app

    machine_today = datetime.now(UTC).date()
    end = machine_today + timedelta(days=5)
    add_sprint(workspace, "S1", start=str(machine_today - timedelta(days=5)), end=str(end))
    start_sprint(workspace, "S1")
    app = board_app(replace(workspace.settings, timezone=zone))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            team_today = datetime.now(UTC).astimezone(ZoneInfo(zone)).date()
            summary = str(app.screen.query_one("#sprint-summary").render())
            assert f"{(end - team_today).days + 1} days left" in summary
    finally:
        app.close_workspace()
