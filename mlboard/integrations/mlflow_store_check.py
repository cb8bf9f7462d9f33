"""What is checked before MLflow opens a tracking store, so that opening it writes nothing.

MLflow's store classes write when a store is not exactly as the installed MLflow would leave it
(`mlflow/store/db/utils.py` and the stores' constructors, MLflow 3.17):
- a database store (`sqlite:///`, `postgresql://`, `mysql://`, `mssql://`) missing any table of
  the installed MLflow's models gets MLflow's tables and every migration up to its head. An older
  team store is upgraded in place, and the team's own older MLflow then refuses to open it;
- a database store without the default experiment (id 0) gets one;
- a file store (`./mlruns`) gets its folder, a default experiment and a `.trash` folder, and the
  registry adds a `models` folder.
So a database store is first read through a read-only connection and refused, in one line, unless
its schema revision is the installed MLflow's head, all of MLflow's tables are there and the
default experiment exists; a file store must exist with its `.trash` folder, and its registry is
read only if it has one. HTTP servers are not checked: the REST API is the contract across
versions.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from mlboard.config import sqlite_path
from mlboard.errors import UserError

# The URL schemes MLflow opens with its SQLAlchemy stores (mlflow.store.db.db_types): a driver
# may follow the name, as in `postgresql+psycopg://`.
DATABASE_SCHEMES = ("postgresql", "mysql", "sqlite", "mssql")
_CORE_TABLES = frozenset({"experiments", "runs"})  # what makes a database an MLflow store


class TrackingError(UserError):
    """The tracking store could not be read; the board keeps what was last synced.

    Exit code 1 when the store failed at run time (a server down), 2 when the URI itself is
    wrong (no store there, a file store MLflow will not read, an address it cannot parse).
    """

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message, exit_code=exit_code)


@dataclass(frozen=True, slots=True)
class StoreSchema:
    """What a database store holds that decides whether MLflow would write to it on opening."""

    tables: frozenset[str]
    revisions: tuple[str, ...]  # the rows of `alembic_version`: one, for a store MLflow made
    default_experiment: bool


@dataclass(frozen=True, slots=True)
class InstalledSchema:
    """The schema the installed MLflow expects, from its own migration scripts and models."""

    version: str
    head: str
    known: frozenset[str]  # every revision its migrations know: the older schemas
    tables: frozenset[str]


def check_store(uri: str) -> None:
    """Refuse, before MLflow is asked to open it, any store that opening would change."""
    if is_database_uri(uri):
        _check_database(uri, read_store_schema(uri))
    else:
        _check_folder(uri)


def is_database_uri(uri: str) -> bool:
    scheme = uri.partition("://")[0].lower() if "://" in uri else ""
    return scheme.startswith(DATABASE_SCHEMES)


def reads_registry(uri: str) -> bool:
    """A file store without a `models` folder has no registered models; reading its registry
    would create the folder."""
    folder = _folder(uri)
    return folder is None or (folder / "models").is_dir()


def _folder(uri: str) -> Path | None:
    """The folder of a file store (`file:` URI or a path); None for any other URI."""
    if uri.startswith("file:"):
        return Path(unquote(urlparse(uri).path))
    return None if "://" in uri else Path(uri)


def _check_folder(uri: str) -> None:
    folder = _folder(uri)
    if folder is None:
        return  # http(s):// and other servers: their REST API is the contract
    if folder.is_dir() and os.environ.get("MLFLOW_ALLOW_FILE_STORE", "").lower() != "true":
        raise TrackingError(
            f"{uri} is a file store (an mlruns folder): MLflow 3 reads it only with "
            "MLFLOW_ALLOW_FILE_STORE=true set in the environment (or migrate it to a "
            "sqlite:/// store)",
            exit_code=2,
        )
    if not folder.is_dir():
        if uri.startswith("file:"):
            raise TrackingError(
                f"no MLflow store at {uri}: {folder.resolve()} does not exist", exit_code=2
            )
        raise TrackingError(
            f"tracking URI {uri!r} is neither a URI (sqlite:///…, http://…) nor an existing folder",
            exit_code=2,
        )
    if not (folder / ".trash").is_dir():
        raise UserError(
            f"{uri} is not an MLflow file store: it has no .trash folder, which MLflow would "
            f"create on opening it; mlboard only reads stores (create {folder / '.trash'} if "
            "this is the team's mlruns folder)"
        )


def read_store_schema(uri: str) -> StoreSchema:
    """The store's tables, schema revision and default experiment, read without writing."""
    if uri.lower().startswith("sqlite"):
        return _read_sqlite(uri)
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.pool import NullPool

    try:
        engine = create_engine(uri, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                tables = inspect(connection).get_table_names()
                found = _schema(tables, lambda sql: connection.execute(text(sql)).all())
                connection.rollback()  # nothing was written; end the read transaction
        finally:
            engine.dispose()
    except (SQLAlchemyError, ImportError) as error:
        reason = _first_line(error)
        raise TrackingError(f"cannot read the MLflow store {_display(uri)}: {reason}") from None
    return found


def _read_sqlite(uri: str) -> StoreSchema:
    """Through SQLite's own read-only mode: nothing here can write to the file."""
    path = sqlite_path(uri)
    if path is None:
        raise UserError(f"{uri} is an in-memory database, not an MLflow store")
    if not Path(path).is_file():
        # MLflow would create an empty store there: a typo would sync nothing, silently
        raise TrackingError(
            f"no MLflow store at {uri}: {Path(path).resolve()} does not exist", exit_code=2
        )
    location = Path(path).resolve().as_uri() + "?mode=ro"
    try:
        with closing(sqlite3.connect(location, uri=True)) as database:
            tables = [
                row[0]
                for row in database.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
            return _schema(tables, lambda sql: database.execute(sql).fetchall())
    except sqlite3.OperationalError as error:  # locked, unreadable: may pass, not bad input
        raise TrackingError(f"cannot read the MLflow store {uri}: {error}") from None
    except sqlite3.DatabaseError as error:
        raise UserError(f"{uri} is not an MLflow store: {error}") from None


def _schema(tables: Sequence[str], query: Callable[[str], Sequence[Any]]) -> StoreSchema:
    names = frozenset(tables)
    revisions = (
        tuple(sorted(row[0] for row in query("SELECT version_num FROM alembic_version")))
        if "alembic_version" in names
        else ()
    )
    default = "experiments" in names and bool(
        query("SELECT experiment_id FROM experiments WHERE experiment_id = 0")
    )
    return StoreSchema(names, revisions, default)


@cache
def installed_schema() -> InstalledSchema:
    """Read once a process: MLflow's migration scripts (alembic's ScriptDirectory over the
    folder MLflow upgrades from) and the tables of the models MLflow checks on opening."""
    import mlflow.store.db.utils  # registers every MLflow table on Base.metadata, as on opening
    from alembic.script import ScriptDirectory
    from mlflow.store import db_migrations
    from mlflow.store.db.base_sql_model import Base

    scripts = ScriptDirectory(str(Path(db_migrations.__file__).parent))
    heads = scripts.get_heads()
    if len(heads) != 1:  # MLflow refuses this too: its migrations always have one head
        raise UserError(f"the installed MLflow's migrations have {len(heads)} heads: {heads}")
    return InstalledSchema(
        version=mlflow.__version__,
        head=heads[0],
        known=frozenset(script.revision for script in scripts.walk_revisions()),
        tables=frozenset(Base.metadata.tables),
    )


def _check_database(uri: str, found: StoreSchema) -> None:
    name = _display(uri)
    if not found.tables & _CORE_TABLES:
        what = "it is empty" if not found.tables else "it has no experiments or runs tables"
        raise UserError(
            f"{name} is not an MLflow store ({what}); mlboard will not create one there: "
            "check the tracking URI"
        )
    ours = installed_schema()
    if found.revisions != (ours.head,):
        raise UserError(_mismatch(name, found.revisions, ours))
    missing = sorted(ours.tables - found.tables)
    if missing:
        raise UserError(
            f"{name} is at MLflow's schema {ours.head} but lacks the tables "
            f"{', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}, which MLflow would "
            "create on opening it; mlboard will not: repair the store with the team's MLflow"
        )
    if not found.default_experiment:
        raise UserError(
            f"{name} has no default experiment (id 0), which MLflow would create on opening it; "
            "mlboard only reads stores: open it once with the team's MLflow"
        )


def _mismatch(name: str, revisions: tuple[str, ...], ours: InstalledSchema) -> str:
    """Which side is older, told by the installed MLflow's migration graph: a revision it
    knows is one of its ancestors; one it does not know comes from a newer MLflow."""
    found = ", ".join(revisions) or "none"
    if all(revision in ours.known for revision in revisions):
        return (
            f"{name} was written by an older MLflow (schema {found}); this mlboard's MLflow "
            f"{ours.version} expects {ours.head}: upgrade the team's MLflow or install a "
            "matching mlflow-skinny; mlboard will not migrate it"
        )
    return (
        f"{name} was written by a newer MLflow (schema {found}); this mlboard's MLflow "
        f"{ours.version} expects {ours.head}: install a matching mlflow-skinny "
        "(pip install -U mlflow-skinny); mlboard will not migrate it"
    )


def _display(uri: str) -> str:
    """The URI as users may see it: without a password."""
    if uri.lower().startswith("sqlite"):
        return uri
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(uri).render_as_string(hide_password=True)
    except ArgumentError:
        return uri


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error).strip()
    return text.splitlines()[0] if text else type(error).__name__
