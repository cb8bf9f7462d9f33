"""Every performance budget, measured on this machine, in one report.

    python benchmarks/run_all.py [--workspace /tmp/mlboard-scale.db] [--quick]
        [--demo-dir /tmp/bench-demo] [--peer-venv /tmp/mlboard-peers] [--checkout DIR ...]

Builds (once) the scale workspace — 5,000 stories with their history over 40 sprints, 50,000
runs, 500,000 metric points, 10,000 pipeline runs — then runs each benchmark script in its own
process and prints their figures, each against its budget. `--quick` runs fewer repetitions.
The first paint is compared with kanban-tui, installed once into `--peer-venv` (peers.py);
`--checkout` measures the start-up and screen figures of each checkout side by side.
Figures depend on the machine and on what else it is doing (the load average is printed).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from peers import DEFAULT_VENV
from workspace import ensure_scale_workspace

HERE = Path(__file__).resolve().parent


def run(script: str, *args: str) -> int:
    print(f"\n## {script} {' '.join(args)}".rstrip(), flush=True)
    began = time.perf_counter()
    code = subprocess.run([sys.executable, str(HERE / script), *args], check=False).returncode
    print(f"({script}: {time.perf_counter() - began:.0f} s, exit {code})", flush=True)
    return code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, default=Path("/tmp/mlboard-scale.db"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--demo-dir", type=Path, default=Path("/tmp/bench-demo"))
    parser.add_argument("--peer-venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--checkout", type=Path, action="append", default=[])
    args = parser.parse_args()
    repeat = "3" if args.quick else "5"
    checkouts = [option for path in args.checkout for option in ("--checkout", str(path))]
    print(f"mlboard benchmarks on {os.cpu_count()} CPUs; load average {os.getloadavg()}")
    ensure_scale_workspace(args.workspace)
    codes = [
        run(
            "bench_foundation.py",
            *("--db", str(args.workspace), "--runs", repeat, "--demo-dir", str(args.demo_dir)),
            *("--peer-venv", str(args.peer_venv), *checkouts),
        ),
        run("bench_screens.py", "--db", str(args.workspace), "--runs", "3", *checkouts),
        run("bench_analytics.py", "--db", str(args.workspace), "--repeat", repeat),
        run("bench_workbench.py", "--db", str(args.workspace), "--repeat", repeat),
        run("bench_sync.py", "--repeat", repeat),
        run("bench_drift.py"),
        run("bench_pipelines.py"),
        run("bench_audit.py", "--repeat", repeat),
    ]
    print(f"\nload average after: {os.getloadavg()}")
    return max(codes)


if __name__ == "__main__":
    sys.exit(main())
