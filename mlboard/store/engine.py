"""Opening a database: URL resolution, SQLite settings, schema checks and upgrades.

`open_database` is the only way in. It refuses files that are not mlboard databases and
databases written by a newer mlboard, upgrades older ones in place (data kept), and returns an
engine whose write sessions take SQLite's write lock up front, so concurrent writers wait on the
busy timeout instead of failing with "database is locked" halfway through a transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, OperationalError
from sqlmodel import Session

from mlboard.errors import UserError
from mlboard.store import audit, audit_head, migrations

assert audit.AUDITED  # importing the audit module registers its session listeners
SQLITE_BUSY_TIMEOUT_MS = 15_000
_SQLITE_MAGIC = b"SQLite format 3\x00"
_WRITE = "mlboard_write"


def database_url(location: str) -> str:
    """Accept a SQLAlchemy URL or a plain file path; return a URL."""
    if "://" in location:
        return location
    try:
        path = Path(location).expanduser()
    except RuntimeError:  # `~someone/…` for a user this machine does not know
        user = location.split("/")[0]
        raise UserError(f"database {location}: no home folder for {user!r}") from None
    return f"sqlite:///{path.resolve()}"


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory ones."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    return None if not database or database == ":memory:" else Path(database)


def _make_folder(url: str) -> None:
    """Create the missing folder of a SQLite file (what `mlboard init` promises)."""
    path = _sqlite_file(url)
    if path is None or path.parent.exists():
        return
    try:
        path.parent.mkdir(parents=True)
    except OSError as error:
        raise UserError(
            f"database {path}: cannot create folder {path.parent}: {error.strerror}"
        ) from None


def _check_sqlite_file(url: str) -> None:
    """Refuse, before SQLAlchemy does something obscure, paths that cannot be our database.

    A missing folder is an error here: only `mlboard init` makes one, since on any other
    command a missing folder is more likely a typo than a new board.
    """
    path = _sqlite_file(url)
    if path is None:
        return
    if path.is_dir():
        raise UserError(f"database {path} is a directory, not a database file")
    if not path.parent.is_dir():
        raise UserError(
            f"database {path}: folder {path.parent} does not exist (`mlboard init` creates it)"
        )
    if not path.exists():
        return
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_MAGIC))
    except OSError as error:
        raise UserError(f"database {path} cannot be read: {error.strerror}") from None
    if header and header != _SQLITE_MAGIC:
        raise UserError(f"{path} is not a SQLite database (is --db pointing at the right file?)")


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys and a busy timeout on every connection; IMMEDIATE writes."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        write = connection.get_execution_options().get(_WRITE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


_PG_WRITE_LOCK = 0x6D6C6277  # "mlbw"


def _configure_postgresql(engine: Engine) -> None:
    """Write transactions queue behind one advisory lock, as SQLite's IMMEDIATE ones do.

    A team board sees a handful of writes a second; serialising them keeps key numbering, the
    audit chain and read-modify-write edits simple and correct under READ COMMITTED.
    """

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(_WRITE, False):
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_WRITE_LOCK})")


def create_database_engine(url: str) -> Engine:
    """An engine with the store's connection settings, without any schema check.

    JSON columns are written with `audit.JSON_TEXT` on every backend: keyed audit entries are
    signed over the very text stored.
    """
    if url.startswith("sqlite"):
        _check_sqlite_file(url)
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            json_serializer=audit.JSON_TEXT,
        )
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True, json_serializer=audit.JSON_TEXT)
    if engine.dialect.name == "postgresql":
        _configure_postgresql(engine)
    return engine


def open_database(location: str, *, create_folder: bool = False) -> Engine:
    """Open (creating if needed) the database at `location` and bring its schema up to date;
    `create_folder` also makes the missing folder of a SQLite file (`mlboard init`)."""
    url = database_url(location)
    if create_folder:
        _make_folder(url)
    engine = create_database_engine(url)
    try:
        _ensure_schema(engine)
    except (DatabaseError, OperationalError) as error:
        engine.dispose()
        reason = str(error.orig) if error.orig is not None else str(error)
        raise UserError(f"cannot open database {_display(url)}: {reason}") from None
    except BaseException:
        engine.dispose()
        raise
    return engine


def _display(url: str) -> str:
    """The URL as users may see it: without a password."""
    return make_url(url).render_as_string(hide_password=True)


def _ensure_schema(engine: Engine) -> None:
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
        current = None
        if "alembic_version" in tables:
            current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    head = migrations.head_revision()
    ours = current is None or current.isdigit()
    if not ours or (current is None and tables - {"alembic_version"}):
        names = ", ".join(sorted(tables)[:5])
        raise UserError(
            f"{_display(str(engine.url))} is a database, but not an mlboard one (it has tables: "
            f"{names}); point --db at a new file or an mlboard database"
        )
    if current is not None and current not in migrations.known_revisions():
        raise UserError(
            f"{_display(str(engine.url))} was written by a newer mlboard (schema {current}; "
            f"this mlboard knows up to {head}): upgrade mlboard to open it"
        )
    if engine.dialect.name == "sqlite":
        _use_wal(engine)
    if current != head:
        migrations.upgrade(writer(engine))


def _use_wal(engine: Engine) -> None:
    """WAL is a property of the file, set once it is known to be ours (a copy may lack it).

    Run outside any transaction: SQLite refuses to switch journal modes inside one.
    """
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute("PRAGMA journal_mode = WAL")  # type: ignore[union-attr]
    finally:
        raw.close()


def writer(engine: Engine) -> Engine:
    """The same engine, but its transactions take the write lock when they begin."""
    return engine.execution_options(**{_WRITE: True})


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """One user action, one transaction: committed on success, rolled back on any error.

    Once committed, a write that added audit entries moves the audit checkpoint (outside the
    transaction and the write lock: see `audit_head`).
    """
    with Session(writer(engine), expire_on_commit=False) as session, session.begin():
        yield session
    if session.info.get(audit.APPENDED):
        audit_head.record(engine)


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
