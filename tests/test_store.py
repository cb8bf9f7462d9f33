"""The store as a user meets it: real SQLite files created, reopened, refused and shared.

Every test works on files under `tmp_path`; nothing is mocked. Paths are resolved first because
mlboard shows (and stores) absolute paths.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError, StatementError

from mlboard.config import Settings
from mlboard.errors import UserError
from mlboard.services.stories.records import add_story, create_story, get_story, list_stories
from mlboard.services.workspace import Workspace
from mlboard.store import migrations
from mlboard.store.engine import database_url, open_database
from mlboard.store.tables import Member, UTCDateTime

MLBOARD_TABLES = {"member", "sprint", "story", "storyevent", "alembic_version"}


def workspace(path: Path) -> Workspace:
    return Workspace(
        open_database(str(path)),
        Settings(database=str(path), database_origin="test", actor="tester"),
    )


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return tmp_path.resolve()


@pytest.fixture
def db_path(base: Path) -> Path:
    return base / "board.db"


@pytest.fixture
def ws(db_path: Path):
    board = workspace(db_path)
    yield board
    board.close()


def sqlite_rows(path: Path, sql: str) -> list[tuple]:
    """Read with the plain sqlite3 module, as another tool (or a curious user) would."""
    connection = sqlite3.connect(path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def table_names(path: Path) -> set[str]:
    return {
        name for (name,) in sqlite_rows(path, "SELECT name FROM sqlite_master WHERE type = 'table'")
    }


# --- creating and reopening -------------------------------------------------------------------


def test_open_database_creates_the_file_and_the_schema_at_head(db_path: Path) -> None:
    assert not db_path.exists()
    open_database(str(db_path)).dispose()

    assert db_path.is_file()
    assert db_path.read_bytes()[:16] == b"SQLite format 3\x00"
    assert table_names(db_path) >= MLBOARD_TABLES
    assert sqlite_rows(db_path, "SELECT version_num FROM alembic_version") == [
        (migrations.head_revision(),)
    ]


def test_connections_use_wal_foreign_keys_and_a_busy_timeout(db_path: Path) -> None:
    engine = open_database(str(db_path))
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    finally:
        engine.dispose()
    # WAL is a property of the file: other SQLite tools see it too.
    assert sqlite_rows(db_path, "PRAGMA journal_mode") == [("wal",)]


def test_foreign_keys_are_enforced(ws: Workspace) -> None:
    with pytest.raises(IntegrityError), ws.writing() as session:
        session.execute(
            text(
                "INSERT INTO story (key, number, title, description, kind, status, blocked,"
                " blocked_reason, rank, sensitivity, created_at, updated_at, assignee_id)"
                " VALUES ('ML-1', 1, 't', '', 'experiment', 'backlog', 0, '', 1.0, 'none',"
                " '2026-01-05 09:00:00', '2026-01-05 09:00:00', 999)"
            )
        )
    assert list_stories(ws) == []


def test_reopening_keeps_the_data(db_path: Path) -> None:
    first = workspace(db_path)
    created = create_story(first, "Train the baseline", {"points": "3", "kind": "model"})
    first.close()

    second = workspace(db_path)
    try:
        story = get_story(second, created.key)
        assert story.title == "Train the baseline"
        assert story.points == 3
        assert story.kind == "model"
        assert story.events == 1
        assert [s.key for s in list_stories(second)] == [created.key]
    finally:
        second.close()


def test_an_empty_file_is_taken_as_a_new_database(db_path: Path) -> None:
    db_path.touch()
    open_database(str(db_path)).dispose()
    assert table_names(db_path) >= MLBOARD_TABLES


# --- refusing what is not (or not yet) an mlboard database ------------------------------------


def refusal(location: Path | str) -> str:
    with pytest.raises(UserError) as info:
        open_database(str(location))
    return str(info.value)


def test_refuses_a_text_file_and_leaves_it_alone(db_path: Path) -> None:
    db_path.write_text("name,points\nbaseline,3\n")
    message = refusal(db_path)
    assert str(db_path) in message
    assert "not a SQLite database" in message
    assert db_path.read_text() == "name,points\nbaseline,3\n"


def test_refuses_a_directory(base: Path) -> None:
    folder = base / "boards"
    folder.mkdir()
    message = refusal(folder)
    assert str(folder) in message
    assert "is a directory" in message
    assert list(folder.iterdir()) == []


def test_refuses_a_path_whose_folder_does_not_exist(base: Path) -> None:
    missing = base / "no-such-folder" / "board.db"
    message = refusal(missing)
    assert str(missing) in message
    assert "does not exist" in message
    assert not missing.parent.exists()


def make_foreign_database(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    connection.execute("INSERT INTO invoices (total) VALUES (12.5)")
    connection.commit()
    connection.close()


def test_refuses_a_foreign_sqlite_database(base: Path) -> None:
    path = base / "accounts.db"
    make_foreign_database(path)

    message = refusal(path)

    assert str(path) in message
    assert "not an mlboard" in message
    assert "invoices" in message
    assert table_names(path) == {"invoices"}
    assert sqlite_rows(path, "SELECT total FROM invoices") == [(12.5,)]


def test_refusing_a_foreign_database_does_not_change_its_file(base: Path) -> None:
    """Someone else's database stays as it was: same bytes, same (rollback) journal mode."""
    path = base / "accounts.db"
    make_foreign_database(path)
    before = path.read_bytes()

    refusal(path)

    assert sorted(p.name for p in base.iterdir()) == ["accounts.db"]  # no -wal/-shm left
    assert sqlite_rows(path, "PRAGMA journal_mode") == [("delete",)]
    assert path.read_bytes() == before


def test_refuses_a_database_from_a_newer_mlboard(db_path: Path) -> None:
    open_database(str(db_path)).dispose()
    connection = sqlite3.connect(db_path)
    connection.execute("UPDATE alembic_version SET version_num = '0999'")
    connection.commit()
    connection.close()

    message = refusal(db_path)

    assert str(db_path) in message
    assert "newer" in message
    assert "upgrade" in message
    assert "0999" in message
    # Not "repaired" or downgraded behind the user's back.
    assert sqlite_rows(db_path, "SELECT version_num FROM alembic_version") == [("0999",)]


def real_database_bytes(path: Path) -> bytes:
    open_database(str(path)).dispose()
    return path.read_bytes()


@pytest.mark.parametrize("kept", [16, 100], ids=["magic-only", "full-header"])
def test_refuses_a_corrupted_database_with_a_user_error(base: Path, kept: int) -> None:
    good = real_database_bytes(base / "good.db")
    broken = base / "broken.db"
    broken.write_bytes(good[:kept] + random.Random(kept).randbytes(8192))
    before = broken.read_bytes()

    message = refusal(broken)  # a UserError, not a raw sqlalchemy DatabaseError

    assert str(broken) in message
    assert "cannot open database" in message
    assert broken.read_bytes() == before


def test_refusal_does_not_create_files(base: Path) -> None:
    text_file = base / "notes.db"
    text_file.write_text("hello")
    refusal(text_file)
    refusal(base / "missing" / "board.db")
    assert sorted(p.name for p in base.iterdir()) == ["notes.db"]


# --- transactions and sharing a file ----------------------------------------------------------


def member(handle: str) -> Member:
    return Member(handle=handle, name=handle.title(), created_at=datetime.now(UTC))


def test_a_failed_write_leaves_nothing_behind(ws: Workspace) -> None:
    with pytest.raises(RuntimeError, match="halfway"), ws.writing() as session:
        session.add(member("ana"))
        add_story(session, ws, "Half-made story", {})
        session.flush()  # the rows really reached the database before the failure
        raise RuntimeError("halfway")

    with ws.reading() as session:
        counts = {
            table: session.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            for table in ("member", "story", "storyevent")
        }
    assert counts == {"member": 0, "story": 0, "storyevent": 0}


def test_a_user_error_inside_a_write_rolls_back_the_whole_action(ws: Workspace) -> None:
    with pytest.raises(UserError, match="not found"):
        create_story(ws, "Assigned to nobody", {"assignee": "ghost"})
    assert list_stories(ws) == []


def test_two_workspaces_on_one_file_both_write_and_see_each_other(db_path: Path) -> None:
    first, second = workspace(db_path), workspace(db_path)
    try:
        one = create_story(first, "Label the data")
        assert [s.key for s in list_stories(second)] == [one.key]
        two = create_story(second, "Train on it")
        assert two.key != one.key
        assert [s.title for s in list_stories(first)] == ["Label the data", "Train on it"]
    finally:
        first.close()
        second.close()


def test_a_second_writer_waits_for_the_first_instead_of_failing(db_path: Path) -> None:
    first, second = workspace(db_path), workspace(db_path)
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def slow_write() -> None:
        try:
            with first.writing() as session:
                session.execute(text("SELECT count(*) FROM story"))  # only a read so far
                holding.set()
                release.wait(5)
                add_story(session, first, "Slow story", {})
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
            holding.set()

    thread = threading.Thread(target=slow_write)
    thread.start()
    try:
        assert holding.wait(5)
        # A write action holds the write lock from its first statement, even a read, so it
        # cannot fail with "database is locked" halfway through.
        probe = sqlite3.connect(db_path, timeout=0, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            probe.execute("BEGIN IMMEDIATE")
        probe.close()
        threading.Timer(0.2, release.set).start()
        started = time.monotonic()
        fast = create_story(second, "Fast story")
        assert time.monotonic() - started >= 0.1  # it waited for the lock
        thread.join(5)
        assert errors == []
        titles = {s.key: s.title for s in list_stories(first)}
        assert titles[fast.key] == "Fast story"
        assert sorted(titles.values()) == ["Fast story", "Slow story"]
    finally:
        release.set()
        thread.join(5)
        first.close()
        second.close()


def test_creating_the_schema_waits_for_another_writer(db_path: Path) -> None:
    """Creating (or upgrading) the schema waits on the busy timeout like any write, instead of
    failing at once with "database is locked" when another connection is writing."""
    other = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    other.execute("PRAGMA journal_mode = WAL")
    locked = threading.Event()

    def hold_lock() -> None:
        other.execute("BEGIN IMMEDIATE")
        other.execute("PRAGMA user_version = 7")
        locked.set()
        time.sleep(0.4)
        other.execute("COMMIT")

    thread = threading.Thread(target=hold_lock)
    thread.start()
    try:
        assert locked.wait(5)
        open_database(str(db_path)).dispose()
    finally:
        thread.join(5)
        other.close()
    assert table_names(db_path) >= MLBOARD_TABLES


# --- times and locations ----------------------------------------------------------------------


def test_utc_datetime_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        UTCDateTime().process_bind_param(datetime(2026, 1, 5, 9, 0), None)


def test_utc_datetime_stores_any_zone_and_returns_aware_utc(ws: Workspace) -> None:
    paris = timezone(timedelta(hours=1))
    created = create_story(ws, "Zoned", created_at=datetime(2026, 1, 5, 10, 30, tzinfo=paris))

    story = get_story(ws, created.key)
    assert story.created_at == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    assert story.created_at.utcoffset() == timedelta(0)
    assert story.created_at.tzinfo is not None


def test_a_naive_datetime_is_not_written(ws: Workspace) -> None:
    with pytest.raises((ValueError, StatementError), match="naive"):
        create_story(ws, "Naive", created_at=datetime(2026, 1, 5, 9, 0))
    assert list_stories(ws) == []


def test_database_url_makes_relative_paths_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert database_url("board.db") == f"sqlite:///{tmp_path.resolve() / 'board.db'}"
    assert database_url("sub/../board.db") == f"sqlite:///{tmp_path.resolve() / 'board.db'}"


def test_database_url_keeps_absolute_paths_and_expands_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    absolute = tmp_path.resolve() / "board.db"
    assert database_url(str(absolute)) == f"sqlite:///{absolute}"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert database_url("~/board.db") == f"sqlite:///{absolute}"


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///relative/board.db",
        "sqlite:////var/data/board.db",
        "postgresql+psycopg://ana:secret@db.example.com:5432/mlboard",
    ],
)
def test_database_url_passes_urls_through(url: str) -> None:
    assert database_url(url) == url


def test_open_database_accepts_a_sqlite_url(db_path: Path) -> None:
    engine: Engine = open_database(f"sqlite:///{db_path}")
    engine.dispose()
    assert table_names(db_path) >= MLBOARD_TABLES


def test_another_programs_alembic_database_is_not_called_newer(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        connection.execute("INSERT INTO alembic_version VALUES ('ae1027a6acf')")
        connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    with pytest.raises(UserError, match="not an mlboard one"):
        open_database(str(path))


def test_a_copy_without_wal_gets_wal_back(tmp_path):
    original = tmp_path / "board.db"
    open_database(str(original)).dispose()
    copy = tmp_path / "copy.db"
    with sqlite3.connect(original) as connection:
        connection.execute(f"VACUUM INTO '{copy}'")
    open_database(str(copy)).dispose()
    with sqlite3.connect(copy) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
