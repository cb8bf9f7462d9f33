"""The footer shows each screen's keys, and keeps its widgets while its keys stay the same."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

from mlboard.tui.app import MlboardApp
from mlboard.tui.widgets.key_footer import KeyFooter

SIZE = (160, 45)


def footer_keys(app: MlboardApp) -> list[FooterKey]:
    return list(app.screen.query_one(KeyFooter).query(FooterKey))


async def settled_keys(pilot: Pilot[None]) -> list[FooterKey]:
    """The footer's keys once it shows the screen's keys with no rebuild on its way.

    `pilot.pause()` waits until the process looks idle, which on a busy machine can be before a
    scheduled rebuild ran; this waits for the footer's own state instead.
    """
    for _ in range(200):
        await pilot.pause()
        if pilot.app.screen.query_one(KeyFooter).settled:
            return footer_keys(pilot.app)
    raise AssertionError("the footer never settled")


async def descriptions(pilot: Pilot[None]) -> list[str]:
    return [key.description for key in await settled_keys(pilot)]


async def test_each_screen_shows_its_own_keys_and_the_other_screens(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        board = await descriptions(pilot)
        assert {"Move →", "New", "Experiments", "Planning"} <= set(board)
        assert "Board" not in board  # the screen you are on has no key of its own

        await pilot.press("x")
        experiments = await descriptions(pilot)
        assert {"Story", "Sort", "Board"} <= set(experiments)
        grouped = {key.key for key in footer_keys(app) if not key.description}
        assert {"space", "C", "L", "U"} <= grouped  # under `Compare` and `Link/unlink`
        assert "Move →" not in experiments and "Experiments" not in experiments


async def test_coming_back_to_a_screen_keeps_its_footer_when_nothing_changed(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        before = await settled_keys(pilot)
        await pilot.press("x")
        await settled_keys(pilot)
        await pilot.press("b")
        after = await settled_keys(pilot)
        assert [key.description for key in after] == [key.description for key in before]
        assert all(a is b for a, b in zip(after, before, strict=True))


async def test_keys_reported_again_before_the_rebuild_are_rebuilt_once(
    sample_workspace, monkeypatch
):
    """A screen settling reports its bindings several times before the footer's rebuild runs;
    one rebuild shows them all (a second one used to replace the keys a moment later)."""
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settled_keys(pilot)
        footer = app.screen.query_one(KeyFooter)
        scheduled = []
        schedule = footer.call_after_refresh
        monkeypatch.setattr(
            footer, "call_after_refresh", lambda *call: scheduled.append(call) or schedule(*call)
        )
        app.update_keymap({"new_story": "N"})
        for _ in range(3):  # mounted, focused, highlighted: the same keys, queued together
            footer.call_later(footer.bindings_changed, app.screen)
        await pilot.pause()  # the queued reports are handled (the rebuild may still wait)
        assert len(scheduled) == 1
        keys = {key.description: key.key for key in await settled_keys(pilot)}
        assert keys["New"] == "N"


async def test_a_remapped_key_shows_in_the_footer_at_once(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        assert "n" in [key.key for key in await settled_keys(pilot)]
        app.update_keymap({"new_story": "N"})
        keys = {key.description: key.key for key in await settled_keys(pilot)}
        assert keys["New"] == "N"


async def test_the_story_form_shows_its_own_keys_not_the_boards(sample_workspace):
    app = MlboardApp(sample_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await settled_keys(pilot)
        await pilot.press("e")
        shown = await descriptions(pilot)
        assert type(app.screen).__name__ == "StoryFormScreen"
        assert {"Save", "Cancel"} <= set(shown)
        assert "Move →" not in shown


@pytest.mark.parametrize(("key", "dialog"), [("e", "EstimatesScreen"), ("D", "DaysOffScreen")])
async def test_planning_dialogs_show_their_own_keys(sample_workspace, key, dialog):
    app = MlboardApp(sample_workspace, "planning")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.press(key)
        shown = await descriptions(pilot)
        assert type(app.screen).__name__ == dialog
        assert {"Save", "Cancel"} <= set(shown)
        assert "Rank" not in " ".join(shown)
