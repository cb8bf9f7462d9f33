"""Killed (SIGKILL) at a chosen point — after the Nth commit, inside a transaction, inside the
schema's creation — a command leaves a sound database holding exactly what was committed
before the kill, and running it again converges to what an uninterrupted run gives.

`kill_points.py` runs the real command and kills it at the point asked; it writes a marker
first, so every test knows its kill landed where it wanted, not before or after.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from kill_points import rows
from processes import child_env

KILLER = Path(__file__).with_name("kill_points.py")
JIRA_HEADER = [
    "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Assignee", "Created",
    "Sprint", "Sprint", "Custom field (Story Points)", "Status Category",
]  # fmt: skip
STORY_ROWS = "SELECT key, title, kind, status, points FROM story"


def jira_export(path: Path, rows: int) -> None:
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


def mlboard(database: Path, *args: str, cwd: Path) -> None:
    """Run a command to its end."""
    result = subprocess.run(
        [sys.executable, "-m", "mlboard", "--db", str(database), *args],
        cwd=cwd,
        env=child_env(cwd, MLBOARD_USER="crash", MLBOARD_SYNC_PAGE_SIZE="10"),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def run_to(database: Path, *args: str, cwd: Path, point: list[str], queries=()) -> dict | None:
    """Run `mlboard --db DATABASE ARGS` under kill_points with `point` (e.g. ["--kill-after",
    "2"]); return where it died, or None for `--record` runs, which must finish."""
    marker = cwd / "killed.json"
    marker.unlink(missing_ok=True)
    command = [sys.executable, str(KILLER), "--database", str(database), "--marker", str(marker)]
    command += [part for query in queries for part in ("--query", query)]
    result = subprocess.run(
        [*command, *point, "--", "--db", str(database), *args],
        cwd=cwd,
        env=child_env(cwd, MLBOARD_USER="crash", MLBOARD_SYNC_PAGE_SIZE="10"),
        capture_output=True,
        text=True,
        check=False,
    )
    if point[0] == "--record":
        assert result.returncode == 0, result.stderr
        return None
    assert result.returncode == -9, f"never reached {point}: {result.stderr}"
    return json.loads(marker.read_text(encoding="utf-8"))


def sound(database: Path) -> bool:
    with closing(sqlite3.connect(database)) as connection:
        return connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def audit_verifies(database: Path, cwd: Path) -> None:
    mlboard(database, "audit", "verify", cwd=cwd)


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "jira.csv"
    jira_export(path, 500)
    return path


def test_an_import_killed_inside_its_transaction_leaves_nothing(tmp_path, export):
    database = tmp_path / "board.db"
    mlboard(database, "init", cwd=tmp_path)
    killed = run_to(database, "import", "jira", str(export), cwd=tmp_path,
                    point=["--kill-inside", "0:200"])  # fmt: skip
    assert (killed["commits"], killed["writes"]) == (0, 200)  # 200 statements into the import
    assert sound(database)
    assert rows(str(database), [STORY_ROWS])[STORY_ROWS] == []
    mlboard(database, "import", "jira", str(export), cwd=tmp_path)
    stories = rows(str(database), [STORY_ROWS])[STORY_ROWS]
    assert len(stories) == 500 and stories[0][:2] == ["CRASH-1", "Story 1, with a comma"]
    audit_verifies(database, tmp_path)


def test_an_import_killed_after_its_commit_keeps_it_all(tmp_path, export):
    clean = tmp_path / "clean.db"
    mlboard(clean, "import", "jira", str(export), cwd=tmp_path)
    database = tmp_path / "board.db"
    killed = run_to(database, "import", "jira", str(export), cwd=tmp_path,
                    point=["--kill-after", "1"])  # fmt: skip
    assert killed["commits"] == 1
    assert sound(database)
    expected = rows(str(clean), [STORY_ROWS])
    assert rows(str(database), [STORY_ROWS]) == expected
    mlboard(database, "import", "jira", str(export), cwd=tmp_path)  # again: nothing changes
    assert rows(str(database), [STORY_ROWS]) == expected
    audit_verifies(database, tmp_path)


def test_a_kill_while_the_schema_is_created_leaves_a_database_that_opens(tmp_path, export):
    database = tmp_path / "board.db"
    killed = run_to(database, "import", "jira", str(export), cwd=tmp_path,
                    point=["--kill-inside", "0:5"])  # fmt: skip
    assert killed["commits"] == 0 and killed["statement"].startswith("CREATE")
    assert sound(database)
    with closing(sqlite3.connect(database)) as connection:
        tables = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        assert tables.fetchall() == []  # the half-made schema was rolled back
    mlboard(database, "import", "jira", str(export), cwd=tmp_path)
    assert len(rows(str(database), [STORY_ROWS])[STORY_ROWS]) == 500


RUN_ROWS = "SELECT run_id, status, deleted, metrics FROM run"
LINK_ROWS = (
    "SELECT story.key, run.run_id, storyrun.active FROM storyrun "
    "JOIN story ON story.id = storyrun.story_id JOIN run ON run.id = storyrun.run_pk"
)
CURSOR_ROWS = "SELECT tracking_uri, last_start_ms, last_end_ms FROM synccursor"
SYNC_STATE = [RUN_ROWS, LINK_ROWS, CURSOR_ROWS]


@dataclass(frozen=True)
class SyncRun:
    """An MLflow store of 120 runs, a board of three stories before any sync, and the states an
    uninterrupted sync leaves after each of its commits (states[0]: before the first)."""

    args: tuple[str, ...]
    before: Path
    states: list[dict]


@pytest.fixture(scope="module")
def sync_run(tmp_path_factory: pytest.TempPathFactory) -> SyncRun:
    from mlflow_stores import empty_store

    folder = tmp_path_factory.mktemp("sync")
    store = empty_store(folder / "mlflow")
    for index in range(120):
        store.run("churn", f"run-{index}", story=f"ML-{index % 3 + 1}" if index % 2 else None,
                  start=index, metrics={"val_auc": 0.5 + index / 1000})  # fmt: skip
    before = folder / "before.db"
    for title in ("Churn", "Fraud", "Recs"):
        mlboard(before, "story", "add", title, cwd=folder)
    args = ("sync", "--tracking-uri", store.uri, "--no-history")
    clean, record = folder / "clean.db", folder / "states.jsonl"
    shutil.copy(before, clean)
    run_to(clean, *args, cwd=folder, point=["--record", str(record)], queries=SYNC_STATE)
    states = [rows(str(before), SYNC_STATE)]
    states += [json.loads(line)["rows"] for line in record.read_text().splitlines()]
    assert len(states[-1][RUN_ROWS]) == 120 and len(states[-1][LINK_ROWS]) == 60
    return SyncRun(args, before, states)


@pytest.mark.parametrize(
    "point", [["--kill-after", "2"], ["--kill-after", "6"], ["--kill-inside", "4:2"]],
    ids=["after-2nd-commit", "after-6th-commit", "inside-5th-transaction"],
)  # fmt: skip
def test_a_sync_killed_at_a_commit_keeps_exactly_the_pages_committed(sync_run, tmp_path, point):
    """Every page of runs is one transaction with the cursor it advances: killed after the
    Nth commit, or inside the N+1th, the board holds what an uninterrupted sync held after its
    Nth commit, and syncing again finishes the job."""
    database = tmp_path / "killed.db"
    shutil.copy(sync_run.before, database)
    killed = run_to(database, *sync_run.args, cwd=tmp_path, point=point, queries=SYNC_STATE)
    commits = int(point[1].split(":")[0])
    assert killed["commits"] == commits
    assert sound(database)
    expected = sync_run.states[commits]
    assert rows(str(database), SYNC_STATE) == expected
    assert 0 < len(expected[RUN_ROWS]) < 120  # the kill fell in the middle of the sync
    mlboard(database, *sync_run.args, cwd=tmp_path)
    final = rows(str(database), SYNC_STATE)
    assert (final[RUN_ROWS], final[LINK_ROWS]) == (
        sync_run.states[-1][RUN_ROWS],
        sync_run.states[-1][LINK_ROWS],
    )


PIPELINE_ROWS = "SELECT external_run_id, state, rows_out, error_message FROM pipelinerun"


@pytest.mark.parametrize("point", [["--kill-inside", "0:1"], ["--kill-after", "1"]],
                         ids=["inside", "after-commit"])  # fmt: skip
def test_an_ingest_killed_keeps_the_file_all_or_none(tmp_path, point):
    from datetime import UTC, datetime, timedelta
    from uuid import UUID

    started = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
    lines = []
    for index in range(1500):
        run = {"runId": str(UUID(int=index + 1))}
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
    mlboard(clean, "pipeline", "ingest", str(events), cwd=tmp_path)
    expected = rows(str(clean), [PIPELINE_ROWS])
    assert len(expected[PIPELINE_ROWS]) == 1500

    database = tmp_path / "board.db"
    mlboard(database, "init", cwd=tmp_path)
    killed = run_to(database, "pipeline", "ingest", str(events), cwd=tmp_path, point=point)
    assert sound(database)
    stored = rows(str(database), [PIPELINE_ROWS])
    assert stored == (expected if killed["commits"] else {PIPELINE_ROWS: []})
    mlboard(database, "pipeline", "ingest", str(events), cwd=tmp_path)
    assert rows(str(database), [PIPELINE_ROWS]) == expected
