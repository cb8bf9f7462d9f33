"""Syncing from a real MLflow sqlite store: incremental, idempotent, linked by tag."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from sqlmodel import func, select

from mlboard.errors import UserError
from mlboard.integrations import mlflow_sync
from mlboard.integrations.mlflow_sync import TrackingError
from mlboard.services.linking import link_run, unlink_run
from mlboard.services.stories import create_story, story_history
from mlboard.services.sync import sync
from mlboard.store.tables import ModelVersion, PendingTag, Run, StoryRun, SyncCursor

from mlflow_stores import MlflowStore, empty_store

BACKENDS = ("sqlite", "postgresql")  # part of the store suite: runs on both


@pytest.fixture
def store(tmp_path) -> MlflowStore:
    return empty_store(tmp_path / "mlruns-store")


@pytest.fixture
def stories(workspace):
    for title in ("Churn model", "Fraud model"):
        create_story(workspace, title, {"kind": "experiment", "target": "val_auc >= 0.8"})
    return workspace


def rows(workspace, model) -> int:
    with workspace.reading() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def links(workspace) -> set[tuple[str, str, bool]]:
    with workspace.reading() as session:
        from mlboard.store.tables import Story

        return {
            (key, run_id, active)
            for key, run_id, active in session.exec(
                select(Story.key, Run.run_id, StoryRun.active)
                .join(Story, Story.id == StoryRun.story_id)
                .join(Run, Run.id == StoryRun.run_pk)
            )
        }


def test_first_sync_mirrors_runs_and_links_tagged_ones(stories, store):
    tagged = store.run("churn", "lr-0.1", story="ML-1", metrics={"val_auc": 0.81})
    store.run("churn", "lr-0.01", story="ml-1", start=5, metrics={"val_auc": 0.78})
    untagged = store.run("scratch", "notebook", start=7)
    store.run("fraud", "tagged-unknown", story="ML-99", start=9)
    result = sync(stories, store.uri)
    assert result.as_json() == {
        "tracking_uri": store.uri,
        "runs_seen": 4,
        "runs_added": 4,
        "runs_updated": 0,
        "links_added": 2,
        "model_versions": 0,
        "tags_pending": 0,
    }
    assert {(key, run_id) for key, run_id, _ in links(stories)} >= {("ML-1", tagged)}
    with stories.reading() as session:
        run = session.exec(select(Run).where(Run.run_id == tagged)).one()
        assert (run.experiment_name, run.status, run.metrics) == (
            "churn",
            "FINISHED",
            {"val_auc": 0.81},
        )
        assert session.exec(select(Run).where(Run.run_id == untagged)).one().run_name == "notebook"
    assert [e.field for e in story_history(stories, "ML-1")].count("run") == 2


def test_a_second_sync_with_nothing_new_changes_nothing(stories, store):
    store.run("churn", "a", story="ML-1")
    sync(stories, store.uri)
    again = sync(stories, store.uri)
    assert (again.runs_added, again.runs_updated, again.links_added) == (0, 0, 0)
    assert rows(stories, Run) == 1


def test_new_finished_and_deleted_runs_are_picked_up(stories, store):
    running = store.run("churn", "long", story="ML-2", minutes=None)
    doomed = store.run("churn", "doomed", start=1)
    sync(stories, store.uri)
    store.run("churn", "newer", story="ML-1", start=30)
    store.client.set_terminated(running, status="FAILED", end_time=store_time(40))
    store.client.delete_run(doomed)
    result = sync(stories, store.uri)
    assert (result.runs_added, result.runs_updated) == (1, 2)
    with stories.reading() as session:
        statuses = dict(session.exec(select(Run.run_name, Run.status)).all())
        deleted = dict(session.exec(select(Run.run_name, Run.deleted)).all())
    assert statuses["long"] == "FAILED"
    assert deleted == {"long": False, "doomed": True, "newer": False}
    store.client.restore_run(doomed)
    sync(stories, store.uri)
    with stories.reading() as session:
        assert not session.exec(select(Run.deleted).where(Run.run_id == doomed)).one()


def store_time(minutes: int) -> int:
    from mlflow_stores import T0

    return T0 + minutes * 60_000


def test_an_interrupted_sync_resumes_to_the_same_rows(stories, store, tmp_path, monkeypatch):
    for index in range(7):
        store.run("churn", f"run-{index}", story="ML-1" if index % 2 else None, start=index)
    monkeypatch.setattr(mlflow_sync, "PAGE_SIZE", 2)
    pages = []

    def interrupt_after_two_pages(message: str) -> None:
        pages.append(message)
        if len(pages) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sync(stories, store.uri, progress=interrupt_after_two_pages)
    assert 0 < rows(stories, Run) < 7
    sync(stories, store.uri)
    interrupted = (rows(stories, Run), links(stories))

    from mlboard.services.workspace import Workspace
    from mlboard.store.engine import open_database

    clean = Workspace(open_database(str(tmp_path / "clean.db")), stories.settings, stories.clock)
    for title in ("Churn model", "Fraud model"):
        create_story(clean, title)
    sync(clean, store.uri)
    assert interrupted == (rows(clean, Run), links(clean))
    assert rows(stories, SyncCursor) == 1


def test_manual_link_writes_the_tag_back_and_unlink_sticks(stories, store):
    run_id = store.run("scratch", "notebook")
    sync(stories, store.uri)
    link_run(stories, "ML-2", run_id, write_tag=True)
    assert store.client.get_run(run_id).data.tags["mlboard.story"] == "ML-2"
    with pytest.raises(UserError, match="already linked"):
        link_run(stories, "ML-2", run_id)
    unlink_run(stories, "ML-2", run_id, write_tag=False)
    sync(stories, store.uri)  # the tag still says ML-2, but a person unlinked it
    assert links(stories) == {("ML-2", run_id, False)}
    fields = [(e.field, e.old, e.new) for e in story_history(stories, "ML-2")][1:]
    assert fields == [("run", None, run_id), ("run", run_id, None)]


def test_linking_an_unknown_run_is_a_clear_error(stories):
    with pytest.raises(UserError, match="run nope is not on the board"):
        link_run(stories, "ML-1", "nope")


def test_registry_versions_and_aliases_appear(stories, store):
    run_id = store.run("churn", "best", story="ML-1", metrics={"val_auc": 0.9})
    client = store.client
    client.create_registered_model("churn-classifier")
    version = client.create_model_version("churn-classifier", f"runs:/{run_id}/model", run_id)
    client.set_registered_model_alias("churn-classifier", "champion", version.version)
    assert sync(stories, store.uri).model_versions == 1
    with stories.reading() as session:
        mirrored = session.exec(select(ModelVersion)).one()
    assert (mirrored.name, mirrored.version, mirrored.aliases, mirrored.run_id) == (
        "churn-classifier",
        1,
        ["champion"],
        run_id,
    )
    client.delete_registered_model_alias("churn-classifier", "champion")
    sync(stories, store.uri)
    with stories.reading() as session:
        assert session.exec(select(ModelVersion.aliases)).one() == []


def test_unreachable_and_file_stores_are_clear_errors(workspace, tmp_path, monkeypatch):
    with pytest.raises(TrackingError, match="unreachable"):
        sync(workspace, "http://127.0.0.1:9")
    mlruns = tmp_path / "mlruns"
    mlruns.mkdir()
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    with pytest.raises(TrackingError, match="MLFLOW_ALLOW_FILE_STORE=true"):
        sync(workspace, str(mlruns))
    with pytest.raises(TrackingError, match="neither a URI"):
        sync(workspace, str(tmp_path / "missing"))


def test_a_missing_sqlite_store_is_refused_not_created(workspace, tmp_path):
    typo = tmp_path / "mlfow.db"
    with pytest.raises(TrackingError, match=re.escape(f"no MLflow store at sqlite:///{typo}")):
        sync(workspace, f"sqlite:///{typo}")
    assert not typo.exists()
    with workspace.reading() as session:
        assert session.exec(select(SyncCursor)).all() == []


def test_mlflow_keeps_its_set_up_chatter_to_itself(tmp_path):
    """Creating a store logs `INFO mlflow.store.db.utils: Creating initial MLflow database
    tables…`; the demo and sync must not show it."""
    script = (
        "from mlboard.integrations.mlflow_sync import quiet_mlflow_logs\n"
        "quiet_mlflow_logs()\n"
        "from mlflow import MlflowClient\n"
        "MlflowClient(tracking_uri='sqlite:///new.db').search_experiments()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_LOGGING_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "new.db").is_file()
    assert "INFO" not in result.stderr


def test_a_tag_mlflow_refuses_stays_pending_and_a_later_sync_writes_it(stories, store):
    run_id = store.run("scratch", "notebook")
    sync(stories, store.uri)
    store.client.delete_run(run_id)  # MLflow refuses to tag a deleted run

    result = link_run(stories, "ML-2", run_id, write_tag=True)
    assert result.tag_warning is not None and "cannot tag the run" in result.tag_warning
    assert links(stories) == {("ML-2", run_id, True)}  # the link stands all the same
    assert sync(stories, store.uri).tags_pending == 1  # tried again, refused again

    store.client.restore_run(run_id)
    assert sync(stories, store.uri).tags_pending == 0
    assert store.client.get_run(run_id).data.tags["mlboard.story"] == "ML-2"
    assert rows(stories, PendingTag) == 0


def test_unlink_removes_the_tag_it_wrote_and_cancels_one_never_written(stories, store):
    run_id = store.run("scratch", "notebook")
    tagged = store.run("churn", "tagged", story="ML-1", start=5)
    sync(stories, store.uri)
    link_run(stories, "ML-2", run_id, write_tag=True)
    assert store.client.get_run(run_id).data.tags["mlboard.story"] == "ML-2"
    assert unlink_run(stories, "ML-2", run_id, write_tag=True).tag_warning is None
    assert "mlboard.story" not in store.client.get_run(run_id).data.tags

    store.client.delete_run(tagged)
    assert link_run(stories, "ML-2", tagged, write_tag=True).tag_warning is not None
    unlink_run(stories, "ML-2", tagged, write_tag=True)  # the ML-2 tag never reached MLflow
    store.client.restore_run(tagged)
    assert sync(stories, store.uri).tags_pending == 0
    assert store.client.get_run(tagged).data.tags["mlboard.story"] == "ML-1"  # as it was


def test_the_commands_warn_of_a_pending_tag_and_sync_reports_it(stories, store, monkeypatch):
    """The link succeeds (exit 0) with one warning line; `sync` counts what is still pending."""
    from cli_runs import Mlboard

    monkeypatch.setenv("COLUMNS", "200")
    mlboard = Mlboard(stories.settings.database)
    run_id = store.run("scratch", "notebook")
    sync(stories, store.uri)
    store.client.delete_run(run_id)

    linked = mlboard("story", "link", "ML-2", run_id, "--write-tag")
    assert linked.exit_code == 0, linked.output
    assert linked.stdout == f"linked run {run_id} to ML-2\n"
    assert linked.stderr.startswith("warning: mlboard.story tag not written (cannot tag the run")
    assert linked.stderr.count("\n") == 1
    assert linked.stderr.endswith("; the next sync tries again\n")

    report = json.loads(mlboard.ok("sync", "--tracking-uri", store.uri, "--format", "json"))
    assert report["tags_pending"] == 1
    assert [(uri["tracking_uri"], uri["tags_pending"]) for uri in report["tracking_uris"]] == [
        (store.uri, 1)
    ]
    text = mlboard.ok("sync", "--tracking-uri", store.uri, "--no-history")
    assert f"{store.uri}: 1 story tag not yet written to MLflow (the next sync tries" in text
