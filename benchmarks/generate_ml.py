"""Add the ML side to a large benchmark workspace: runs, metric points, models, pipelines.

    python benchmarks/generate_ml.py --db /tmp/large.db [--runs 50000] [--points 500000]
                                     [--pipeline-runs 10000] [--seed 7]

Run after generate.py (which writes members, sprints, stories and their history). This fills
the mirror tables as `mlboard sync` and the lineage ingest would: runs over 20 experiments with
params, tags and latest metrics (a tenth of them linked to stories by tag, a quarter tagged
with the GPUs they used), metric histories for the linked runs (the cache the overfitting
checks read), model versions with aliases, and pipelines with their runs (failures and stale
ones among them).
Written with Core inserts in one transaction; refuses a database that already has runs.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from mlboard.store.engine import open_database, write_session
from mlboard.store.tables import (
    MetricHistory,
    MetricPoint,
    ModelVersion,
    Pipeline,
    PipelineRun,
    Run,
    Story,
    StoryRun,
)

EXPERIMENTS = [f"exp-{name}" for name in ("churn", "fraud", "recs", "ltv", "search")] + [
    f"exp-{i:02d}" for i in range(15)
]
METRICS = ("train_loss", "val_loss", "val_auc", "val_f1", "val_pr_auc")
URI = "sqlite:////bench/mlflow.db"
BATCH = 20_000


def chunks(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [rows[i : i + BATCH] for i in range(0, len(rows), BATCH)]


def run_rows(count: int, rng: random.Random, now: datetime, keys: list[str]) -> list[dict]:
    rows = []
    for index in range(count):
        start = now - timedelta(minutes=(count - index) * 7)
        status = rng.choices(("FINISHED", "FAILED", "KILLED", "RUNNING"), (90, 6, 2, 2))[0]
        end = None if status == "RUNNING" else start + timedelta(minutes=rng.randint(2, 240))
        tags = {"mlflow.user": f"user{index % 12}"}
        if index % 4 == 0:
            tags["mlboard.gpus"] = str(1 + index % 8)  # GPU-hours count these
        if index % 10 == 0 and keys:
            tags["mlboard.story"] = rng.choice(keys)
        auc = min(0.99, max(0.5, rng.gauss(0.8, 0.06)))
        rows.append(
            {
                "run_id": f"{index:032x}",
                "tracking_uri": URI,
                "experiment_id": str(index % len(EXPERIMENTS)),
                "experiment_name": EXPERIMENTS[index % len(EXPERIMENTS)],
                "run_name": f"run-{index}",
                "status": status,
                "user": tags["mlflow.user"],
                "start_time": start,
                "end_time": end,
                "deleted": index % 97 == 0,
                "parent_run_id": None,
                "params": {"lr": str(round(10 ** rng.uniform(-4, -1), 5)), "depth": str(index % 9)},
                "tags": tags,
                "metrics": {
                    "train_loss": round(rng.uniform(0.1, 0.6), 4),
                    "val_loss": round(rng.uniform(0.2, 0.8), 4),
                    "val_auc": round(auc, 4),
                    "val_f1": round(auc - 0.1, 4),
                    "val_pr_auc": round(auc - 0.25, 4),
                },
                "synced_at": now,
            }
        )
    return rows


def point_rows(run_pks: list[int], total: int, rng: random.Random) -> list[dict]:
    steps = max(1, total // (len(run_pks) * len(METRICS)))
    rows = []
    for run_pk in run_pks:
        turn = rng.randint(steps // 4, steps)  # where validation starts to worsen
        for key in METRICS:
            for step in range(steps):
                decay = math.exp(-step / (steps / 3))
                value = {
                    "train_loss": 0.1 + 0.6 * decay,
                    "val_loss": 0.25 + 0.5 * decay + (0.004 * (step - turn) if step > turn else 0),
                }.get(key, 0.9 - 0.3 * decay)
                rows.append(
                    {"run_pk": run_pk, "key": key, "step": step, "value": round(value, 5),
                     "timestamp_ms": 1_764_000_000_000 + step * 1000}
                )  # fmt: skip
    return rows


def pipeline_rows(count: int, now: datetime) -> list[dict]:
    return [
        {"namespace": "airflow", "name": f"dag_{i:03d}.task_{j}", "owner": f"data{i % 5}",
         "freshness_sla_hours": 24.0, "sensitivity": "internal" if i % 3 else "personal",
         "created_at": now}
        for i in range(count // 2) for j in range(2)
    ]  # fmt: skip


def pipeline_run_rows(pipeline_ids: list[int], count: int, rng: random.Random, now: datetime):
    rows = []
    for index in range(count):
        pipeline = pipeline_ids[index % len(pipeline_ids)]
        started = now - timedelta(hours=(count - index) * len(pipeline_ids) / count * 6)
        state = rng.choices(("success", "failed", "running", "aborted"), (88, 8, 2, 2))[0]
        rows.append(
            {"pipeline_id": pipeline, "external_run_id": f"pr-{index:08d}", "state": state,
             "started_at": started, "last_event_at": started,
             "ended_at": None if state == "running" else started + timedelta(minutes=20),
             "rows_out": rng.randint(1_000, 5_000_000) if state == "success" else None,
             "error_message": "OOM in stage 3" if state == "failed" else None, "facets": {}}
        )  # fmt: skip
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=50_000)
    parser.add_argument("--points", type=int, default=500_000)
    parser.add_argument("--pipeline-runs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    began = time.perf_counter()
    engine = open_database(str(args.db))
    now = datetime.now(UTC)
    with write_session(engine) as session:
        if session.execute(select(func.count()).select_from(Run)).scalar():
            print(f"{args.db} already has runs: generate a fresh workspace first")
            return 2
        stories = dict(session.execute(select(Story.key, Story.id)).all())
        connection = session.connection()
        for chunk in chunks(run_rows(args.runs, rng, now, list(stories))):
            connection.execute(insert(Run.__table__), chunk)
        runs = session.execute(select(Run.id, Run.tags)).all()
        linked = [(pk, stories[tags["mlboard.story"]]) for pk, tags in runs
                  if tags.get("mlboard.story") in stories]  # fmt: skip
        connection.execute(
            insert(StoryRun.__table__),
            [{"story_id": s, "run_pk": r, "how": "tag", "active": True, "actor": "bench",
              "created_at": now} for r, s in linked],
        )  # fmt: skip
        cached = [run_pk for run_pk, _ in linked[: max(1, args.points // (len(METRICS) * 50))]]
        for chunk in chunks(point_rows(cached, args.points, rng)):
            connection.execute(insert(MetricPoint.__table__), chunk)
        connection.execute(
            insert(MetricHistory.__table__),
            [{"run_pk": r, "key": k, "points": 50, "run_status": "FINISHED", "fetched_at": now}
             for r in cached for k in METRICS],
        )  # fmt: skip
        connection.execute(
            insert(ModelVersion.__table__),
            [{"tracking_uri": URI, "name": f"model-{i % 20}", "version": i // 20 + 1,
              "status": "READY", "run_id": f"{i * 37:032x}", "source": "", "description": "",
              "aliases": ["champion"] if i >= 180 else [], "created_at": now,
              "updated_at": now} for i in range(200)],
        )  # fmt: skip
        connection.execute(insert(Pipeline.__table__), pipeline_rows(100, now))
        pipelines = list(session.execute(select(Pipeline.id)).scalars())
        for chunk in chunks(pipeline_run_rows(pipelines, args.pipeline_runs, rng, now)):
            connection.execute(insert(PipelineRun.__table__), chunk)
    engine.dispose()
    print(
        f"added {args.runs} runs ({len(linked)} linked), {args.points} metric points "
        f"({len(cached)} runs), 200 model versions, {len(pipelines)} pipelines with "
        f"{args.pipeline_runs} runs in {time.perf_counter() - began:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
