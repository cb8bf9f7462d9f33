"""What only a second backend can prove: the migrations and models agree on PostgreSQL too."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import mlboard.store.tables  # noqa: F401  (registers the tables)
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


def test_reopening_is_a_no_op(backend, database):
    open_database(database).dispose()
    engine = open_database(database)
    engine.dispose()
