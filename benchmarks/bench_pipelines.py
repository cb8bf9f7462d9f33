"""OpenLineage ingest: a 10,000-event file, and the HTTP receiver under a steady local load.

    python benchmarks/bench_pipelines.py [--runs 5000] [--jobs 50] [--rate 200] [--seconds 10]
                                         [--workers 8] [--repeat 3]

1. File: `--runs` runs over `--jobs` jobs, a START and a COMPLETE each (10,000 events by
   default), written as JSON lines; the figure is `ingest_payload` on the file's bytes (parse,
   validate, store in one transaction) into a fresh board database, the median of `--repeat`
   rounds (budget: under 5 s). Ingesting the same file again (every event a repeat) is shown too.
2. HTTP: `mlboard pipeline serve`'s server in a thread on 127.0.0.1 (a free port), and in this
   same process `--workers` client threads posting one event per request (as the OpenLineage
   HTTP transport does, over keep-alive connections), paced to `--rate` requests per second for
   `--seconds`. Every tenth request re-sends an earlier event, as a client retry would. Reported:
   the achieved rate, latency percentiles, errors, and whether the stored runs are exactly the
   ones sent (none lost, none duplicated, all finished). The client shares this process's GIL
   with the server, so the figure is a floor for the server alone.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

T0 = datetime(2026, 11, 1, tzinfo=UTC)
FILE_BUDGET_S = 5.0


def events_for(runs: int, jobs: int, seed: int = 0) -> list[dict]:
    """START/COMPLETE pairs, jobs in turn, with row counts and a parent for a third of them."""
    events = []
    for index in range(runs):
        run_id = str(uuid.UUID(int=(seed << 64) + index + 1, version=4))
        job = {"namespace": "bench", "name": f"job-{index % jobs:02d}"}
        start = T0 + timedelta(minutes=index)
        base = {"run": {"runId": run_id, "facets": {}}, "job": job, "producer": "bench"}
        events.append({"eventType": "START", "eventTime": start.isoformat(), **base})
        complete = json.loads(json.dumps(base))
        complete["outputs"] = [
            {"namespace": "s3://lake", "name": job["name"],
             "outputFacets": {"outputStatistics": {"rowCount": 1000 + index}}}
        ]  # fmt: skip
        complete.update(eventType="COMPLETE", eventTime=(start + timedelta(seconds=30)).isoformat())
        events.append(complete)
    return events


def workspace_in(folder: Path):  # type: ignore[no-untyped-def]
    from mlboard.config import Settings
    from mlboard.services.workspace import Workspace
    from mlboard.store.engine import open_database

    path = folder / "board.db"
    return Workspace(open_database(str(path)), Settings(str(path), "bench", actor="bench"))


def counts(workspace) -> tuple[int, int, set[str | None]]:  # type: ignore[no-untyped-def]
    from sqlmodel import func, select

    from mlboard.store.tables import LineageEventSeen, PipelineRun

    with workspace.reading() as session:
        runs = session.exec(select(func.count()).select_from(PipelineRun)).one()
        seen = session.exec(select(func.count()).select_from(LineageEventSeen)).one()
        states = set(session.exec(select(PipelineRun.state).distinct()).all())
    return runs, seen, states


def run_states(workspace) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    from sqlmodel import select

    from mlboard.store.tables import PipelineRun

    with workspace.reading() as session:
        rows = session.exec(select(PipelineRun.external_run_id, PipelineRun.state)).all()
    return dict(rows)


def bench_file(args: argparse.Namespace) -> None:
    from mlboard.services.data.lineage_ingest import ingest_payload

    events = events_for(args.runs, args.jobs)
    data = ("\n".join(json.dumps(e) for e in events) + "\n").encode()
    print(f"file: {len(events):,} events ({args.runs:,} runs, {args.jobs} jobs), "
          f"{len(data) / 1e6:.1f} MB of JSON lines")  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:  # warm: imports, first connection
        warm = workspace_in(Path(scratch))
        ingest_payload(warm, data[: len(data) // 50], "warm")
        warm.close()
    first, again = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as scratch:
            workspace = workspace_in(Path(scratch))
            began = time.perf_counter()
            result = ingest_payload(workspace, data, "bench.jsonl")
            first.append(time.perf_counter() - began)
            began = time.perf_counter()
            repeat = ingest_payload(workspace, data, "bench.jsonl")
            again.append(time.perf_counter() - began)
            runs, seen, states = counts(workspace)
            workspace.close()
    median = statistics.median(first)
    print(
        f"ingest file ({result.applied:,} applied, {result.runs_added:,} runs, "
        f"{result.pipelines_added} pipelines)   {median:6.3f} s   (budget {FILE_BUDGET_S:.0f} s)  "
        f"{'OK' if median < FILE_BUDGET_S else 'MISS'}"
    )
    print(f"ingest the same file again ({repeat.repeated:,} repeats, {repeat.applied} applied)"
          f"   {statistics.median(again):6.3f} s")  # fmt: skip
    exact = (runs, seen, states) == (args.runs, len(events), {"success"})
    print(f"stored: {runs:,} runs, {seen:,} events seen, states {sorted(map(str, states))}  "
          f"{'OK' if exact else 'WRONG'}")  # fmt: skip


def bench_http(args: argparse.Namespace) -> None:
    import requests

    from mlboard.services.data.lineage_server import PATH, make_server

    total = int(args.rate * args.seconds)
    fresh = iter(events_for(total, args.jobs, seed=1))
    pick = random.Random(7)
    plan: list[dict] = []
    for index in range(total):  # every tenth request re-sends an earlier event
        plan.append(plan[pick.randrange(len(plan))] if index % 10 == 9 else next(fresh))
    expected: dict[str, str] = {}
    for event in plan:
        finished = event["eventType"] == "COMPLETE"
        if finished or event["run"]["runId"] not in expected:
            expected[event["run"]["runId"]] = "success" if finished else "running"
    sent_events = {(e["run"]["runId"], e["eventType"]) for e in plan}
    bodies = [json.dumps(e).encode() for e in plan]

    with tempfile.TemporaryDirectory() as scratch:
        workspace = workspace_in(Path(scratch))
        server = make_server(workspace, "127.0.0.1", 0)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = server.url + PATH
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        next_index = iter(range(total))
        began = time.perf_counter()

        def worker() -> None:
            session = requests.Session()
            headers = {"Content-Type": "application/json"}
            while True:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    return
                due = began + index / args.rate
                if (wait := due - time.perf_counter()) > 0:
                    time.sleep(wait)
                sent = time.perf_counter()
                try:
                    response = session.post(url, data=bodies[index], headers=headers, timeout=10)
                    failed = None if response.status_code == 200 else f"{response.status_code}"
                except requests.RequestException as error:
                    failed = type(error).__name__
                with lock:
                    latencies.append(time.perf_counter() - sent)
                    if failed:
                        errors.append(failed)

        workers = [threading.Thread(target=worker) for _ in range(args.workers)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        elapsed = time.perf_counter() - began
        server.shutdown()
        server.server_close()
        _, seen, _ = counts(workspace)
        stored = run_states(workspace)
        workspace.close()

    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    achieved = total / elapsed
    print(
        f"http: {total:,} requests ({len(sent_events):,} distinct events of {len(expected):,} "
        f"runs), {args.workers} client threads, target {args.rate:g}/s for {args.seconds:g} s"
    )
    print(
        f"achieved {achieved:6.1f} requests/s over {elapsed:5.2f} s   (target {args.rate:g}/s)  "
        f"{'OK' if achieved >= 0.95 * args.rate else 'MISS'}"
    )
    print(f"latency p50 {pct(0.50):5.1f} ms, p95 {pct(0.95):5.1f} ms, p99 {pct(0.99):5.1f} ms, "
          f"max {ordered[-1] * 1000:5.1f} ms")  # fmt: skip
    print(f"errors: {len(errors)}" + (f" ({', '.join(sorted(set(errors)))})" if errors else "")
          + ("  OK" if not errors else "  MISS"))  # fmt: skip
    exact = stored == expected and seen == len(sent_events)
    print(
        f"stored: {len(stored):,} runs (sent {len(expected):,}), {seen:,} events seen "
        f"(sent {len(sent_events):,} distinct), every run in the state its events say  "
        f"{'OK: none lost or duplicated' if exact else 'WRONG'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if min(args.runs, args.jobs, args.workers, args.repeat) < 1 or not 0 < args.rate <= 2000:
        parser.error("counts must be positive and --rate at most 2000 (a local load, bounded)")
    if not 0 < args.seconds <= 60:
        parser.error("--seconds must be from 0 to 60")
    bench_file(args)
    bench_http(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
