"""The story form shows member and sprint names as they were typed, never read as markup."""

from __future__ import annotations

from textual.widgets import Select

from mlboard.services.planning.sprints import add_sprint, start_sprint
from mlboard.services.stories.records import create_story
from mlboard.services.team.members import add_member
from mlboard.tui.app import MlboardApp
from mlboard.tui.screens.stories.story_form import StoryFormScreen

MEMBER = "[b]Ana[/b] [red"
SPRINT = "S1 [i]q4[/i] [red"


def shown(select: Select[str]) -> str:
    """What the closed Select shows: the prompt of its value."""
    return str(select.query_one("SelectCurrent #label").render())


def offered(select: Select[str]) -> list[str]:
    """What the open Select lists, blank line included."""
    options = select.query_one("SelectOverlay")
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_member_and_sprint_names_with_markup_show_literally(workspace):
    add_member(workspace, "ana", MEMBER)
    add_sprint(workspace, SPRINT)
    start_sprint(workspace, SPRINT)
    create_story(workspace, "Tune the ranker", {"assignee": "ana", "sprint": SPRINT})
    app = MlboardApp(workspace)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        await pilot.press("e")  # the only card is focused
        await pilot.pause()
        form = app.screen
        assert isinstance(form, StoryFormScreen)
        assignee = form.query_one("#field-assignee", Select)
        sprint = form.query_one("#field-sprint", Select)
        assert shown(assignee) == f"{MEMBER} (@ana)"
        assert shown(sprint) == SPRINT
        assert f"{MEMBER} (@ana)" in offered(assignee)
        assert SPRINT in offered(sprint)
