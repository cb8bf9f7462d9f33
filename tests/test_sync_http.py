"""The HTTP path: a real `mlflow server` on 127.0.0.1, synced and written back to."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from mlboard.services.evidence import story_evidence
from mlboard.services.linking import link_run
from mlboard.services.run_compare import compare_story_runs
from mlboard.services.stories import create_story
from mlboard.services.story_models import story_models
from mlboard.services.sync import sync

from mlflow_stores import T0, MlflowStore, mlflow_server


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[str]:
    with mlflow_server(tmp_path_factory.mktemp("mlflow-server")) as uri:
        yield uri


def test_sync_and_link_through_a_tracking_server(workspace, server, tmp_path):
    client = _client(server)
    experiment = client.create_experiment("churn-http")
    tagged = client.create_run(experiment, run_name="tagged", tags={"mlboard.story": "ML-1"})
    client.log_metric(tagged.info.run_id, "val_auc", 0.9)
    client.set_terminated(tagged.info.run_id)
    loose = client.create_run(experiment, run_name="loose")
    client.set_terminated(loose.info.run_id)

    create_story(workspace, "Churn", {"target": "val_auc >= 0.86"})
    create_story(workspace, "Fraud")
    first = sync(workspace, server)
    assert (first.runs_added, first.links_added) == (2, 1)
    assert story_evidence(workspace, "ML-1").target_met is True

    assert link_run(workspace, "ML-2", loose.info.run_id, write_tag=True).tag_warning is None
    assert client.get_run(loose.info.run_id).data.tags["mlboard.story"] == "ML-2"
    again = sync(workspace, server)
    assert (again.runs_added, again.links_added, again.tags_pending) == (0, 0, 0)


def _client(uri: str):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri)


def test_compute_models_plateau_and_compare_through_a_tracking_server(workspace, server, tmp_path):
    board = replace(workspace, settings=replace(workspace.settings, key_prefix="HTTP"))
    board.clock = lambda: datetime.fromtimestamp(T0 / 1000, UTC) + timedelta(days=1)
    create_story(board, "Tune", {"target": "val_auc >= 0.95", "gpu_hours": "1"})
    store = MlflowStore(tmp_path, server=server)
    values = [0.80, 0.90, 0.93, 0.936, 0.9372, 0.9376, 0.938, 0.935, 0.937, 0.936]
    run_ids = [
        store.run("tune-http", f"trial-{index}", story="HTTP-1", start=10 * index, minutes=5,
                  metrics={"val_auc": value}, tags={"mlboard.gpus": "2"})
        for index, value in enumerate(values)
    ]  # fmt: skip
    client = store.client
    client.create_registered_model("tuned")
    client.create_model_version("tuned", f"runs:/{run_ids[6]}/model", run_id=run_ids[6])
    sync(board, server)

    evidence = story_evidence(board, "HTTP-1")
    assert evidence.compute.gpu_hours_used == pytest.approx(2 * 10 * 5 / 60)
    assert [w.kind for w in evidence.story_warnings] == ["over_budget", "plateau"]
    assert [(m.name, m.run_id) for m in story_models(board, "HTTP-1")] == [("tuned", run_ids[6])]
    comparison = compare_story_runs(board, "HTTP-1")
    assert [run.run_id for run in comparison.runs] == run_ids
    assert comparison.best == {"val_auc": run_ids[6]}
