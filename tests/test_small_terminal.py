"""Every screen is usable in an 80×24 terminal: no pane is squeezed to nothing beside another."""

from __future__ import annotations

import pytest

from mlboard.tui import SCREENS
from mlboard.tui.app import MlboardApp

SMALL = (80, 24)
PANES = "DataTable, OptionList, VerticalScroll"


@pytest.mark.parametrize("screen", SCREENS)
async def test_each_pane_keeps_room_to_read_in_a_small_terminal(sample_workspace, screen):
    app = MlboardApp(sample_workspace, screen)
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        panes = [pane for pane in app.screen.query(PANES) if pane.display and pane.region]
        assert panes, "nothing to check on this screen"
        cramped = {
            f"#{pane.id or type(pane).__name__}": tuple(pane.scrollable_content_region.size)
            for pane in panes
            if pane.scrollable_content_region.width < 12
            or pane.scrollable_content_region.height < 2
        }
        assert cramped == {}
