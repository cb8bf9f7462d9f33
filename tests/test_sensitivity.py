"""Sensitivity follows data: from pipelines and from the datasets runs logged to MLflow."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from mlboard.errors import UserError
from mlboard.services.experiments.sync import sync
from mlboard.services.governance.audit import audit_entries
from mlboard.services.governance.gates import story_gates
from mlboard.services.governance.sensitivity import label_dataset, list_datasets, story_sensitivity
from mlboard.services.stories.records import create_story, move_story
from mlboard.services.team.members import add_member
from mlboard.store.tables import Dataset, Pipeline, RunDataset, Story, StoryPipeline

from cli_runs import mlboard_in
from mlflow_stores import MlflowStore, empty_store


@pytest.fixture
def store(tmp_path) -> MlflowStore:
    return empty_store(tmp_path / "store")


@pytest.fixture
def mlflow(store):
    """MLflow's fluent API (what training code calls), pointed at the test store."""
    import mlflow

    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(store.uri)
    yield mlflow
    mlflow.set_tracking_uri(previous)


def frame():
    import pandas as pd

    return pd.DataFrame({"tenure": [1.0, 24.0, 7.0], "churned": [0.0, 1.0, 0.0]})


def train(mlflow, store, story: str | None, datasets: dict[str, dict[str, str]]) -> str:
    """A run that logs each dataset as input: name -> input tags (context included)."""
    tags = {"mlboard.story": story} if story else {}
    with mlflow.start_run(experiment_id=store.experiment("churn"), tags=tags) as run:
        for name, input_tags in datasets.items():
            context = input_tags.pop("context", "training")
            data = mlflow.data.from_pandas(frame(), name=name)
            mlflow.log_input(data, context=context, tags=input_tags or None)
        mlflow.log_metric("val_auc", 0.84)
    return run.info.run_id


def depend(ws, key: str, namespace: str, name: str, level: str) -> None:
    with ws.writing() as session:
        pipeline = Pipeline(namespace=namespace, name=name, sensitivity=level, created_at=ws.now())
        session.add(pipeline)
        session.flush()
        story = session.exec(select(Story).where(Story.key == key)).one()
        session.add(StoryPipeline(story_id=story.id, pipeline_id=pipeline.id))


def test_a_story_without_labels_is_none_with_no_sources(workspace):
    create_story(workspace, "Infra", {"kind": "infra"})
    assert story_sensitivity(workspace, "ML-1") == ("none", [])


def test_a_story_inherits_the_highest_label_of_its_pipelines(workspace):
    create_story(workspace, "Churn features", {"kind": "data", "sensitivity": "internal"})
    depend(workspace, "ML-1", "warehouse", "events", "internal")
    depend(workspace, "ML-1", "warehouse", "customers", "special_category")
    assert story_sensitivity(workspace, "ML-1") == (
        "special_category",
        ["pipeline warehouse/customers"],
    )


def test_equal_labels_list_every_source(workspace):
    create_story(workspace, "Churn features", {"kind": "data", "sensitivity": "personal"})
    depend(workspace, "ML-1", "warehouse", "customers", "personal")
    assert story_sensitivity(workspace, "ML-1") == (
        "personal",
        ["story", "pipeline warehouse/customers"],
    )


def test_sync_mirrors_the_datasets_a_run_logged(workspace, store, mlflow):
    create_story(workspace, "Churn model", {"kind": "model"})
    train(mlflow, store, "ML-1", {"churn-train": {}, "churn-eval": {"context": "evaluation"}})
    sync(workspace, store.uri)
    sync(workspace, store.uri)  # idempotent
    with workspace.reading() as session:
        rows = session.exec(
            select(Dataset.name, Dataset.digest, Dataset.source_type, RunDataset.context)
            .join(RunDataset, RunDataset.dataset_id == Dataset.id)
            .order_by(Dataset.name)
        ).all()
    assert [(name, context) for name, _, _, context in rows] == [
        ("churn-eval", "evaluation"),
        ("churn-train", "training"),
    ]
    assert all(digest and source_type for _, digest, source_type, _ in rows)
    [_, listed_train] = list_datasets(workspace)
    assert (listed_train.name, listed_train.sensitivity, listed_train.runs) == (
        "churn-train",
        "none",
        1,
    )


def test_a_labelled_dataset_puts_a_model_story_under_the_gates(workspace, store, mlflow):
    add_member(workspace, "ana")
    create_story(
        workspace,
        "Churn model",
        {"kind": "model", "sensitivity": "internal", "assignee": "ana", "status": "review"},
    )
    train(mlflow, store, "ML-1", {"churn-train": {}})
    sync(workspace, store.uri)
    assert story_sensitivity(workspace, "ML-1") == ("internal", ["story"])
    assert story_gates(workspace, "ML-1").gates == []

    assert label_dataset(workspace, "churn-train", "personal") == ("none", "personal")

    assert story_sensitivity(workspace, "ML-1") == ("personal", ["dataset churn-train"])
    with pytest.raises(UserError) as refused:
        move_story(workspace, "ML-1", "done")
    assert refused.value.exit_code == 3
    assert refused.value.message == (
        "cannot move ML-1 to done: missing model_card, bias_evaluation, privacy_review, "
        "approval by someone other than @ana"
    )
    [entry] = [e for e in audit_entries(workspace) if e.entity == "dataset"]
    assert (entry.key, entry.before, entry.after) == (
        "churn-train",
        {"sensitivity": "none"},
        {"sensitivity": "personal"},
    )


def test_datasets_of_nested_runs_count_for_the_parents_story(workspace, store, mlflow):
    create_story(workspace, "Grid search", {"kind": "experiment"})
    parent = {"experiment_id": store.experiment("churn"), "tags": {"mlboard.story": "ML-1"}}
    with mlflow.start_run(**parent), mlflow.start_run(nested=True):
        data = mlflow.data.from_pandas(frame(), name="claims")
        mlflow.log_input(data, context="training", tags={"mlboard.sensitivity": "personal"})
    sync(workspace, store.uri)
    assert story_sensitivity(workspace, "ML-1") == ("personal", ["dataset claims"])


def test_an_input_tag_labels_the_dataset_and_only_ever_raises_it(workspace, store, mlflow):
    create_story(workspace, "Churn model", {"kind": "model"})
    train(mlflow, store, "ML-1", {"health": {"mlboard.sensitivity": "special_category"}})
    train(mlflow, store, None, {"notes": {"mlboard.sensitivity": "top secret"}})
    sync(workspace, store.uri)
    levels = {d.name: d.sensitivity for d in list_datasets(workspace)}
    assert levels == {"health": "special_category", "notes": "none"}  # a typo is ignored

    label_dataset(workspace, "notes", "personal")
    train(mlflow, store, None, {"notes": {"mlboard.sensitivity": "internal"}})
    sync(workspace, store.uri)
    assert {d.name: d.sensitivity for d in list_datasets(workspace)}["notes"] == "personal"


def test_labelling_an_unknown_dataset_names_the_known_ones(workspace, store, mlflow):
    with pytest.raises(UserError, match="none synced yet"):
        label_dataset(workspace, "churn-train", "personal")
    train(mlflow, store, None, {"churn-train": {}})
    sync(workspace, store.uri)
    with pytest.raises(UserError, match=r"dataset 'churn' not found \(known: churn-train\)"):
        label_dataset(workspace, "churn", "personal")
    with pytest.raises(UserError, match="unknown sensitivity 'secret'"):
        label_dataset(workspace, "churn-train", "secret")


def test_dataset_commands_and_story_show_json(tmp_path, monkeypatch, store, mlflow):
    mlboard = mlboard_in(tmp_path, monkeypatch, user="ana")
    run = mlboard.ok
    run("story", "add", "Churn model", "--kind", "model", "--sensitivity", "internal")
    train(mlflow, store, "ML-1", {"churn-train": {}})
    run("sync", "--tracking-uri", store.uri, "--no-history")
    assert "churn-train: none → personal" in run("dataset", "label", "churn-train", "personal")
    [listed] = json.loads(run("dataset", "list", "--format", "json"))
    assert listed == {
        "name": "churn-train",
        "sensitivity": "personal",
        "versions": 1,
        "runs": 1,
        "source": listed["source"],
        "source_type": listed["source_type"],
    }
    shown = json.loads(run("story", "show", "ML-1", "--format", "json"))
    assert (shown["sensitivity"], shown["sensitivity_effective"]) == ("internal", "personal")
    assert shown["sensitivity_sources"] == ["dataset churn-train"]
    unknown = mlboard("dataset", "label", "nope", "personal")
    assert isinstance(unknown.exception, UserError) and unknown.exception.exit_code == 2
