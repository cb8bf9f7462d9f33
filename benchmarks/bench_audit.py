"""`mlboard audit verify` on a board with 100,000 audit entries (budget: under 5 s).

    python benchmarks/bench_audit.py [--entries 100000] [--repeat 3] [--keep PATH]

The board is `generate.py`'s simulated team (stories with their history over 40 sprints),
written in bulk, sized so that its rows reach `--entries`. One ordinary write through mlboard
(adding a member) then finds a board without keyed entries and records its baseline: one keyed
entry per story, event, member and sprint, through the store's own `append`. So the trail holds
the entries a real board would (the chain, the HMAC, the row of each), and `verify` does all its
work: the chain, each entry's HMAC, the head against the checkpoint, and the replay compared
with every row of the audited tables.

Reported: `verify_audit` in this process (median of `--repeat`), and the whole
`mlboard --db DB audit verify` process (median of `--repeat`, after one untimed run), which is
the figure the budget is for, with the CPU time it used (on a busy machine, what the wall clock
would be with the machine to itself). The key comes from MLBOARD_AUDIT_KEY and the checkpoint
goes to a temporary data folder, so nothing is written to this user's own folders.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from generate import simulate, write

BUDGET_S = 5.0
NOW = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
ENTRIES_PER_STORY = 10.8  # the story's row and its events, as the generator makes them (~9.8)


def build(path: Path, entries: int) -> int:
    """Write the board in bulk, then one audited write records its baseline; the entry count."""
    from sqlalchemy import func, select

    from mlboard.config import Settings
    from mlboard.services.members import add_member
    from mlboard.services.workspace import Workspace
    from mlboard.store.engine import open_database
    from mlboard.store.tables import AuditEntry

    stories = max(1, round(entries / ENTRIES_PER_STORY))
    began = time.perf_counter()
    engine = open_database(str(path))
    write(engine, simulate(stories, 40, 12, seed=7, now=NOW))
    workspace = Workspace(engine, Settings(str(path), "bench", actor="bench"))
    add_member(workspace, "auditor", "Auditor")
    with workspace.reading() as session:
        count = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
    workspace.close()
    print(f"board: {stories:,} stories, {count:,} audit entries, built in "
          f"{time.perf_counter() - began:.1f} s ({path.stat().st_size / 1e6:.0f} MB)")  # fmt: skip
    return count


def in_process(path: Path, repeat: int) -> list[float]:
    from mlboard.config import Settings
    from mlboard.services.audit import verify_audit
    from mlboard.services.workspace import Workspace
    from mlboard.store.engine import open_database

    workspace = Workspace(open_database(str(path)), Settings(str(path), "bench", actor="bench"))
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = verify_audit(workspace)
        times.append(time.perf_counter() - began)
        if not result.ok:
            print("  verify found:", *(f.message for f in result.findings), sep="\n    ")
    workspace.close()
    return times


def whole_process(path: Path, repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock times, and the CPU time (user + system) each run took: on a busy machine
    the CPU figure shows what the wall clock would be with the machine to itself."""
    command = [sys.executable, "-m", "mlboard", "--db", str(path), "audit", "verify"]
    subprocess.run(command, check=False, capture_output=True)  # warm the page cache
    times, cpu = [], []
    for _ in range(repeat):
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        done = subprocess.run(command, check=False, capture_output=True, text=True)
        times.append(time.perf_counter() - began)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime)
        if done.returncode != 0:
            print(f"  exit {done.returncode}: {done.stdout.strip()} {done.stderr.strip()}")
    return times, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="build the board here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["MLBOARD_AUDIT_KEY"] = "benchmark key"
        os.environ["XDG_DATA_HOME"] = str(Path(scratch) / "data")
        path = (args.keep or Path(scratch) / "board.db").resolve()
        path.unlink(missing_ok=True)
        count = build(path, args.entries)
        inside = statistics.median(in_process(path, args.repeat))
        print(f"verify_audit, {count:,} entries, in-process   {inside:6.2f} s")
        times, cpu = whole_process(path, args.repeat)
        whole = statistics.median(times)
        verdict = "OK" if whole < BUDGET_S else "MISS"
        print(f"mlboard audit verify, {count:,} entries   {whole:6.2f} s   "
              f"(budget {BUDGET_S:.0f} s)  {verdict}   cpu {statistics.median(cpu):.2f} s, "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
