"""The footer shows each screen's keys, and keeps its widgets while its keys stay the same."""

from __future__ import annotations

import pytest
from textual.widgets._footer import FooterKey

from mlboard.tui.app import MlboardApp
from mlboard.tui.widgets.key_footer import KeyFooter

SIZE = (160, 45)


def footer_keys(app: MlboardApp) -> list[FooterKey]:
    return list(app.screen.query_one(KeyFooter).query(FooterKey))


def descriptions(app: MlboardApp) -> list[str]:
    return [key.description for key in footer_keys(app)]


async def test_each_screen_shows_its_own_keys_and_the_other_screens(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        board = descriptions(app)
        assert {"Move →", "New", "Experiments", "Planning"} <= set(board)
        assert "Board" not in board  # the screen you are on has no key of its own

        await pilot.press("x")
        await pilot.pause()
        experiments = descriptions(app)
        assert {"Story", "Sort", "Board"} <= set(experiments)
        grouped = {key.key for key in footer_keys(app) if not key.description}
        assert {"space", "C", "L", "U"} <= grouped  # under `Compare` and `Link/unlink`
        assert "Move →" not in experiments and "Experiments" not in experiments


async def test_coming_back_to_a_screen_keeps_its_footer_when_nothing_changed(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        before = footer_keys(app)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("b")
        await pilot.pause()
        after = footer_keys(app)
        assert [key.description for key in after] == [key.description for key in before]
        assert all(a is b for a, b in zip(after, before, strict=True))


async def test_a_remapped_key_shows_in_the_footer_at_once(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "n" in [key.key for key in footer_keys(app)]
        app.update_keymap({"new_story": "N"})
        await pilot.pause()
        keys = {key.description: key.key for key in footer_keys(app)}
        assert keys["New"] == "N"


async def test_the_story_form_shows_its_own_keys_not_the_boards(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert type(app.screen).__name__ == "StoryFormScreen"
        assert {"Save", "Cancel"} <= set(descriptions(app))
        assert "Move →" not in descriptions(app)


@pytest.mark.parametrize(("key", "dialog"), [("e", "EstimatesScreen"), ("D", "DaysOffScreen")])
async def test_planning_dialogs_show_their_own_keys(sample_workspace, key, dialog):
    app = MlboardApp(sample_workspace, "planning")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.press(key)
        await pilot.pause()
        assert type(app.screen).__name__ == dialog
        assert {"Save", "Cancel"} <= set(descriptions(app))
        assert "Rank" not in " ".join(descriptions(app))
