"""Text that breaks naive UIs — markup, control characters, right-to-left, very long — shows
literally in every screen, at small and large terminal sizes, without an exception."""

from __future__ import annotations

import pytest

from mlboard.services.data.pipelines import record_run
from mlboard.services.data.status import depend
from mlboard.services.planning.sprints import add_sprint, start_sprint
from mlboard.services.standup.digest import write_note
from mlboard.services.stories.records import create_story
from mlboard.services.team.members import add_member
from mlboard.tui.app import MlboardApp

TITLES = [
    "[/bar] [red]x",
    "bell\x07 and \x1b[31mescape\x1b[0m codes",
    "تدريب النموذج على بيانات العملاء الجديدة",
    "long " * 90,
    "emoji 🚀🔥 and CJK 機械学習",
]
MODES = ("board", "experiments", "models", "standup", "data", "governance", "audit")


@pytest.fixture
def weird(workspace):
    add_member(workspace, "ana", "[b]Ana[/b] \u202eevil")
    add_sprint(workspace, "S1 [red]", goal="goal [/] \x00")
    for number, title in enumerate(TITLES, start=1):
        create_story(
            workspace,
            title,
            {"sprint": "S1 [red]", "assignee": "ana", "kind": "model",
             "sensitivity": "personal", "target": "val_f1 >= 0.8",
             "description": title * 3, "blocked": title if number == 2 else ""},
        )  # fmt: skip
    start_sprint(workspace, "S1 [red]")
    record_run(workspace, "feed [red]", "failed", error="[/] boom \x1b[2J")
    depend(workspace, "ML-1", "mlboard/feed [red]")
    write_note(workspace, "ana", today="[bold]nothing[/bold] \u202e")
    return workspace


@pytest.mark.parametrize("size", [(80, 24), (200, 50)])
async def test_every_screen_renders_weird_text_literally(weird, size):
    app = MlboardApp(weird)
    async with app.run_test(size=size) as pilot:
        for mode in MODES:
            app.switch_mode(mode)
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.screen.is_mounted, mode
        app.switch_mode("board")
        await pilot.pause()
        cards = app.screen.query_one("#cards-todo")
        prompts = [str(cards.get_option_at_index(i).prompt) for i in range(cards.option_count)]
        assert any("[/bar] [red]x" in prompt for prompt in prompts)
        bad = [prompt for prompt in prompts if "\x1b" in prompt or "\x07" in prompt]
        assert not bad, bad
        await pilot.press("enter")  # the story detail of the first card
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
