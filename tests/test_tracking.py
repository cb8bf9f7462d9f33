"""Training code tags its runs; a sync turns the tags into links on the board."""

from __future__ import annotations

import mlflow
import pytest

from mlboard.services.experiments.sync import sync
from mlboard.services.governance.evidence import story_evidence
from mlboard.services.stories.records import create_story
from mlboard.tracking import story_key, story_run, tag_story

from mlflow_stores import empty_store


@pytest.fixture
def tracking(tmp_path, monkeypatch):
    store = empty_store(tmp_path / "store")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store.uri)
    mlflow.set_tracking_uri(store.uri)
    mlflow.set_experiment("churn")
    yield store
    while mlflow.active_run():
        mlflow.end_run()


def test_runs_tagged_from_training_code_are_linked_by_sync(workspace, tracking, monkeypatch):
    create_story(workspace, "Churn", {"target": "val_auc >= 0.86"})
    with story_run("ml-1", run_name="lr-0.01") as run:
        mlflow.log_metric("val_auc", 0.88)
    with mlflow.start_run(run_name="manual") as manual:
        assert tag_story("ML-1") == manual.info.run_id
    monkeypatch.setenv("MLBOARD_STORY", "ML-1")
    with mlflow.start_run(run_name="from-ci") as ci:
        tag_story()
    assert sync(workspace, tracking.uri).links_added == 3
    evidence = story_evidence(workspace, "ML-1")
    assert {r.run_id for r in evidence.runs} == {
        run.info.run_id,
        manual.info.run_id,
        ci.info.run_id,
    }
    assert evidence.target_met is True


def test_bad_keys_and_missing_runs_are_refused(tracking, monkeypatch):
    monkeypatch.delenv("MLBOARD_STORY", raising=False)
    with pytest.raises(ValueError, match="MLBOARD_STORY"):
        story_key()
    with pytest.raises(ValueError, match="not a story key"):
        story_key("churn")
    with pytest.raises(RuntimeError, match="no active MLflow run"):
        tag_story("ML-1")
