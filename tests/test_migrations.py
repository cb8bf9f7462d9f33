"""Migrations: every released schema upgrades with its data, and the models match the migrations.

`SEED_SQL` holds, per revision, plain SQL that a database at that revision accepts: the data a
user of that release would have. A new revision that breaks the previous seed needs its own entry;
one that does not may reuse the newest earlier seed (see `seed_for`).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, text
from sqlmodel.main import default_registry

import mlboard.store.tables  # noqa: F401  (registers the tables on SQLModel's registry)
from mlboard.config import Settings
from mlboard.services.stories.records import get_story, list_stories, story_history
from mlboard.services.workspace import Workspace
from mlboard.store import migrations
from mlboard.store.engine import create_database_engine, database_url, open_database

REPO = Path(__file__).resolve().parents[1]

SEED_SQL: dict[str, list[str]] = {
    "0001": [
        "INSERT INTO member (id, handle, name, role, email, points_per_day, active, created_at)"
        " VALUES (1, 'ana', 'Ana Lima', 'ML engineer', 'ana@example.com', 1.5, 1,"
        " '2026-01-02 08:00:00.000000')",
        'INSERT INTO sprint (id, name, goal, start, "end", state, started_at, closed_at,'
        " created_at) VALUES (1, 'Sprint 7', 'Ship the ranker', '2026-01-05', '2026-01-16',"
        " 'active', '2026-01-05 09:00:00.000000', NULL, '2026-01-02 08:00:00.000000')",
        "INSERT INTO story (id, key, number, title, description, kind, status, blocked,"
        " blocked_reason, points, estimate_low, estimate_high, timebox_days, gpu_hours, target,"
        " assignee_id, sprint_id, rank, sensitivity, created_at, updated_at, started_at,"
        " done_at) VALUES (1, 'ML-1', 1, 'Tune the ranker', 'Grid search over lr', 'experiment',"
        " 'in_progress', 1, 'waiting for GPUs', 5.0, 3.0, 8.0, 4.0, 120.0, 'val_ndcg >= 0.42',"
        " 1, 1, 1.0, 'internal', '2026-01-05 09:00:00.000000', '2026-01-06 10:00:00.000000',"
        " '2026-01-06 10:00:00.000000', NULL)",
        "INSERT INTO storyevent (id, story_id, at, actor, field, old, new) VALUES"
        " (1, 1, '2026-01-05 09:00:00.000000', 'ana', 'created', NULL, NULL),"
        " (2, 1, '2026-01-06 10:00:00.000000', 'ana', 'status', 'todo', 'in_progress')",
    ],
}


def seed_for(revision: str) -> list[str]:
    """The newest seed written for `revision` or an earlier one."""
    usable = [seeded for seeded in SEED_SQL if seeded <= revision]
    assert usable, f"no seed data for revision {revision}: add it to SEED_SQL"
    return SEED_SQL[max(usable)]


def workspace(path: Path) -> Workspace:
    return Workspace(
        open_database(str(path)),
        Settings(database=str(path), database_origin="test", actor="tester"),
    )


def engine_at(path: Path, revision: str) -> Engine:
    engine = create_database_engine(database_url(str(path)))
    migrations.upgrade(engine, revision)
    return engine


def version_of(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def test_revisions_are_numbered_in_order_and_head_is_the_last() -> None:
    revisions = migrations.known_revisions()
    assert revisions, "no migrations found"
    assert list(revisions) == [f"{n:04d}" for n in range(1, len(revisions) + 1)]
    assert migrations.head_revision() == revisions[-1]


@pytest.mark.parametrize("revision", migrations.known_revisions())
def test_data_written_at_each_revision_survives_the_upgrade(tmp_path: Path, revision: str) -> None:
    path = tmp_path.resolve() / f"at-{revision}.db"
    engine = engine_at(path, revision)
    try:
        assert version_of(engine) == revision
        with engine.begin() as connection:
            for statement in seed_for(revision):
                connection.exec_driver_sql(statement)
    finally:
        engine.dispose()

    ws = workspace(path)  # upgrades to head
    try:
        assert version_of(ws.engine) == migrations.head_revision()
        story = get_story(ws, "ML-1")
        assert story.title == "Tune the ranker"
        assert story.description == "Grid search over lr"
        assert story.kind == "experiment"
        assert story.status == "in_progress"
        assert story.blocked is True
        assert story.blocked_reason == "waiting for GPUs"
        assert (story.points, story.estimate_low, story.estimate_high) == (5.0, 3.0, 8.0)
        assert (story.timebox_days, story.gpu_hours) == (4.0, 120.0)
        assert str(story.target) == "val_ndcg >= 0.42"
        assert (story.assignee, story.assignee_name) == ("ana", "Ana Lima")
        assert story.sprint == "Sprint 7"
        assert story.sensitivity == "internal"
        assert story.created_at == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        assert story.started_at == datetime(2026, 1, 6, 10, 0, tzinfo=UTC)
        assert story.done_at is None
        assert story.events == 2
        history = story_history(ws, "ML-1")
        assert [(e.field, e.old, e.new) for e in history] == [
            ("created", None, None),
            ("status", "todo", "in_progress"),
        ]
        assert [s.key for s in list_stories(ws, sprint="Sprint 7", assignee="@ana")] == ["ML-1"]
        with ws.reading() as session:
            row = session.execute(text('SELECT start, "end" FROM sprint')).one()
        assert tuple(date.fromisoformat(day) for day in row) == (
            date(2026, 1, 5),
            date(2026, 1, 16),
        )
    finally:
        ws.close()


def test_an_empty_database_file_is_upgraded_to_head(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    engine = open_database(str(path))
    try:
        assert version_of(engine) == migrations.head_revision()
    finally:
        engine.dispose()


def mlboard_metadata() -> MetaData:
    """mlboard's tables only: a table some other test declares on SQLModel must not count."""
    metadata = MetaData()
    for mapper in default_registry.mappers:
        if mapper.class_.__module__.startswith("mlboard."):
            for table in mapper.tables:
                if table.name not in metadata.tables:
                    table.to_metadata(metadata)
    return metadata


def schema_differences(engine: Engine, metadata: MetaData) -> list:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), metadata)


@pytest.fixture(scope="module")
def head_engine(tmp_path_factory: pytest.TempPathFactory):
    engine = engine_at(tmp_path_factory.mktemp("head") / "head.db", "head")
    yield engine
    engine.dispose()


def test_the_models_match_the_migrations(head_engine: Engine) -> None:
    metadata = mlboard_metadata()
    assert {"member", "sprint", "story", "storyevent"} <= set(metadata.tables)
    differences = schema_differences(head_engine, metadata)
    assert differences == [], (
        "the tables in mlboard/store/tables/ differ from the migrations; "
        f"add a migration: {differences}"
    )


def test_the_model_check_notices_a_change_without_a_migration(head_engine: Engine) -> None:
    """Guard the guard: a table, column, type or nullability changed in the models only."""
    changed = mlboard_metadata()
    changed.tables["story"].append_column(Column("dataset", String(), nullable=True))
    changed.tables["story"].c.points.type = Integer()
    changed.tables["member"].c.email.nullable = True
    Table("label", changed, Column("id", Integer, primary_key=True))

    found = set()
    for diff in schema_differences(head_engine, changed):
        for change in diff if isinstance(diff, list) else [diff]:
            if change[0] in ("modify_type", "modify_nullable"):
                found.add((change[0], change[2], change[3]))
            else:
                found.add((change[0], getattr(change[-1], "name", None)))

    assert found == {
        ("add_column", "dataset"),
        ("add_table", "label"),
        ("modify_type", "story", "points"),
        ("modify_nullable", "member", "email"),
    }


def test_opening_an_up_to_date_database_does_not_import_alembic(tmp_path: Path) -> None:
    path = tmp_path.resolve() / "ready.db"
    open_database(str(path)).dispose()
    script = textwrap.dedent(
        f"""
        import sys
        from mlboard.config import Settings
        from mlboard.services.stories.records import list_stories
        from mlboard.services.workspace import open_workspace

        ws = open_workspace(Settings(database={str(path)!r}, database_origin="test"))
        list_stories(ws)
        ws.close()
        loaded = sorted(name for name in sys.modules if name.split(".")[0] == "alembic")
        print(loaded)
        sys.exit(1 if loaded else 0)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "[]"


def test_opening_an_older_database_does_import_alembic_and_upgrades(tmp_path: Path) -> None:
    """The counterpart: the subprocess check above really can see alembic being loaded."""
    path = tmp_path.resolve() / "new.db"  # no schema yet: "older" than head
    script = textwrap.dedent(
        f"""
        import sys
        from mlboard.store.engine import open_database

        open_database({str(path)!r}).dispose()
        print("alembic" in sys.modules)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
