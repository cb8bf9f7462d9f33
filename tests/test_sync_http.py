"""The HTTP path: a real `mlflow server` on 127.0.0.1, synced and written back to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mlboard.services.evidence import story_evidence
from mlboard.services.linking import link_run
from mlboard.services.stories import create_story
from mlboard.services.sync import sync

from mlflow_stores import mlflow_server


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

    link_run(workspace, "ML-2", loose.info.run_id, write_tag=True)
    assert client.get_run(loose.info.run_id).data.tags["mlboard.story"] == "ML-2"
    again = sync(workspace, server)
    assert (again.runs_added, again.links_added) == (0, 0)


def _client(uri: str):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri)
