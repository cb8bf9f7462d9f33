"""What only a second backend can prove: the migrations and models agree on PostgreSQL too."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, event
from sqlmodel import SQLModel

import mlboard.store.tables  # noqa: F401  (registers the tables)
from mlboard.config import Settings
from mlboard.services.stories import create_story, list_stories
from mlboard.services.workspace import Workspace
from mlboard.store import migrations
from mlboard.store.engine import open_database

BACKENDS = ("sqlite", "postgresql")


def test_a_new_database_is_migrated_to_head_and_matches_the_models(backend, database):
    engine = open_database(database)
    try:
        with engine.connect() as connection:
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert version.scalar() == migrations.head_revision()
            ours = {table for table in SQLModel.metadata.tables}
            differences = [
                change
                for change in compare_metadata(
                    MigrationContext.configure(connection), SQLModel.metadata
                )
                if not (change[0] == "remove_table" and change[1].name not in ours)
            ]
        assert differences == []
    finally:
        engine.dispose()


def test_reopening_is_a_no_op(backend, database, clock):
    """Opening an up-to-date database reads its version and writes nothing: no migration, no
    DDL, the data as it was."""
    settings = Settings(database=database, database_origin="test", actor="tester")
    first = Workspace(open_database(database), settings, clock)
    create_story(first, "Churn model", {"points": "3"})
    first.close()

    statements: list[str] = []

    def record(_conn, _cursor, statement: str, *_args: object) -> None:
        statements.append(statement.strip().split()[0].upper())

    event.listen(Engine, "before_cursor_execute", record)
    try:
        engine = open_database(database)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
    again = Workspace(engine, settings, clock)
    try:
        assert statements and set(statements) <= {"BEGIN", "PRAGMA", "SELECT", "SHOW"}, statements
        assert [(s.key, s.title, s.points) for s in list_stories(again)] == [
            ("ML-1", "Churn model", 3.0)
        ]
        with engine.connect() as connection:
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert version.scalar() == migrations.head_revision()
    finally:
        again.close()
