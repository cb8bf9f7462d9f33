"""The app's screens as Textual modes: imported on first use, and built ahead once idle.

The board's first paint imports none of the other screens. Once it is on screen and its own
reads are done, `prepare_screens` imports the screens people switch to first (in a thread, so
the board stays responsive) and builds them one at a time, each with its data: their first
switch then only shows them. Nothing runs after that: they refresh on change, as any screen.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Iterable
from typing import Any

from textual.app import App
from textual.screen import Screen
from textual.widget import Widget
from textual.worker import get_current_worker

from mlboard.tui.compat import build_mode, built_screen

# mode -> (module, class); the board is imported with the app itself.
SCREENS = {
    "experiments": ("mlboard.tui.screens.experiments.screen", "ExperimentsScreen"),
    "models": ("mlboard.tui.screens.models.screen", "ModelsScreen"),
    "planning": ("mlboard.tui.screens.planning.screen", "PlanningScreen"),
    "standup": ("mlboard.tui.screens.standup.screen", "StandupScreen"),
    "data": ("mlboard.tui.screens.data.screen", "DataScreen"),
    "governance": ("mlboard.tui.screens.governance.screen", "GovernanceScreen"),
    "audit": ("mlboard.tui.screens.governance.audit", "AuditScreen"),
}
# Built after the first paint, in this order: the screens of every day's switches.
PREPARED = ("standup", "experiments", "models")


def screen_factory(mode: str) -> Callable[[], Screen[None]]:
    """What Textual calls on the first switch to `mode`: import the screen, then make it."""
    module, name = SCREENS[mode]

    def make() -> Screen[None]:
        screen_class: type[Screen[None]] = getattr(importlib.import_module(module), name)
        return screen_class()

    return make


async def prepare_screens(app: App[Any], modes: Iterable[str] = PREPARED) -> None:
    """Build `modes` (those not built yet) once the app's other workers are done."""
    me = get_current_worker()
    others = [worker for worker in app.workers if worker is not me and worker.is_running]
    if others:
        await app.workers.wait_for_complete(others)
    for mode in modes:
        if built_screen(app, mode) is not None:
            continue  # the user got there first
        await asyncio.to_thread(importlib.import_module, SCREENS[mode][0])
        screen = await build_mode(app, mode)
        reads = [worker for worker in app.workers if screen and worker.node is screen]
        if reads:
            await app.workers.wait_for_complete(reads)
        if screen is not None:
            await draw_ahead(app, screen)


async def draw_ahead(app: App[Any], screen: Screen[Any]) -> None:
    """Draw the lines every widget of a hidden screen shows, into the widgets' own caches.

    A table renders each visible cell on its first frame, the largest part of a first switch;
    its caches outlive the style updates of the switch (`SteadyTable`), so the switch then
    copies lines instead of rendering cells. They are drawn once the screen's focus has
    settled (the app sets it, then the widget takes it): a focused table looks different.
    """
    focus_set = asyncio.Event()
    app.call_later(focus_set.set)  # after the app's queued `focus()` calls
    await focus_set.wait()
    if screen.focused is not None:
        await screen.focused.wait_for_refresh()  # after the widget handled its Focus
    for widget in screen.walk_children(Widget):
        if widget.display and widget.size:
            widget.render_lines(widget.size.region)
