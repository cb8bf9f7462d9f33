"""The TUI on the scale workspace: first paint of each screen, screen switches, memory, idle CPU.

    python benchmarks/bench_screens.py --db /tmp/mlboard-scale.db

Each screen is measured in a fresh process: `mlboard --db DB --screen NAME` in a pseudo-terminal,
from launch until what it wrote shows that screen's data (`terminal.py`; the text waited for is
read from the database by `workspace.first_data`). Then, in one process, the switch from the
board to every other screen and back; the peak RSS of those processes; and the CPU the app uses
while nobody touches it for 10 s (the change poll wakes every 2 s; nothing repaints).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

from terminal import first_paint
from workspace import first_data

SIZE = (160, 50)
SCREENS = ("board", "experiments", "models", "standup")
CHILD = r"""
import json, sys, time
import mlboard.launcher
from mlboard.config import load_settings
from mlboard.services.workspace import open_workspace
from mlboard.tui.app import MlboardApp

what = sys.argv[2]
app = MlboardApp(open_workspace(load_settings(sys.argv[1])))
result = {}

async def settled(pilot):
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()

async def auto_pilot(pilot):
    if what == "switch":
        await settled(pilot)
        switches = {}
        for target in ("experiments", "models", "standup", "board"):
            start = time.perf_counter()
            app.switch_mode(target)
            await settled(pilot)
            switches[target] = time.perf_counter() - start
        again = {}
        for target in ("experiments", "board"):
            start = time.perf_counter()
            app.switch_mode(target)
            await settled(pilot)
            again[target] = time.perf_counter() - start
        result["first"], result["again"] = switches, again
    elif what == "idle":
        await settled(pilot)
        import resource
        before = resource.getrusage(resource.RUSAGE_SELF)
        await pilot.pause(10.0)
        after = resource.getrusage(resource.RUSAGE_SELF)
        used = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        result["cpu_share"] = used / 10.0
    app.exit()

app.run(headless=True, size=(160, 50), auto_pilot=auto_pilot)
print(json.dumps(result))
"""


def child(db: Path, what: str) -> tuple[dict, float]:
    """Run one measuring process; return its result and its peak RSS in MB."""
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), what],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    _, status, usage = os.wait4(process.pid, 0)
    output = process.stdout.read() if process.stdout else ""
    if status != 0 or not output.strip():
        raise RuntimeError(f"{what} failed (status {status})")
    return json.loads(output.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def verdict(value: float, budget: float) -> str:
    return "OK" if value <= budget else "MISS"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    args = parser.parse_args()
    assert resource  # the children report their own usage
    peak = 0.0
    mlboard = str(Path(sys.executable).parent / "mlboard")
    for mode in SCREENS:
        argv, shown = [mlboard, "--db", str(args.db), "--screen", mode], first_data(args.db, mode)
        first_paint(argv, shown)  # warm-up: the OS page cache
        paint = first_paint(argv, shown)
        peak = max(peak, paint.rss_mb)
        print(
            f"first paint, {mode:<12} {paint.seconds:6.2f} s  (budget 1.50 s)  "
            f"{verdict(paint.seconds, 1.5):<4}  {paint.rss_mb:5.0f} MB (budget 300 MB)"
        )
    result, rss = child(args.db, "switch")
    for target, seconds in result["first"].items():
        print(f"switch to {target:<12} (first time)  {seconds * 1000:6.0f} ms")
    for target, seconds in result["again"].items():
        print(
            f"switch to {target:<12} (again)       {seconds * 1000:6.0f} ms  "
            f"(budget 150 ms)  {verdict(seconds, 0.15)}"
        )
    result, rss = child(args.db, "idle")
    print(f"idle board, 10 s: {result['cpu_share']:.1%} CPU  (budget ~0%)")
    print(f"peak RSS of the TUI processes: {max(peak, rss):.0f} MB (budget 300 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
