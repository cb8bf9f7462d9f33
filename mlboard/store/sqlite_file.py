"""An mlboard SQLite file read with the standard library alone, when that is safe.

Opening the board and listing stories need a few hundred rows; SQLAlchemy, SQLModel and
pydantic take several times longer to import than reading them. `open_current` connects with
sqlite3 only to a file that is already an mlboard database at this mlboard's newest schema,
checked inside the read transaction the caller then reads in. Anything else gives None —
another database server, a URL with options, a missing file, an older schema (to be upgraded),
a newer one (to be refused), a file that is not ours — and the caller opens the database the
usual way (`engine.open_database`), which upgrades or refuses before anything is shown.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mlboard.store.migrations import head_revision

BUSY_TIMEOUT_SECONDS = 15.0  # as the engine's: a writer holding the lock is waited for
_URL = "sqlite:///"


def sqlite_path(location: str) -> Path | None:
    """The file named by a plain path or a plain `sqlite:///` URL; None for anything else."""
    if "://" not in location:
        try:
            return Path(location).expanduser().resolve()
        except RuntimeError:  # `~someone/…` for an unknown user: the engine says so in one line
            return None
    rest = location.removeprefix(_URL)
    if rest == location or not rest or any(mark in rest for mark in "?#%"):
        return None
    return Path(rest).resolve()


def open_current(location: str) -> sqlite3.Connection | None:
    """A connection inside a read transaction (one snapshot for every read after this), if
    `location` is an mlboard SQLite file at the newest schema; else None. The caller closes it.

    The connection is `query_only`: nothing read this way can write by mistake.
    """
    path = sqlite_path(location)
    if path is None or not path.is_file():
        return None
    try:
        connection = sqlite3.connect(
            f"{path.as_uri()}?mode=rw",
            uri=True,
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,
        )
    except sqlite3.Error:
        return None
    try:
        connection.execute("PRAGMA query_only = ON")
        connection.execute("BEGIN")
        versions = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error:  # not a database, not ours, or locked in a way a read cannot wait out
        connection.close()
        return None
    if versions != [(head_revision(),)]:
        connection.close()
        return None
    return connection
