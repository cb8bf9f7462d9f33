"""Every screen is usable in an 80×24 terminal: no pane is squeezed to nothing beside another."""

from __future__ import annotations

import pytest
from textual.screen import Screen

from mlboard.tui import SCREENS
from mlboard.tui.app import MlboardApp

SMALL = (80, 24)
PANES = "DataTable, OptionList, VerticalScroll"


def cramped_panes(screen: Screen[object]) -> dict[str, tuple[int, int]]:
    """The panes of `screen` shown with less than 12 columns or 2 rows to read in."""
    panes = [pane for pane in screen.query(PANES) if pane.display and pane.region]
    assert panes, "nothing to check on this screen"
    return {
        f"#{pane.id or type(pane).__name__}": tuple(pane.scrollable_content_region.size)
        for pane in panes
        if pane.scrollable_content_region.width < 12 or pane.scrollable_content_region.height < 2
    }


@pytest.mark.parametrize("screen", SCREENS)
async def test_each_pane_keeps_room_to_read_in_a_small_terminal(sample_workspace, screen):
    app = MlboardApp(sample_workspace, screen)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert cramped_panes(app.screen) == {}
