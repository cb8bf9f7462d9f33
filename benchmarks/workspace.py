"""The scale workspace the benchmarks share, and what each screen shows of it first.

A workspace is built in two steps (`generate.py`: stories and their history; `generate_ml.py`:
runs, metric points, models and pipelines). A file left by the first step alone would make
every ML figure meaningless, so `ensure_scale_workspace` completes it instead of trusting it.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def read_only(db: Path) -> contextlib.closing[sqlite3.Connection]:
    """A read-only connection that is closed on leaving the `with` (sqlite3's own context
    manager only commits)."""
    return contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True))


def count_rows(db: Path, table: str) -> int:
    with read_only(db) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def ensure_scale_workspace(db: Path) -> None:
    """Build whichever step of the 5,000-story, 50,000-run workspace `db` still lacks."""
    if not db.exists():
        print(f"{db} is missing: generating it", flush=True)
        generate = [sys.executable, str(HERE / "generate.py"), "--stories", "5000"]
        subprocess.run([*generate, "--sprints", "40", "--out", str(db)], check=True)
    if count_rows(db, "run") == 0:
        print(f"{db} has no runs: adding the ML side", flush=True)
        subprocess.run([sys.executable, str(HERE / "generate_ml.py"), "--db", str(db)], check=True)


def _any_of(texts: list[str], after: str = "") -> re.Pattern[bytes]:
    if not texts:
        raise ValueError("nothing to wait for: the workspace is empty")
    alternatives = "|".join(re.escape(text) for text in texts)
    return re.compile(f"(?:{alternatives}){after}".encode())


def first_data(db: Path, screen: str) -> re.Pattern[bytes]:
    """Text that `screen` shows only once its data is on screen (read straight from SQLite).

    board: a card's first line (`KEY  kind`); experiments: the newest run's name; models: a
    registered model's name; standup: a member's name in the person panel.
    """
    with read_only(db) as connection:
        if screen == "board":
            rows = connection.execute(
                "SELECT story.key, story.kind FROM story JOIN sprint ON story.sprint_id = sprint.id"
                " WHERE sprint.state = 'active'"
            ).fetchall()
            return _any_of([f"{key}  {kind}" for key, kind in rows])
        if screen == "experiments":
            rows = connection.execute(
                "SELECT coalesce(nullif(run_name, ''), substr(run_id, 1, 12)) FROM run"
                " WHERE NOT deleted ORDER BY start_time DESC LIMIT 1"
            ).fetchall()
            return _any_of([name[:20] for (name,) in rows])
        if screen == "models":
            rows = connection.execute("SELECT DISTINCT name FROM modelversion").fetchall()
            return _any_of([name[:20] for (name,) in rows])
        if screen == "standup":
            rows = connection.execute("SELECT name FROM member WHERE active").fetchall()
            return _any_of([name for (name,) in rows])
    raise ValueError(f"no first-data text known for the {screen} screen")


def story_in(db: Path, status: str) -> str:
    """The key of a story of the active sprint in `status` (one a benchmark can move and back)."""
    with read_only(db) as connection:
        row = connection.execute(
            "SELECT story.key FROM story JOIN sprint ON story.sprint_id = sprint.id"
            " WHERE sprint.state = 'active' AND story.status = ? ORDER BY story.id LIMIT 1",
            (status,),
        ).fetchone()
    if row is None:
        raise ValueError(f"no story in {status} in the active sprint of {db}")
    return str(row[0])
