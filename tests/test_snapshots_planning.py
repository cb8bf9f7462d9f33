"""Snapshots of the Planning screen and the Charts view on the sample team (review every change
you accept: `pytest tests/test_snapshots_planning.py --snapshot-update`, then look at the SVGs)."""

from __future__ import annotations

from mlboard.tui.app import MlboardApp
from mlboard.tui.screens.planning.screen import PlanningScreen

SIZE = (160, 45)


async def open_planning(pilot) -> None:
    await pilot.pause()
    pilot.app.push_screen(PlanningScreen())
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()  # the plan worker has answered
    await pilot.pause()


async def open_charts(pilot) -> None:
    await open_planning(pilot)
    await pilot.press("c")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_planning_screen(snap_compare, sample_workspace):
    assert snap_compare(MlboardApp(sample_workspace), terminal_size=SIZE, run_before=open_planning)


def test_charts_view(snap_compare, sample_workspace):
    assert snap_compare(MlboardApp(sample_workspace), terminal_size=SIZE, run_before=open_charts)
