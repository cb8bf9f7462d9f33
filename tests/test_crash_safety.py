"""Killed at any moment (SIGKILL), a command leaves a sound database with no half-written
action, and running it again converges to the rows an uninterrupted run gives."""

from __future__ import annotations

import csv
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

KILLS = 20
JIRA_HEADER = [
    "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Assignee", "Created",
    "Sprint", "Sprint", "Custom field (Story Points)", "Status Category",
]  # fmt: skip


def jira_export(path: Path, rows: int) -> None:
    """A Jira export big enough that importing it takes a noticeable moment."""
    rng = random.Random(3)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(JIRA_HEADER)
        for number in range(1, rows + 1):
            category = rng.choice(["To Do", "In Progress", "Done"])
            writer.writerow(
                [f"Story {number}, with a comma", f"CRASH-{number}", str(10_000 + number),
                 rng.choice(["Story", "Bug", "Task"]), category, f"Person {number % 7}",
                 "22/Sep/25 9:26 AM", f"Sprint {number % 5}", f"Sprint {number % 5 + 1}",
                 str(rng.choice([1, 2, 3, 5, 8])), category]
            )  # fmt: skip


def user_environment(cwd: Path) -> dict[str, str]:
    """One user, whose home (and so audit key and checkpoints) is `cwd`."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(cwd),
        "MLBOARD_USER": "crash",
        **{k: v for k, v in os.environ.items() if k.startswith("MLBOARD_SYNC")},
    }


def mlboard(*args: str, cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "mlboard", *args],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=user_environment(cwd),
    )


def finish(*args: str, cwd: Path) -> None:
    assert mlboard(*args, cwd=cwd).wait(timeout=300) == 0


def kill_at_random(args: tuple[str, ...], cwd: Path, rng: random.Random, longest: float) -> None:
    process = mlboard(*args, cwd=cwd)
    time.sleep(rng.uniform(0, longest))
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)


def sound(database: Path) -> bool:
    with sqlite3.connect(database) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def table(database: Path, query: str) -> list[tuple]:
    """The rows of `query`; none while a killed first run had not yet created the schema."""
    with sqlite3.connect(database) as connection:
        try:
            return sorted(connection.execute(query).fetchall())
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return []
            raise


STORY_ROWS = "SELECT key, title, kind, status, points FROM story"
AUDIT_OK = [sys.executable, "-m", "mlboard"]


@pytest.mark.parametrize("rows", [500])
def test_import_killed_at_random_points(tmp_path, rows):
    export = tmp_path / "jira.csv"
    jira_export(export, rows)
    clean = tmp_path / "clean.db"
    began = time.monotonic()
    finish("--db", str(clean), "import", "jira", str(export), cwd=tmp_path)
    longest = time.monotonic() - began
    expected = table(clean, STORY_ROWS)
    assert len(expected) == rows

    database = tmp_path / "killed.db"
    rng = random.Random(11)
    for _ in range(KILLS):
        kill_at_random(("--db", str(database), "import", "jira", str(export)), tmp_path, rng,
                       longest)  # fmt: skip
        if database.exists():
            assert sound(database)
            stories = table(database, STORY_ROWS)
            assert stories in ([], expected)  # all of the import or none of it
    finish("--db", str(database), "import", "jira", str(export), cwd=tmp_path)
    assert table(database, STORY_ROWS) == expected
    assert sound(database)
    result = subprocess.run(
        [*AUDIT_OK, "--db", str(database), "audit", "verify"],
        capture_output=True, text=True, cwd=tmp_path, env=user_environment(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


RUN_ROWS = "SELECT run_id, status, deleted, metrics FROM run"
LINK_ROWS = (
    "SELECT story.key, run.run_id, storyrun.active FROM storyrun "
    "JOIN story ON story.id = storyrun.story_id JOIN run ON run.id = storyrun.run_pk"
)


def test_sync_killed_at_random_points(tmp_path, monkeypatch):
    from mlflow_stores import empty_store

    store = empty_store(tmp_path / "mlflow")
    for index in range(120):
        store.run("churn", f"run-{index}", story=f"ML-{index % 3 + 1}" if index % 2 else None,
                  start=index, metrics={"val_auc": 0.5 + index / 1000})  # fmt: skip
    monkeypatch.setenv("MLBOARD_SYNC_PAGE_SIZE", "10")  # twelve commits per sync

    def board(name: str) -> Path:
        database = tmp_path / name
        for title in ("Churn", "Fraud", "Recs"):
            finish("--db", str(database), "story", "add", title, cwd=tmp_path)
        return database

    sync_args = ("sync", "--tracking-uri", store.uri, "--no-history")
    clean = board("clean.db")
    began = time.monotonic()
    finish("--db", str(clean), *sync_args, cwd=tmp_path)
    longest = time.monotonic() - began
    expected = (table(clean, RUN_ROWS), table(clean, LINK_ROWS))
    assert len(expected[0]) == 120 and len(expected[1]) == 60

    database = board("killed.db")
    rng = random.Random(5)
    for _ in range(KILLS):
        kill_at_random(("--db", str(database), *sync_args), tmp_path, rng, longest)
        assert sound(database)
        # no half-written page: every stored tagged run has its link, and no link lacks its run
        runs = {run_id for run_id, *_ in table(database, RUN_ROWS)}
        tagged = {run_id for _, run_id, _ in expected[1]}
        linked = {run_id for _, run_id, _ in table(database, LINK_ROWS)}
        assert linked == runs & tagged
    finish("--db", str(database), *sync_args, cwd=tmp_path)
    assert (table(database, RUN_ROWS), table(database, LINK_ROWS)) == expected


PIPELINE_ROWS = "SELECT external_run_id, state, rows_out, error_message FROM pipelinerun"


def test_ingest_killed_at_random_points(tmp_path):
    import json
    import uuid
    from datetime import UTC, datetime, timedelta

    started = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    lines = []
    for index in range(1500):
        run = {"runId": str(uuid.UUID(int=index + 1))}
        job = {"namespace": "airflow", "name": f"job_{index % 25}"}
        for offset, kind in ((0, "START"), (5, "COMPLETE" if index % 7 else "FAIL")):
            lines.append(json.dumps({
                "eventType": kind,
                "eventTime": (started + timedelta(minutes=index + offset)).isoformat(),
                "run": run, "job": job, "producer": "https://example.com/crash",
                "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json",
            }))  # fmt: skip
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(lines) + "\n", encoding="utf-8")
    clean = tmp_path / "clean.db"
    began = time.monotonic()
    finish("--db", str(clean), "pipeline", "ingest", str(events), cwd=tmp_path)
    longest = time.monotonic() - began
    expected = table(clean, PIPELINE_ROWS)
    assert len(expected) == 1500

    database = tmp_path / "killed.db"
    rng = random.Random(17)
    for _ in range(KILLS):
        kill_at_random(("--db", str(database), "pipeline", "ingest", str(events)), tmp_path,
                       rng, longest)  # fmt: skip
        if database.exists():
            assert sound(database)
            assert table(database, PIPELINE_ROWS) in ([], expected)  # the file, all or none
    finish("--db", str(database), "pipeline", "ingest", str(events), cwd=tmp_path)
    assert table(database, PIPELINE_ROWS) == expected
