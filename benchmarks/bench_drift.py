"""A drift check on 100,000 rows x 20 columns, in process and as a whole CLI process.

    python benchmarks/bench_drift.py [--rows 100000] [--data /tmp/bench-drift] [--repeat 3]

Builds (once per --rows) a reference and a current table of `--rows` rows each, as CSV and as
Parquet: 12 float measurements, 3 counts, 3 categories (4-12 values) and 2 flags. Six columns
drift in the current table. With more than 1,000 reference rows every column gets the
Wasserstein or Jensen-Shannon test. Then it times:
  - `run_drift_check` in this process: read both files, compare, store one DriftReport (budget
    3 s), and how that splits into reading, `check_drift` and the rest;
  - `mlboard drift check REF CUR --format json` as a new process, from launch to exit: Python
    start-up, imports, reading, comparing, storing, printing (budget 3 s), on an existing board
    (a copy of one made beforehand, so no round pays for creating the database).
Each figure is the median of `--repeat` rounds. Every round uses a fresh board database. CPU
seconds are printed beside wall time: on a busy machine they are the steadier figure.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BUDGET_S = 3.0


def build(folder: Path, rows: int) -> dict[str, tuple[Path, Path]]:
    """CSV and Parquet pairs of `rows` rows x 20 columns; six columns drift in current."""
    import numpy as np
    import pandas as pd

    folder.mkdir(parents=True, exist_ok=True)
    pairs = {
        kind: (folder / f"reference-{rows}.{kind}", folder / f"current-{rows}.{kind}")
        for kind in ("csv", "parquet")
    }
    if all(path.exists() for pair in pairs.values() for path in pair):
        return pairs

    def table(seed: int, drift: bool) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        columns: dict[str, object] = {}
        for index in range(12):
            shift = 0.5 if drift and index < 3 else 0.0  # three measurements drift
            columns[f"x{index:02d}"] = rng.normal(10 * index + shift * (index + 1), index + 1, rows)
        for index in range(3):
            lam = 2.0 + index + (1.5 if drift and index == 0 else 0.0)  # one count drifts
            columns[f"count{index}"] = rng.poisson(lam, rows)
        for index, size in enumerate((4, 8, 12)):
            weights = np.linspace(1.0, 2.0 if drift and index == 1 else 1.0, size)  # one drifts
            labels = [f"c{index}_{value}" for value in range(size)]
            columns[f"cat{index}"] = rng.choice(labels, rows, p=weights / weights.sum())
        columns["flag0"] = (rng.random(rows) < (0.45 if drift else 0.3)).astype(int)  # drifts
        columns["flag1"] = (rng.random(rows) < 0.1).astype(int)
        return pd.DataFrame(columns)

    for name, frame in (("reference", table(1, False)), ("current", table(2, True))):
        frame.to_csv(folder / f"{name}-{rows}.csv", index=False)
        frame.to_parquet(folder / f"{name}-{rows}.parquet", index=False)
    return pairs


def workspace(folder: Path):  # type: ignore[no-untyped-def]
    from mlboard.config import Settings
    from mlboard.services.workspace import Workspace
    from mlboard.store.engine import open_database

    path = folder / "board.db"
    return Workspace(open_database(str(path)), Settings(str(path), "bench", actor="bench"))


def in_process(reference: Path, current: Path) -> tuple[float, float, float, float, object]:
    """Seconds for the whole service call, for reading both files, for check_drift alone, and
    the CPU seconds of the service call."""
    from mlboard.analytics.drift import check_drift
    from mlboard.analytics.drift_files import read_table
    from mlboard.services.drift import run_drift_check

    began = time.perf_counter()
    frames = read_table(reference), read_table(current)
    reading = time.perf_counter() - began
    began = time.perf_counter()
    check_drift(*frames)
    checking = time.perf_counter() - began
    with tempfile.TemporaryDirectory() as scratch:
        ws = workspace(Path(scratch))
        began, cpu = time.perf_counter(), time.process_time()
        stored = run_drift_check(ws, reference, current, model="bench")
        total, cpu = time.perf_counter() - began, time.process_time() - cpu
        ws.close()
    return total, reading, checking, cpu, stored


def whole_process(reference: Path, current: Path, board: Path) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of `mlboard drift check` as a new process, on a
    copy of `board` (an existing, up-to-date board, as a user has)."""
    with tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "board.db"
        shutil.copy(board, database)
        command = [sys.executable, "-m", "mlboard", "--db", str(database)]
        command += ["drift", "check", str(reference), str(current), "--format", "json"]
        env = {**os.environ, "MLBOARD_USER": "bench"}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        seconds = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if result.returncode != 0:
        raise SystemExit(f"mlboard drift check failed: {result.stderr.strip()}")
    return seconds, cpu


def verdict(seconds: float) -> str:
    return f"(budget {BUDGET_S:.1f} s)  {'OK' if seconds < BUDGET_S else 'MISS'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--data", type=Path, default=Path("/tmp/bench-drift"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    began = time.perf_counter()
    pairs = build(args.data, args.rows)
    print(
        f"data: {args.rows:,} rows x 20 columns per table, CSV "
        f"{sum(p.stat().st_size for p in pairs['csv']) / 1e6:.1f} MB, Parquet "
        f"{sum(p.stat().st_size for p in pairs['parquet']) / 1e6:.1f} MB "
        f"({time.perf_counter() - began:.1f} s to build or find)"
    )
    in_process(*pairs["csv"])  # warm: imports, page cache
    scratch = tempfile.TemporaryDirectory()
    board = Path(scratch.name) / "board.db"
    workspace(Path(scratch.name)).close()  # created and migrated once, copied for each round
    for kind, (reference, current) in pairs.items():
        rounds = [in_process(reference, current) for _ in range(args.repeat)]
        total, reading, checking, cpu = (statistics.median(r[i] for r in rounds) for i in range(4))
        stored = rounds[-1][4]
        drifted = sum(1 for c in stored.result.columns if c.drifted)  # type: ignore[attr-defined]
        print(
            f"{kind:8s} service call, run_drift_check   {total:6.3f} s   {verdict(total)}"
            f"   CPU {cpu:6.3f} s\n"
            f"{'':8s}   read both files {reading:6.3f} s, check_drift {checking:6.3f} s, "
            f"{drifted}/20 columns drifted"
        )
        processes = [whole_process(reference, current, board) for _ in range(args.repeat)]
        process, cpu = (statistics.median(p[i] for p in processes) for i in range(2))
        print(
            f"{kind:8s} whole CLI process                {process:6.3f} s   {verdict(process)}"
            f"   CPU {cpu:6.3f} s"
        )
    scratch.cleanup()
    print(f"load average after:  {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
