"""The TUI on the scale workspace: first paint of each screen, screen switches, memory, idle CPU.

    python benchmarks/bench_screens.py --db /tmp/mlboard-scale.db [--runs 3] [--checkout DIR ...]

Each screen is measured in a fresh process: `mlboard --db DB --screen NAME` in a pseudo-terminal,
from launch until what it wrote shows that screen's data (`terminal.py`; the text waited for is
read from the database by `workspace.first_data`); the median of `--runs` runs, taken in turns.
Then, in one process started as the executable starts the board (`tui.app.run_board`, the
garbage collector off until the first frame), once start-up's work is done: the first switch
from the board to Experiments, Models and Standup, back to the board, and again; the peak RSS
of those processes; and the CPU the app uses while nobody touches it for 10 s (the change poll
wakes every 2 s; nothing repaints). A switch is timed until the app is idle again with every
worker done; the CPU its main thread used is shown beside it, the part of the time the load of
the machine does not inflate. `--checkout DIR` (repeatable) measures each checkout's mlboard
(first on PYTHONPATH) in the same turns.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from terminal import first_paint
from workspace import first_data

SCREENS = ("board", "experiments", "models", "standup")
FIRST_PAINT = {"standup": 0.8}  # seconds; the others: 1.5
FIRST_SWITCH, SWITCH_BACK = 0.25, 0.10
RSS_MB = 300
CHILD = r"""
import gc, inspect, json, sys, time
gc.disable()  # as the executable does (mlboard.launcher)
from mlboard.config import load_settings
from mlboard.tui import app as tui

what = sys.argv[2]
result = {}

async def settled(pilot):
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()

async def timed_switch(pilot, target):
    start, cpu = time.perf_counter(), time.thread_time()
    pilot.app.switch_mode(target)
    await settled(pilot)
    return time.perf_counter() - start, time.thread_time() - cpu

async def auto_pilot(pilot):
    app = pilot.app
    await settled(pilot)
    if what == "switch":
        firsts = ("experiments", "models", "standup")
        result["first"] = {t: await timed_switch(pilot, t) for t in firsts}
        result["back"] = {"board": await timed_switch(pilot, "board")}
        result["again"] = {t: await timed_switch(pilot, t) for t in ("experiments", "board")}
    elif what == "idle":
        import resource
        before = resource.getrusage(resource.RUSAGE_SELF)
        await pilot.pause(10.0)
        after = resource.getrusage(resource.RUSAGE_SELF)
        used = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        result["cpu_share"] = used / 10.0
    app.exit()

settings = load_settings(sys.argv[1])
options = dict(headless=True, size=(160, 50), auto_pilot=auto_pilot)
if "run" in inspect.signature(tui.run_board).parameters:
    tui.run_board(settings, "board", **options)
else:  # a checkout from before run_board took App.run's options
    from mlboard.services.workspace import open_workspace
    gc.enable()
    tui.MlboardApp(open_workspace(settings)).run(**options)
print(json.dumps(result))
"""


def child(db: Path, what: str, env: Mapping[str, str]) -> tuple[dict, float]:
    """Run one measuring process; return its result and its peak RSS in MB."""
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), what],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, **env},
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
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--checkout", type=Path, action="append", default=[])
    args = parser.parse_args()
    checkouts = [(p.name, {"PYTHONPATH": str(p.resolve())}) for p in args.checkout] or [("", {})]
    mlboard = str(Path(sys.executable).parent / "mlboard")
    peak: dict[str, float] = {}
    for mode in SCREENS:
        argv, shown = [mlboard, "--db", str(args.db), "--screen", mode], first_data(args.db, mode)
        for _, env in checkouts:
            first_paint(argv, shown, env=env)  # warm-up: the OS page cache
        paints: dict[str, list] = {name: [] for name, _ in checkouts}
        for _ in range(max(args.runs, 1)):
            for name, env in checkouts:
                paints[name].append(first_paint(argv, shown, env=env))
        budget = FIRST_PAINT.get(mode, 1.5)
        for name, found in paints.items():
            seconds = statistics.median(paint.seconds for paint in found)
            rss = max(paint.rss_mb for paint in found)
            peak[name] = max(peak.get(name, 0.0), rss)
            label = f"first paint, {mode}" + (f" [{name}]" if name else "")
            print(
                f"{label:<34} {seconds:6.2f} s  min {min(p.seconds for p in found):5.2f}  "
                f"(budget {budget:.2f} s)  {verdict(seconds, budget):<4}  "
                f"{rss:5.0f} MB (budget {RSS_MB} MB)",
                flush=True,
            )
    for name, env in checkouts:
        suffix = f" [{name}]" if name else ""
        result, rss = child(args.db, "switch", env)
        for kind, budget in (
            ("first", FIRST_SWITCH),
            ("back", SWITCH_BACK),
            ("again", SWITCH_BACK),
        ):
            for target, (seconds, cpu) in result[kind].items():
                label = f"switch to {target} ({kind}){suffix}"
                print(
                    f"{label:<34} {seconds * 1000:6.0f} ms  cpu {cpu * 1000:4.0f} ms  "
                    f"(budget {budget * 1000:.0f} ms)  {verdict(seconds, budget)}",
                    flush=True,
                )
        idle, idle_rss = child(args.db, "idle", env)
        print(f"idle board, 10 s{suffix}: {idle['cpu_share']:.1%} CPU  (budget ~0%)")
        top = max(peak.get(name, 0.0), rss, idle_rss)
        print(f"peak RSS of the TUI processes{suffix}: {top:.0f} MB (budget {RSS_MB} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
