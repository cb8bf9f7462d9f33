"""Every migration's downgrade, on a database with data, on both backends: from head down one
revision at a time to an empty database, each step leaving the data of the tables it keeps,
then up to head again, where the schema matches the models once more.

The revisions are read from the migrations folder, so a new migration's downgrade is walked
here the day it is added.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from test_migrations import mlboard_metadata, schema_differences, version_of

from mlboard.config import Settings
from mlboard.services.gates import check_item
from mlboard.services.linking import link_run
from mlboard.services.members import add_member, set_days_off
from mlboard.services.pipeline_status import depend
from mlboard.services.pipelines import record_run
from mlboard.services.sprints import add_sprint, start_sprint
from mlboard.services.standup import write_note
from mlboard.services.stories import create_story
from mlboard.services.workspace import Workspace
from mlboard.store import migrations
from mlboard.store.engine import create_database_engine, database_url, open_database
from mlboard.store.tables import Run

BACKENDS = ("sqlite", "postgresql")


def downgrade(engine: Engine, revision: str) -> None:
    """Alembic's downgrade, run as `migrations.upgrade` runs its upgrade: one transaction."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def fill(database: str, clock) -> None:
    """A little of everything a team writes, so each downgrade drops tables holding rows."""
    ws = Workspace(open_database(database), Settings(database, "test", actor="ana"), clock)
    try:
        add_member(ws, "ana", "Ana Souza")
        add_sprint(ws, "S1", start="2026-11-16", end="2026-11-27")
        create_story(ws, "Churn model", {"sprint": "S1", "assignee": "ana", "points": "3",
                                         "kind": "model", "target": "val_auc >= 0.8"})  # fmt: skip
        start_sprint(ws, "S1")
        set_days_off(ws, "ana", date(2026, 11, 20), reason="conference")
        write_note(ws, "ana", yesterday="features", today="training", blockers="")
        with ws.writing() as session:
            session.add(Run(run_id="r1", tracking_uri="sqlite:///mlflow.db", experiment_id="1",
                            status="FINISHED", metrics={"val_auc": 0.83},
                            synced_at=datetime(2026, 11, 25, tzinfo=UTC)))  # fmt: skip
        link_run(ws, "ML-1", "r1", write_tag=False)
        record_run(ws, "features", "failed", error="disk full")
        depend(ws, "ML-1", "features")
        check_item(ws, "ML-1", "model_card", note="v1")
    finally:
        ws.close()


def schema(engine: Engine) -> set[tuple[str, str | None]]:
    """The tables, their columns and their indexes, by name."""
    with engine.connect() as connection:
        found = inspect(connection)
        names = set(found.get_table_names()) - {"alembic_version"}
        indexes = {(name, index["name"]) for name in names for index in found.get_indexes(name)}
        columns = {
            (name, f"column {column['name']}")
            for name in names
            for column in found.get_columns(name)
        }
    return {(name, None) for name in names} | indexes | columns


def counts(engine: Engine) -> dict[str, int]:
    """Rows per table."""
    with engine.connect() as connection:
        names = set(inspect(connection).get_table_names()) - {"alembic_version"}
        return {name: connection.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
                for name in names}  # fmt: skip


def test_each_downgrade_keeps_the_rest_and_the_schema_comes_back(backend, database, clock):
    fill(database, clock)
    engine = create_database_engine(database_url(database))
    try:
        before, rows = schema(engine), counts(engine)
        assert all(rows[name] for name in ("story", "run", "storyrun", "pipelinerun",
                                           "checklistitem", "dayoff", "standupnote"))  # fmt: skip
        for revision in (*reversed(migrations.known_revisions()[:-1]), "base"):
            downgrade(engine, "-1")
            left = schema(engine)
            assert left < before, f"downgrading to {revision} dropped nothing"
            if revision == "base":
                assert left == set()
                break
            assert version_of(engine) == revision
            kept = counts(engine)
            assert kept == {name: rows[name] for name in kept}  # the tables kept keep their rows
            before = left
        migrations.upgrade(engine)
        assert version_of(engine) == migrations.head_revision()
        assert schema_differences(engine, mlboard_metadata()) == []
    finally:
        engine.dispose()
