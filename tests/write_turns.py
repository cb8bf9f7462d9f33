"""Watch writers take turns on the write lock, so a race test can force the overlap it is about
and prove it happened, instead of hoping a sleep lined the threads up.

A write transaction takes the lock with one statement (SQLite's `BEGIN IMMEDIATE`, PostgreSQL's
`pg_advisory_xact_lock`): the engine's cursor events around that statement show a writer *ask*
for the lock and then *hold* it, and its `commit` event marks the holder letting go. On
PostgreSQL a writer waiting for the advisory lock is also visible in `pg_locks`, so the test can
wait for that before letting go.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event, text

from mlboard.store.engine import writer

WAIT = 60.0  # seconds: only a hang guard, never a way to line threads up


class WriteTurns:
    def __init__(self, engine: Engine) -> None:
        self.log: list[tuple[str, str]] = []  # (thread name, "asks" | "holds" | "commits")
        self._engine = engine
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], threading.Event] = {}
        self._held: dict[str, str] = {}  # thread -> the thread whose ask it waits for to commit

    def hold_commit(self, holder: str, until_asked_by: str) -> None:
        """`holder`'s next commit waits until `until_asked_by` asks for the lock (and, on
        PostgreSQL, is seen waiting for it): the overlap a race test is about, made certain."""
        self._held[holder] = until_asked_by

    def _committing(self) -> None:
        other = self._held.pop(threading.current_thread().name, None)
        if other is not None:
            self.wait_for(other, "asks")
            self.wait_until_blocked()
        self._record("commits")

    def _record(self, what: str) -> None:
        """Log a step of the current thread's transaction; a later lock statement inside the
        same transaction (the audit chain's own, on PostgreSQL) is not a new turn."""
        name = threading.current_thread().name
        with self._lock:
            steps = self.of(name)
            last = steps[-1] if steps else "commits"
            if (last, what) not in (("commits", "asks"), ("asks", "holds"), ("holds", "commits")):
                return
            self.log.append((name, what))
            self._seen.setdefault((name, what), threading.Event()).set()

    def wait_for(self, name: str, what: str) -> None:
        with self._lock:
            seen = self._seen.setdefault((name, what), threading.Event())
        assert seen.wait(WAIT), f"{name} never {what}: {self.log}"

    def of(self, name: str) -> list[str]:
        return [what for who, what in self.log if who == name]

    def wait_until_blocked(self) -> None:
        """On PostgreSQL: until a writer waits for the advisory lock (SQLite's busy wait is
        invisible, so there the order of events is all a test can check)."""
        if self._engine.dialect.name != "postgresql":
            return
        waiting = text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
        done = threading.Event()
        with self._engine.connect() as connection:
            for _ in range(int(WAIT / 0.01)):
                if connection.execute(waiting).scalar():
                    return
                connection.rollback()  # a fresh snapshot of pg_locks on the next look
                done.wait(0.01)  # polling a condition the database shows, not a guess at timing
        raise AssertionError("no writer ever waited for the write lock")


LOCKING = ("BEGIN IMMEDIATE", "pg_advisory_xact_lock")


@contextmanager
def write_turns(*engines: Engine) -> Iterator[WriteTurns]:
    """Record, per thread, when its write transactions ask for, hold and release the lock, on
    `engines` (one per process-like workspace) sharing one database."""
    turns = WriteTurns(engines[0])
    writing = writer(engines[0]).get_execution_options().items()

    def asks(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if any(words in statement for words in LOCKING):
            turns._record("asks")

    def holds(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if any(words in statement for words in LOCKING):
            turns._record("holds")

    def commits(connection: Any) -> None:
        if connection.get_execution_options().items() >= writing:
            turns._committing()

    listeners = (("before_cursor_execute", asks), ("after_cursor_execute", holds),
                 ("commit", commits))  # fmt: skip
    for engine in engines:
        for name, listener in listeners:
            event.listen(engine, name, listener)
    try:
        yield turns
    finally:
        for engine in engines:
            for name, listener in listeners:
                event.remove(engine, name, listener)
