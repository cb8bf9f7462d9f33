"""The chain's head, kept where someone with only database access cannot reach it.

A hash chain shows an edited or removed entry in its middle, but not the newest entries cut off:
what is left is still a valid chain. So after every write that added entries, mlboard records
the head (how many entries, the last one's hash and key id) in a small checkpoint file per
database in the user's data folder. `verify` then checks that the chain still holds that head
at that position; `mlboard audit head` prints it for anchoring anywhere else (a ticket, a CI
log), and `verify --head COUNT:HASH` checks against such an anchor.

The checkpoint is written after the transaction commits, outside the write lock. A crash in
between leaves it one write behind, which is still a true head of the chain; a failed write is
a warning, never a failed action. A checkpoint whose head the chain no longer holds is left as
it is (it is the evidence), so a later write cannot paper over a truncation.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import URL, Connection, Engine, func, make_url, select
from sqlalchemy.exc import SQLAlchemyError

from mlboard.config import APP_NAME
from mlboard.store.tables import AuditEntry

GENESIS = "0" * 64  # the head of an empty chain
_ENTRIES = AuditEntry.__table__  # type: ignore[attr-defined]
log = logging.getLogger("mlboard.audit")


@dataclass(frozen=True)
class Head:
    """The newest entry of a chain: its position (= how many entries), hash and key id."""

    entries: int
    head: str
    key_id: str | None = None
    entry_id: int | None = None

    @property
    def anchor(self) -> str:
        return f"{self.entries}:{self.head}"


def identity(url: URL | str) -> str:
    """Which database a checkpoint is for: the file's absolute path, or the URL sans password."""
    url = make_url(url)
    if url.get_backend_name() == "sqlite":
        return str(Path(url.database or "").resolve()) if url.database else ":memory:"
    return url.set(password=None).render_as_string(hide_password=False)


def checkpoint_path(url: URL | str) -> Path:
    from platformdirs import user_data_path

    digest = hashlib.sha256(identity(url).encode()).hexdigest()[:32]
    return user_data_path(APP_NAME, appauthor=False) / "audit-heads" / f"{digest}.json"


def chain_head(connection: Connection, since: Head | None = None) -> Head:
    """The chain's head as the database holds it now. From a head `since` known to be in the
    chain, only the entries after it are counted (an index range, not the whole table)."""
    base, after = (since.entries, since.entry_id or 0) if since else (0, 0)
    count, newest = connection.execute(
        select(func.count(), func.max(_ENTRIES.c.id)).where(_ENTRIES.c.id > after)
    ).one()
    if not count:
        return since or Head(0, GENESIS)
    query = select(_ENTRIES.c.hash, _ENTRIES.c.key_id).where(_ENTRIES.c.id == newest)
    digest, key_id = connection.execute(query).one()
    return Head(base + count, digest, key_id, newest)


class CheckpointError(Exception):
    """A checkpoint file that exists but cannot be read as one."""


def load(path: Path) -> Head | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Head(int(data["entries"]), str(data["head"]), data.get("key_id"),
                    data.get("entry_id"))  # fmt: skip
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"{path} cannot be read as a checkpoint ({error})") from None


def _save(path: Path, head: Head, database: str) -> None:
    """Write beside the file and rename over it: a reader sees the old or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".head-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump({"database": database, **asdict(head)}, stream)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def record(engine: Engine) -> None:
    """After a committed write: move this database's checkpoint to the chain's head."""
    path = checkpoint_path(engine.url)
    try:
        try:
            stored = load(path)
        except CheckpointError:
            stored = None  # unreadable: nothing to protect, start again from the chain
        with engine.connect() as connection:
            if stored is not None and stored.entries:
                still = connection.execute(
                    select(_ENTRIES.c.hash).where(_ENTRIES.c.id == stored.entry_id)
                ).scalar()
                if still != stored.head:
                    log.warning(
                        "warning: audit checkpoint %s not updated: the chain no longer holds the "
                        "head it recorded (%s entries); run `mlboard audit verify` (if this "
                        "database was replaced on purpose, remove that file)",
                        path, stored.entries,
                    )  # fmt: skip
                    return
            head = chain_head(connection, stored)
        _save(path, head, identity(engine.url))
    except (OSError, SQLAlchemyError) as error:
        log.warning("warning: audit checkpoint %s not updated: %s", path, error)


def move(old: str, new: str) -> None:
    """A database file renamed into place (the demo's build) takes its checkpoint along."""
    source, target = checkpoint_path(old), checkpoint_path(new)
    try:
        head = load(source)
        if head is not None:
            _save(target, head, identity(new))
            source.unlink()
    except (OSError, CheckpointError) as error:
        log.warning("warning: audit checkpoint %s not moved: %s", source, error)
