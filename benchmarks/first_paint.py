"""Paint the board N times in one process; the in-process child of `bench_foundation.py`.

    python benchmarks/first_paint.py --in-process N DB

Imports first, then N times from `MlboardApp(workspace)` to the cards on screen with
`App.run_test`. Prints `{"cards": …, "seconds": […]}`. This runs in a child, not in the benchmark
itself: a child's peak RSS as the kernel reports it is never below its parent's (see the README),
so the benchmark process must stay small. The whole-process first paint is measured in a real
terminal by `terminal.py`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App
    from textual.pilot import Pilot

SIZE = (160, 50)
MAX_PAUSES = 50


def clock() -> float:
    """Seconds on CLOCK_MONOTONIC: comparable between the benchmark and its children."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def board_cards(app: App[Any]) -> int | None:
    """Cards on the Board once it is the screen and shows every story it loaded, else None."""
    from mlboard.tui.screens.board.screen import BoardScreen

    screen = app.screen
    if not isinstance(screen, BoardScreen) or not screen.is_mounted:
        return None
    shown = sum(column.cards.option_count for column in screen.columns)  # dividers not counted
    return shown if shown == len(screen.board.stories) else None


async def wait_for_board(pilot: Pilot[Any]) -> int:
    """Pause until the Board shows every story of the active sprint; return how many cards."""
    for _ in range(MAX_PAUSES):
        await pilot.pause()
        cards = board_cards(pilot.app)
        if cards is not None:
            return cards
    raise RuntimeError(f"the board did not show its cards after {MAX_PAUSES} pauses")


async def paint_in_process(db: Path) -> tuple[float, int]:
    """Seconds from app construction to the cards on screen (run_test, 160×50), and the cards."""
    from mlboard.config import load_settings
    from mlboard.services.workspace import open_workspace
    from mlboard.tui.app import MlboardApp

    workspace = open_workspace(load_settings(str(db)))
    try:
        began = clock()
        app = MlboardApp(workspace)
        async with app.run_test(size=SIZE) as pilot:
            cards = await wait_for_board(pilot)
            painted = clock()
        return painted - began, cards
    finally:
        workspace.close()


def measure_in_process(db: Path, runs: int) -> dict[str, Any]:
    import asyncio  # here, not at the top: the benchmark imports this module and stays small

    seconds, cards = [], 0
    for _ in range(runs):
        elapsed, cards = asyncio.run(paint_in_process(db))
        seconds.append(elapsed)
    return {"cards": cards, "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--in-process", type=int, metavar="N", required=True, help="paints")
    args = parser.parse_args(argv)
    print(json.dumps(measure_in_process(args.db, args.in_process)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
