"""A team's tracking store is read, never changed: stores MLflow would migrate, create or fill
in on opening are refused in one line and left byte for byte as they were."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from sqlmodel import select

from mlboard.errors import UserError
from mlboard.integrations.mlflow_store_check import installed_schema
from mlboard.integrations.mlflow_sync import TrackingStore
from mlboard.services.metric_history import refresh_histories
from mlboard.services.stories import create_story
from mlboard.services.sync import sync
from mlboard.store.tables import SyncCursor

from mlflow_stores import downgrade_one_revision, empty_store, fingerprint, older_store

BACKENDS = ("sqlite", "postgresql")  # the board's own database: refusals write nothing there


def revision_of(database: Path) -> str:
    with closing(sqlite3.connect(database)) as connection:
        return connection.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def change(database: Path, *statements: str) -> None:
    with closing(sqlite3.connect(database)) as connection:
        for statement in statements:
            connection.execute(statement)
        connection.commit()


def refused(workspace, uri: str) -> UserError:
    """Sync `uri`, which must be refused as bad input (exit 2) before the board is written."""
    with pytest.raises(UserError) as caught:
        sync(workspace, uri)
    with workspace.reading() as session:
        assert session.exec(select(SyncCursor)).all() == []
    assert caught.value.exit_code == 2 and "\n" not in caught.value.message
    return caught.value


def test_a_store_older_than_the_installed_mlflow_is_refused_and_left_as_it_was(workspace, tmp_path):
    store = older_store(tmp_path / "team")
    older, ours = revision_of(store.folder / "mlflow.db"), installed_schema()
    assert older != ours.head
    before = fingerprint(store.folder)
    error = refused(workspace, store.uri)
    assert error.message == (
        f"{store.uri} was written by an older MLflow (schema {older}); this mlboard's MLflow "
        f"{ours.version} expects {ours.head}: upgrade the team's MLflow or install a matching "
        "mlflow-skinny; mlboard will not migrate it"
    )
    assert fingerprint(store.folder) == before
    assert revision_of(store.folder / "mlflow.db") == older  # the team's MLflow still opens it


def test_a_store_newer_than_the_installed_mlflow_is_refused(workspace, tmp_path):
    store = empty_store(tmp_path / "team")
    change(store.folder / "mlflow.db", "UPDATE alembic_version SET version_num = 'f4a9c0ffee42'")
    before = fingerprint(store.folder)
    error = refused(workspace, store.uri)
    assert "written by a newer MLflow (schema f4a9c0ffee42)" in error.message
    assert f"expects {installed_schema().head}" in error.message
    assert fingerprint(store.folder) == before


def empty_file(database: Path) -> None:
    database.unlink()
    database.touch()


def other_application(database: Path) -> None:
    database.unlink()
    change(
        database,
        "CREATE TABLE alembic_version (version_num TEXT)",
        "INSERT INTO alembic_version VALUES ('0008')",
        "CREATE TABLE notes (id INTEGER)",
    )


def table_dropped(database: Path) -> None:
    change(database, "DROP TABLE scheduler_leases")


def default_experiment_gone(database: Path) -> None:
    change(database, "DELETE FROM experiments WHERE experiment_id = 0")


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (empty_file, "is not an MLflow store (it is empty); mlboard will not create one there"),
        (other_application, "is not an MLflow store (it has no experiments or runs tables)"),
        (table_dropped, "lacks the tables scheduler_leases, which MLflow would create"),
        (default_experiment_gone, "has no default experiment (id 0), which MLflow would create"),
    ],
)
def test_a_store_mlflow_would_fill_in_is_refused_untouched(
    workspace, tmp_path, damage: Callable[[Path], None], says: str
):
    store = empty_store(tmp_path / "team")
    damage(store.folder / "mlflow.db")
    before = fingerprint(store.folder)
    assert says in refused(workspace, store.uri).message
    assert fingerprint(store.folder) == before


def test_a_matching_store_is_read_without_a_byte_changing(workspace, tmp_path):
    store = empty_store(tmp_path / "team")
    run_id = store.run("churn", "lgbm", story="ML-1", history={"val_auc": [0.7, 0.8, 0.85]})
    client = store.client
    client.create_registered_model("churn")
    version = client.create_model_version("churn", f"runs:/{run_id}/model", run_id)
    client.set_registered_model_alias("churn", "champion", version.version)
    create_story(workspace, "Churn", {"kind": "experiment", "target": "val_auc >= 0.8"})
    before = fingerprint(store.folder)

    first = sync(workspace, store.uri)
    assert refresh_histories(workspace) == 1
    again = sync(workspace, store.uri)

    assert (first.runs_added, first.links_added, first.model_versions) == (1, 1, 1)
    assert (again.runs_added, again.runs_updated) == (0, 0)
    assert fingerprint(store.folder) == before


def test_a_file_store_is_read_without_changes_and_never_created(workspace, tmp_path, monkeypatch):
    """MLflow's file stores create `models/` when the registry is read, and a whole store
    (folder, default experiment, `.trash`) where none is."""
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    folder = tmp_path / "mlruns"
    client = MlflowClient(tracking_uri=str(folder))
    run = client.create_run(client.create_experiment("churn"), tags={"mlboard.story": "ML-1"})
    client.set_terminated(run.info.run_id)
    create_story(workspace, "Churn")
    before = fingerprint(folder)

    result = sync(workspace, str(folder))
    assert (result.runs_added, result.links_added, result.model_versions) == (1, 1, 0)
    assert fingerprint(folder) == before

    missing = tmp_path / "typo"
    with pytest.raises(UserError, match="does not exist"):
        sync(workspace, missing.as_uri())
    assert not missing.exists()
    (folder / ".trash").rmdir()
    with pytest.raises(UserError, match=r"not an MLflow file store: it has no \.trash folder"):
        sync(workspace, str(folder))
    assert not (folder / ".trash").exists()


def test_the_refusal_is_one_line_and_exit_2_from_the_command(tmp_path):
    store = older_store(tmp_path / "team")
    before = fingerprint(store.folder)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MLBOARD_USER": "ana"}
    if "PYTHONPATH" in os.environ:  # the checkout under test, when it is not the installed one
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    result = subprocess.run(
        [sys.executable, "-m", "mlboard", "--db", str(tmp_path / "board.db"),
         "sync", "--tracking-uri", store.uri],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"error: {store.uri} was written by an older MLflow")
    assert result.stderr.count("\n") == 1 and result.stdout == ""
    assert fingerprint(store.folder) == before


def test_an_older_postgresql_store_is_refused_and_left_as_it_was(postgres_url):
    """A server database is read with a plain SQLAlchemy read; its schema stays as it was."""
    if postgres_url is None:
        pytest.skip("PostgreSQL is not installed here (apt-get install postgresql)")
    from mlflow import MlflowClient
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.pool import NullPool

    from postgres_server import created_database

    def schema(url: str) -> tuple[str, dict[str, list[str]]]:
        engine = create_engine(url, poolclass=NullPool)
        with engine.connect() as connection:
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
            tables = inspect(connection)
            columns = {
                t: [c["name"] for c in tables.get_columns(t)] for t in tables.get_table_names()
            }
        engine.dispose()
        return revision or "", columns

    with created_database(postgres_url) as url:
        MlflowClient(tracking_uri=url, registry_uri=url).search_experiments()  # MLflow builds it
        downgrade_one_revision(url)
        before = schema(url)
        with pytest.raises(UserError, match="was written by an older MLflow") as caught:
            TrackingStore(url)
        assert caught.value.exit_code == 2
        assert schema(url) == before
