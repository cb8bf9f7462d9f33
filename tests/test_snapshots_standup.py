"""A snapshot of the Standup screen on the sample team, frozen clock (review what you accept).

The meeting timer is not started, so it shows 00:00 and nothing ticks.
"""

from __future__ import annotations

from mlboard.tui.app import MlboardApp
from mlboard.tui.screens.standup.screen import StandupScreen

SIZE = (150, 44)


def test_standup_on_the_sample_team(snap_compare, sample_workspace):
    async def walk_to_tomasz(pilot) -> None:
        await pilot.pause()
        pilot.app.push_screen(StandupScreen())
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("n", "n", "n")  # done, doing, blocked: every part of the panel
        await pilot.pause()

    assert snap_compare(MlboardApp(sample_workspace), terminal_size=SIZE, run_before=walk_to_tomasz)
