"""What a story's runs say: best against target, overfitting and failures, from a real store."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mlboard.cli import app
from mlboard.services.experiments.metric_history import refresh_histories
from mlboard.services.experiments.sync import sync
from mlboard.services.governance.evidence import story_evidence
from mlboard.services.stories.records import create_story

from mlflow_stores import empty_store


@pytest.fixture
def store(tmp_path):
    return empty_store(tmp_path / "store")


def overfitting_curves(epochs: int = 30) -> dict[str, list[float]]:
    train = [1.0 - 0.03 * e for e in range(epochs)]
    val = [0.9 - 0.04 * e if e <= 10 else 0.5 + 0.03 * (e - 10) for e in range(epochs)]
    return {"train_loss": train, "val_loss": val}


def healthy_curves(epochs: int = 30) -> dict[str, list[float]]:
    train = [1.0 / (1 + 0.2 * e) for e in range(epochs)]
    return {"train_loss": train, "val_loss": [value + 0.05 for value in train]}


def test_best_run_and_target_for_a_metric_to_maximise(workspace, store):
    create_story(workspace, "Churn", {"target": "val_auc >= 0.8"})
    store.run("churn", "weak", story="ML-1", metrics={"val_auc": 0.75})
    best = store.run("churn", "strong", story="ML-1", start=5, metrics={"val_auc": 0.83})
    store.run(
        "churn", "still running", story="ML-1", start=9, minutes=None, metrics={"val_auc": 0.99}
    )
    sync(workspace, store.uri)
    evidence = story_evidence(workspace, "ML-1")
    assert (evidence.best_run_id, evidence.best_value, evidence.target_met) == (best, 0.83, True)
    assert [point.best_so_far for point in evidence.trend] == [0.75, 0.83]


def test_best_run_for_a_metric_to_minimise_that_misses(workspace, store):
    create_story(workspace, "Forecast", {"target": "val_rmse <= 4.5"})
    store.run("demand", "a", story="ML-1", metrics={"val_rmse": 5.1})
    best = store.run("demand", "b", story="ML-1", start=3, metrics={"val_rmse": 4.7})
    sync(workspace, store.uri)
    evidence = story_evidence(workspace, "ML-1")
    assert (evidence.best_run_id, evidence.best_value, evidence.target_met) == (best, 4.7, False)


def test_no_target_or_no_runs_means_no_verdict(workspace, store):
    create_story(workspace, "Infra")
    create_story(workspace, "Target, no runs", {"target": "val_f1 >= 0.9"})
    for key in ("ML-1", "ML-2"):
        evidence = story_evidence(workspace, key)
        assert (evidence.best_run_id, evidence.target_met, evidence.runs) == (None, None, [])


def test_overfitting_is_found_in_the_history_of_a_run_built_to_overfit(workspace, store):
    create_story(workspace, "Recs", {"target": "val_loss <= 0.4"})
    bad = store.run("recs", "deep-mlp", story="ML-1", history=overfitting_curves())
    store.run("recs", "small-mlp", story="ML-1", start=40, history=healthy_curves())
    sync(workspace, store.uri)
    assert refresh_histories(workspace) == 4  # two metrics of two runs
    assert refresh_histories(workspace) == 0  # cached
    warnings = story_evidence(workspace, "ML-1").warnings
    assert [(w.run_id, w.kind) for w in warnings] == [(bad, "overfitting")]
    assert "deep-mlp" in warnings[0].message and "val_loss" in warnings[0].message


def test_failed_runs_are_flagged(workspace, store):
    create_story(workspace, "Fraud")
    failed = store.run("fraud", "nan-loss", story="ML-1", status="FAILED")
    sync(workspace, store.uri)
    warnings = story_evidence(workspace, "ML-1").warnings
    assert [(w.run_id, w.kind) for w in warnings] == [(failed, "failed")]


def test_nested_runs_roll_up_to_the_story_of_their_parent(workspace, store):
    create_story(workspace, "Grid search", {"target": "val_f1 >= 0.7"})
    parent = store.run("grid", "search", story="ML-1", metrics={"val_f1": 0.6})
    child = store.run(
        "grid", "C=1", start=1, metrics={"val_f1": 0.72}, tags={"mlflow.parentRunId": parent}
    )
    sync(workspace, store.uri)
    evidence = story_evidence(workspace, "ML-1")
    assert {run.run_id for run in evidence.runs} == {parent, child}
    assert (evidence.best_run_id, evidence.target_met) == (child, True)


def test_story_show_json_carries_the_evidence(tmp_path, store, monkeypatch):
    monkeypatch.setenv("MLBOARD_USER", "tester")
    runner = CliRunner()
    db = str(tmp_path / "cli.db")
    run_id = store.run("churn", "best", story="ML-1", metrics={"val_auc": 0.9})
    for args in (
        ["story", "add", "Churn", "--target", "val_auc >= 0.86"],
        ["sync", "--tracking-uri", store.uri, "--format", "json"],
    ):
        result = runner.invoke(app, ["--db", db, *args])
        assert result.exit_code == 0, (result.output, result.exception)
    synced = json.loads(result.output)
    assert {k: synced[k] for k in ("runs_seen", "runs_added", "links_added")} == {
        "runs_seen": 1,
        "runs_added": 1,
        "links_added": 1,
    }
    shown = json.loads(
        runner.invoke(app, ["--db", db, "story", "show", "ML-1", "--format", "json"]).output
    )
    assert shown["best"] == {"run_id": run_id, "value": 0.9}
    assert shown["target_met"] is True and shown["warnings"] == []
    assert [run["run_id"] for run in shown["runs"]] == [run_id]
    assert set(shown["runs"][0]) >= {"run_id", "run_name", "status", "start", "end", "metrics"}
