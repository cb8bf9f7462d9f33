"""Open the board on a database and stop at its first paint; used by `bench_foundation.py`.

As a script (the whole-process measurement), it does what `mlboard --db DB` does, headless:

    python benchmarks/first_paint.py DB

It imports the CLI (as the `mlboard` command does), opens the workspace, runs `MlboardApp` and
exits as soon as the Board's columns hold their cards. It then prints one JSON line:
`painted` is the CLOCK_MONOTONIC time of the first paint, which is the same clock in every
process, so the parent can subtract its own launch time. `wait_for_board` is shared with the
in-process measurement.
"""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App
    from textual.pilot import Pilot

SIZE = (160, 50)
MAX_PAUSES = 50


def clock() -> float:
    """Seconds on CLOCK_MONOTONIC: comparable between the benchmark and its children."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def board_cards(app: App[Any]) -> tuple[int, int] | None:
    """(cards shown, stories loaded) once the Board is the screen and its columns are filled."""
    from mlboard.tui.screens.board import BoardScreen

    screen = app.screen
    if not isinstance(screen, BoardScreen) or not screen.is_mounted:
        return None
    shown = sum(column.cards.option_count for column in screen.columns)  # dividers not counted
    loaded = len(screen.board.stories)
    return (shown, loaded) if shown == loaded else None


async def wait_for_board(pilot: Pilot[Any]) -> dict[str, int]:
    """Pause until the Board shows every story of the active sprint; return what it shows."""
    for _ in range(MAX_PAUSES):
        await pilot.pause()
        shown = board_cards(pilot.app)
        if shown is not None:
            return {"cards": shown[0], "pauses": _ + 1}
    raise RuntimeError(f"the board did not show its cards after {MAX_PAUSES} pauses")


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: first_paint.py DATABASE", file=sys.stderr)
        return 2
    import mlboard.cli  # noqa: F401  (the `mlboard` command starts by importing its CLI)
    from mlboard.cli.state import CliState
    from mlboard.tui.app import MlboardApp

    workspace = CliState(db=argv[1]).workspace()
    app = MlboardApp(workspace)
    result: dict[str, Any] = {}

    async def auto_pilot(pilot: Pilot[Any]) -> None:
        result.update(await wait_for_board(pilot))
        result["painted"] = clock()
        app.exit()

    try:
        app.run(headless=True, size=SIZE, auto_pilot=auto_pilot)
    finally:
        workspace.close()
    if "painted" not in result:
        print("the app exited before its first paint", file=sys.stderr)
        return 1
    print(json.dumps(result))  # after run(): Textual captures stdout while the app runs
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
