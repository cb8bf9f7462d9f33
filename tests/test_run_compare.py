"""Runs side by side (`run compare`, `story compare`), from a real MLflow store."""

from __future__ import annotations

import json

import pytest

from mlboard.errors import UserError
from mlboard.services.run_compare import compare_runs, compare_story_runs
from mlboard.services.stories import create_story
from mlboard.services.sync import sync

from cli_runs import mlboard_in
from mlflow_stores import empty_store


@pytest.fixture
def store(tmp_path):
    return empty_store(tmp_path / "store")


def sweep(store, story: str | None = "ML-1") -> list[str]:
    """Three finished runs of a story that differ in two params, and share one."""
    return [
        store.run("fraud", name, story=story, start=start, params=params, metrics=metrics)
        for name, start, params, metrics in (
            ("lr-0.1", 0, {"lr": "0.1", "depth": "6", "seed": "7"},
             {"val_auc": 0.81, "val_loss": 0.40}),
            ("lr-0.01", 10, {"lr": "0.01", "depth": "6", "seed": "7"},
             {"val_auc": 0.86, "val_loss": 0.45}),
            ("depth-8", 20, {"lr": "0.01", "depth": "8", "seed": "7"},
             {"val_auc": 0.84, "val_loss": 0.38}),
        )
    ]  # fmt: skip


def test_run_compare_shows_only_what_differs(tmp_path, store, monkeypatch):
    mlboard = mlboard_in(tmp_path, monkeypatch)
    a, b, c = sweep(store, story=None)
    mlboard.ok("sync", "--tracking-uri", store.uri, "--no-history")

    data = json.loads(mlboard.ok("run", "compare", c[:6], a[:6], b, "--format", "json"))
    assert data == {
        "runs": [
            {"run_id": c, "run_name": "depth-8"},
            {"run_id": a, "run_name": "lr-0.1"},
            {"run_id": b, "run_name": "lr-0.01"},
        ],
        "params": {"depth": ["8", "6", "6"], "lr": ["0.01", "0.1", "0.01"]},
        "params_same": 1,
        "metrics": {"val_auc": [0.84, 0.81, 0.86], "val_loss": [0.38, 0.40, 0.45]},
        "best": {"val_auc": b, "val_loss": c},
    }
    everything = json.loads(mlboard.ok("run", "compare", a, b, "--all-params", "--format", "json"))
    assert everything["params"] == {"lr": ["0.1", "0.01"], "depth": ["6", "6"], "seed": ["7", "7"]}
    assert everything["params_same"] == 2

    text = mlboard.ok("run", "compare", a, b, c)
    assert "1 equal params not shown" in text and "0.86 ★" in text and "0.38 ★" in text
    markdown = mlboard.ok("run", "compare", a, b, "--format", "md")
    assert "|  | #1 lr-0.1 | #2 lr-0.01 |" in markdown and "| lr | 0.1 | 0.01 |" in markdown


def test_compare_refuses_one_run_and_more_than_fifty(workspace, store):
    (run_id, *_) = sweep(store)
    sync(workspace, store.uri)
    with pytest.raises(UserError, match="at least two different runs"):
        compare_runs(workspace, [run_id, run_id[:8]])  # the same run twice
    with pytest.raises(UserError, match="51 runs are too many to compare: at most 50") as refused:
        compare_runs(workspace, [f"{index:032x}" for index in range(51)])
    assert refused.value.exit_code == 2


def test_story_compare_takes_the_finished_runs_in_start_order_and_the_targets_direction(
    workspace, store
):
    # a lower-is-better target on a name that reads as higher-is-better
    create_story(workspace, "Fairness", {"target": "val_auc_gap <= 0.02"})
    parent = store.run("fair", "sweep", story="ML-1", start=0, metrics={"val_auc_gap": 0.05})
    child = store.run("fair", "reweigh", start=5, metrics={"val_auc_gap": 0.03},
                      tags={"mlflow.parentRunId": parent})  # fmt: skip
    late = store.run("fair", "late", story="ML-1", start=30, metrics={"val_auc_gap": 0.04})
    store.run("fair", "crashed", story="ML-1", start=10, status="FAILED",
              metrics={"val_auc_gap": 0.0})  # fmt: skip
    store.run("fair", "running", story="ML-1", start=40, minutes=None,
              metrics={"val_auc_gap": 0.01})  # fmt: skip
    store.run("fair", "unlinked", start=50, metrics={"val_auc_gap": 0.0})
    sync(workspace, store.uri)

    comparison = compare_story_runs(workspace, "ML-1")
    assert [run.run_id for run in comparison.runs] == [parent, child, late]
    assert comparison.diff.metrics == {"val_auc_gap": [0.05, 0.03, 0.04]}
    assert comparison.best == {"val_auc_gap": child}
    assert str(comparison.target) == "val_auc_gap <= 0.02"


def test_story_compare_needs_finished_runs(workspace, store):
    create_story(workspace, "Nothing yet")
    with pytest.raises(UserError, match="ML-1 has no finished runs to compare"):
        compare_story_runs(workspace, "ML-1")


def test_story_compare_on_the_command_line(tmp_path, store, monkeypatch):
    mlboard = mlboard_in(tmp_path, monkeypatch)
    mlboard.ok("story", "add", "Fraud", "--target", "val_auc >= 0.9")
    a, b, c = sweep(store)
    mlboard.ok("sync", "--tracking-uri", store.uri, "--no-history")
    data = json.loads(mlboard.ok("story", "compare", "ml-1", "--format", "json"))
    assert [run["run_id"] for run in data["runs"]] == [a, b, c]
    assert data["best"] == {"val_auc": b, "val_loss": c}
    text = mlboard.ok("story", "compare", "ML-1")
    assert "best ★ on val_auc >= 0.9" in text
