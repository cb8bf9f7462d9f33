"""MLflow sync against MLflow's own paging, on the same store, side by side.

    python benchmarks/bench_sync.py [--runs 2000] [--store /tmp/bench-mlflow] [--repeat 3]

Builds (once) a sqlite tracking store of `--runs` runs over 5 experiments, each with 3 metrics
of 50 steps and a few params and tags (a fifth of them tagged for a story). Then, in this one
process, it times:
  - MLflow's `search_runs` paging through every run (the baseline: what any reader must do),
  - mlboard's full sync into a fresh board database (budget: within 1.3x the baseline),
  - a re-sync with nothing new (budget: under 10% of the full sync).
Each figure is the median of `--repeat` rounds, each round on a fresh board database.
Last, the Experiments screen on a board holding those runs, whole process: `mlboard --db B
--screen experiments` in a terminal until the newest run shows (budget: 1.0 s).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from terminal import first_paint
from workspace import count_rows, first_data

EXPERIMENTS = 5
METRICS = ("train_loss", "val_loss", "val_auc")
STEPS = 50
T0 = 1_764_000_000_000


def build_store(folder: Path, runs: int) -> str:
    """A store of `runs` runs with metric histories, built with batched client calls."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    folder.mkdir(parents=True, exist_ok=True)
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    marker = folder / f"built-{runs}"
    if marker.exists():
        return uri
    client = MlflowClient(tracking_uri=uri)
    experiments = [
        client.create_experiment(f"bench-{i}", artifact_location=(folder / f"a{i}").as_uri())
        for i in range(EXPERIMENTS)
    ]
    for index in range(runs):
        start = T0 + index * 60_000
        tags = {"mlboard.story": f"ML-{index % 50 + 1}"} if index % 5 == 0 else {}
        run = client.create_run(
            experiments[index % EXPERIMENTS], start_time=start, tags=tags, run_name=f"r{index}"
        )
        metrics = [
            Metric(key, 1.0 / (step + 1 + index % 7), start + step * 1000, step)
            for key in METRICS
            for step in range(STEPS)
        ]
        params = [Param("lr", str(0.1 / (1 + index % 4))), Param("depth", str(index % 9))]
        client.log_batch(run.info.run_id, metrics=metrics, params=params,
                         tags=[RunTag("team", "bench")])  # fmt: skip
        client.set_terminated(run.info.run_id, end_time=start + 50_000)
    marker.touch()
    return uri


def page_through(uri: str) -> int:
    """What MLflow itself takes to read every run: search_runs, page by page."""
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    client = MlflowClient(tracking_uri=uri)
    ids = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ALL)]
    seen, token = 0, None
    while True:
        page = client.search_runs(
            ids, run_view_type=ViewType.ALL, max_results=1000, page_token=token
        )
        seen += len(page)
        token = page.token
        if not token:
            return seen


def board(folder: Path):  # type: ignore[no-untyped-def]
    from mlboard.config import Settings
    from mlboard.services.stories.records import create_story
    from mlboard.services.workspace import Workspace
    from mlboard.store.engine import open_database

    path = folder / "board.db"
    workspace = Workspace(open_database(str(path)), Settings(str(path), "bench", actor="bench"))
    for number in range(50):
        create_story(workspace, f"story {number + 1}")
    return workspace


def timed(function, *args):  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - began, result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--store", type=Path, default=Path("/tmp/bench-mlflow"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from mlboard.services.experiments.sync import sync

    began = time.perf_counter()
    uri = build_store(args.store / str(args.runs), args.runs)
    print(
        f"store: {args.runs} runs x {len(METRICS)} metrics x {STEPS} steps, "
        f"{EXPERIMENTS} experiments ({time.perf_counter() - began:.1f} s to build or find)"
    )
    timed(page_through, uri)  # warm both sides alike: imports, first connections, caches
    with tempfile.TemporaryDirectory() as scratch:
        warm = board(Path(scratch))
        sync(warm, uri)
        warm.close()
    baseline, full, again = [], [], []
    for _ in range(args.repeat):
        seconds, seen = timed(page_through, uri)
        baseline.append(seconds)
        with tempfile.TemporaryDirectory() as scratch:
            workspace = board(Path(scratch))
            seconds, result = timed(sync, workspace, uri)
            full.append(seconds)
            seconds, second = timed(sync, workspace, uri)
            again.append(seconds)
            workspace.close()
    base, sync_s, resync = (statistics.median(v) for v in (baseline, full, again))
    ratio, share = sync_s / base, resync / sync_s
    print(f"MLflow search_runs paging ({seen} runs)   {base:6.3f} s")
    print(
        f"mlboard full sync ({result.runs_added} added, {result.links_added} linked)"
        f"   {sync_s:6.3f} s   {ratio:4.2f}x paging   (budget 1.30x)  "
        f"{'OK' if ratio <= 1.3 else 'MISS'}"
    )
    print(
        f"mlboard re-sync, nothing new ({second.runs_added} added, {second.runs_updated} "
        f"updated)   {resync:6.3f} s   {share:5.1%} of full   (budget 10%)  "
        f"{'OK' if share < 0.10 else 'MISS'}"
    )
    experiments_screen(args.store / str(args.runs), uri, args.repeat)
    return 0


def experiments_screen(folder: Path, uri: str, repeat: int) -> None:
    """First paint of the Experiments screen on a board that mirrors the store (built once)."""
    from mlboard.services.experiments.sync import sync

    database = folder / "board.db"
    if not database.exists():
        workspace = board(folder)
        sync(workspace, uri)
        workspace.close()
    argv = [str(Path(sys.executable).parent / "mlboard"), "--db", str(database)]
    argv += ["--screen", "experiments"]
    newest = first_data(database, "experiments")
    first_paint(argv, newest)  # warm-up: the OS page cache
    paints = [first_paint(argv, newest) for _ in range(repeat)]
    seconds = statistics.median(paint.seconds for paint in paints)
    runs = count_rows(database, "run")
    print(
        f"Experiments screen ({runs} runs), launch to rows on screen   {seconds:6.3f} s   "
        f"(budget 1.0 s)  {'OK' if seconds <= 1.0 else 'MISS'}"
    )  # no RSS: a child forked from this process (MLflow loaded) starts at this one's peak


if __name__ == "__main__":
    sys.exit(main())
