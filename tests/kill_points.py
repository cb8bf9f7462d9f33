"""Run `mlboard ARGS` and kill it (SIGKILL) at a chosen point of its writes.

    python tests/kill_points.py --database DB [--query SQL]... [--record FILE]
        [--kill-after N | --kill-inside N:K] [--marker FILE] -- ARGS

`--kill-after N`: right after the N-th committed transaction. `--kill-inside N:K`: after the
K-th write statement (INSERT, UPDATE, DELETE, CREATE, ALTER, DROP) following N commits, i.e.
inside the next transaction, before it commits. Before dying the process writes `--marker`
(JSON: the commits and writes seen, the statement last run), so the test knows the kill landed
where it asked. `--record FILE` appends, after every commit, the rows each `--query` returns
from DB (read through a connection of its own): the states a killed run must stop at.

The points are found through SQLAlchemy's public events on the engines and sessions of DB (not
those of an MLflow store the command reads), so the command runs its real code, start to
finish, until the moment chosen.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "ALTER", "DROP")


def rows(database: str, queries: list[str]) -> dict[str, list[list[Any]]]:
    """What each query returns now, sorted; no rows while the table does not exist yet."""
    found: dict[str, list[list[Any]]] = {}
    with closing(sqlite3.connect(database)) as connection:
        for query in queries:
            try:
                found[query] = sorted(list(row) for row in connection.execute(query))
            except sqlite3.OperationalError as error:
                if "no such table" not in str(error):
                    raise
                found[query] = []
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", required=True)
    parser.add_argument("--query", action="append", default=[])
    parser.add_argument("--record")
    parser.add_argument("--kill-after", type=int)
    parser.add_argument("--kill-inside")
    parser.add_argument("--marker")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    inside = tuple(map(int, options.kill_inside.split(":"))) if options.kill_inside else None
    seen = {"commits": 0, "writes": 0, "statement": ""}

    def die() -> None:
        Path(options.marker).write_text(json.dumps(seen), encoding="utf-8")
        os.kill(os.getpid(), signal.SIGKILL)

    def ours(engine: Engine) -> bool:  # the board's database, not MLflow's own store
        return engine.url.database == str(Path(options.database).resolve())

    @event.listens_for(Session, "after_commit")
    def committed(session: Session) -> None:
        if not ours(session.get_bind().engine):
            return
        seen["commits"] += 1
        seen["writes"] = 0
        if options.record:
            state = {"commits": seen["commits"], "rows": rows(options.database, options.query)}
            with open(options.record, "a", encoding="utf-8") as record:
                record.write(json.dumps(state) + "\n")
        if seen["commits"] == options.kill_after:
            die()

    @event.listens_for(Engine, "after_cursor_execute")
    def executed(connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().split(" ", 1)[0].upper() not in WRITES or not ours(connection.engine):
            return
        seen["writes"] += 1
        seen["statement"] = " ".join(statement.split())[:80]
        if inside == (seen["commits"], seen["writes"]):
            die()

    sys.argv = ["mlboard", *options.args[options.args[:1] == ["--"] :]]
    from mlboard.launcher import main as mlboard

    mlboard()


if __name__ == "__main__":
    main()
