"""The numbers behind planning and standups, on the scale workspace, against their budgets.

    python benchmarks/bench_analytics.py --db /tmp/mlboard-scale.db [--repeat 5]

Each figure is the service's own work in a warm process (start-up excluded, as the budgets
say), the median of `--repeat` calls: `plan --format json`'s plan, a 10,000-run Monte Carlo
forecast, and the standup digest.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path


def median_seconds(call: Callable[[], object], repeat: int) -> float:
    call()  # warm: imports, first queries, caches
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def line(label: str, seconds: float, budget: float) -> str:
    verdict = "OK" if seconds <= budget else "MISS"
    return f"{label:<52} {seconds * 1000:8.1f} ms   (budget {budget * 1000:.0f} ms)  {verdict}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from mlboard.analytics.forecast import Throughput, forecast_when
    from mlboard.config import load_settings
    from mlboard.services.planning.plan import make_plan
    from mlboard.services.standup.digest import standup_digest
    from mlboard.services.workspace import open_workspace

    workspace = open_workspace(load_settings(str(args.db)))
    history = Throughput(tuple([0, 1, 2, 0, 3, 1, 0, 2, 4, 1] * 3))
    rows = [
        line(
            "plan (5,000 stories, 40 sprints)",
            median_seconds(lambda: make_plan(workspace), args.repeat),
            0.300,
        ),
        line(
            "Monte Carlo forecast, 10,000 runs",
            median_seconds(
                lambda: forecast_when(history, 60, date(2026, 11, 30), runs=10_000, seed=1),
                args.repeat,
            ),
            0.100,
        ),
        line(
            "standup digest (5,000 stories, 50,000 runs)",
            median_seconds(lambda: standup_digest(workspace), args.repeat),
            0.200,
        ),
    ]
    workspace.close()
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
