"""What a story's runs cost and whether they still pay — GPU-hours against the budget, the
plateau of its best value — and the models it produced, in `story show`, the plan and the
standup, from a real MLflow store."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from mlboard.config import PlateauRules
from mlboard.services.evidence import story_evidence
from mlboard.services.experiments import list_model_versions
from mlboard.services.sprints import add_sprint, start_sprint
from mlboard.services.standup import standup_digest
from mlboard.services.stories import create_story
from mlboard.services.story_models import story_models
from mlboard.services.sync import sync

from cli_runs import mlboard_in
from mlflow_stores import T0, empty_store
from standup_week import at, minutes_from_t0

AT_T0 = datetime.fromtimestamp(T0 / 1000, UTC)
GPU_METRICS = {"system/gpu_0_utilization_percentage": 91.0,
               "system/gpu_1_utilization_percentage": 88.0, "val_auc": 0.7}  # fmt: skip
PLATEAUED = [0.80, 0.90, 0.93, 0.936, 0.9372, 0.9376, 0.938, 0.935, 0.937, 0.936]
IMPROVING = [0.80, 0.83, 0.86, 0.88, 0.90, 0.92, 0.93, 0.935, 0.94, 0.945]


@pytest.fixture
def store(tmp_path):
    return empty_store(tmp_path / "store")


def gpu_story(store, key: str = "ML-1") -> None:
    """4.0 GPU-hours against a budget of 3: a tag, system metrics, a CPU run, a sweep."""
    store.run("train", "tagged", story=key, minutes=30, tags={"mlboard.gpus": "2"})
    store.run("train", "monitored", story=key, start=30, minutes=60, metrics=GPU_METRICS)
    store.run("train", "cpu-only", story=key, start=90, minutes=600)
    parent = store.run(
        "train", "sweep", story=key, start=100, minutes=60, tags={"mlboard.gpus": "8"}
    )  # its own time overlaps its children's
    for index in range(2):
        store.run("train", f"trial-{index}", start=100 + 30 * index, minutes=30,
                  tags={"mlflow.parentRunId": parent, "mlboard.gpus": "1"})  # fmt: skip


def test_gpu_hours_count_tags_system_metrics_and_a_sweep_once(workspace, store, clock):
    clock.current = AT_T0 + timedelta(days=1)
    create_story(workspace, "Train", {"gpu_hours": "3"})
    create_story(workspace, "Roomy", {"gpu_hours": "5"})
    gpu_story(store, "ML-1")
    gpu_story(store, "ML-2")
    sync(workspace, store.uri)
    over = story_evidence(workspace, "ML-1")
    assert over.compute.as_json() == {
        "gpu_hours_used": 4.0, "gpu_hours_budget": 3.0, "runs_counted": 4, "over_budget": True,
    }  # fmt: skip
    assert [(w.kind, w.message) for w in over.story_warnings] == [
        ("over_budget", "ML-1 has used 4.0 of its 3 GPU-hours (4 runs with GPUs)")
    ]
    assert over.as_json()["warnings"][-1] == {
        "run_id": None, "kind": "over_budget", "message": over.story_warnings[0].message,
    }  # fmt: skip
    roomy = story_evidence(workspace, "ML-2")
    assert not roomy.compute.over_budget and roomy.story_warnings == []


def test_a_running_run_spends_the_budget_up_to_now(workspace, store, clock):
    create_story(workspace, "Long job", {"gpu_hours": "10"})
    store.run("train", "big", story="ML-1", minutes=None, tags={"mlboard.gpus": "4"})
    sync(workspace, store.uri)
    clock.current = AT_T0 + timedelta(hours=2)
    assert story_evidence(workspace, "ML-1").compute.gpu_hours_used == pytest.approx(8.0)
    assert not story_evidence(workspace, "ML-1").compute.over_budget
    clock.current = AT_T0 + timedelta(hours=3)
    assert story_evidence(workspace, "ML-1").compute.over_budget


def auc_runs(store, key: str, values: list[float], start: int = 0) -> None:
    for index, value in enumerate(values):
        store.run("auc", f"{key}-{index}", story=key, start=start + 10 * index, minutes=5,
                  metrics={"val_auc": value})  # fmt: skip


def test_a_plateaued_story_is_told_to_time_box_or_accept(workspace, store, clock):
    clock.current = AT_T0 + timedelta(days=1)
    for title in ("Plateaued", "Improving", "Met"):
        create_story(workspace, title, {"target": "val_auc >= 0.95"})
    auc_runs(store, "ML-1", PLATEAUED)
    store.run("auc", "crashed", story="ML-1", start=200, status="FAILED", metrics={"val_auc": 0.99})
    store.run("auc", "going", story="ML-1", start=210, minutes=None, metrics={"val_auc": 0.97})
    auc_runs(store, "ML-2", IMPROVING)
    auc_runs(store, "ML-3", [*PLATEAUED, 0.951])
    sync(workspace, store.uri)

    stalled = story_evidence(workspace, "ML-1")
    assert [w.message for w in stalled.story_warnings] == [
        "ML-1: the last 5 runs improved val_auc by 0.0008; 0.012 short of 0.95 — "
        "time-box it or accept below target"
    ]
    assert stalled.plateau is not None and stalled.plateau.runs == 10
    assert story_evidence(workspace, "ML-2").story_warnings == []  # still improving
    assert story_evidence(workspace, "ML-3").story_warnings == []  # met: never a plateau


def test_the_team_sets_patience_and_min_delta(workspace, store, clock):
    clock.current = AT_T0 + timedelta(days=1)
    create_story(workspace, "Improving", {"target": "val_auc >= 0.95"})
    auc_runs(store, "ML-1", IMPROVING)
    sync(workspace, store.uri)
    assert story_evidence(workspace, "ML-1").plateau is None

    def with_rules(rules: PlateauRules):
        return replace(workspace, settings=replace(workspace.settings, plateau=rules))

    # the last 5 runs took the best from .90 to .945: less than a min_delta of .05
    assert story_evidence(with_rules(PlateauRules(min_delta=0.05)), "ML-1").plateau is not None
    # the last 8 took it from .83: more than .05
    assert (
        story_evidence(with_rules(PlateauRules(patience=8, min_delta=0.05)), "ML-1").plateau is None
    )


def test_models_a_story_produced_directly_or_through_a_child_run(workspace, store):
    create_story(workspace, "Fraud v5")
    parent = store.run("fraud", "sweep", story="ML-1")
    child = store.run("fraud", "trial", start=1, tags={"mlflow.parentRunId": parent})
    other = store.run("fraud", "unrelated", start=2)
    client = store.client
    client.create_registered_model("fraud")
    for run_id in (child, parent, other):
        client.create_model_version("fraud", f"runs:/{run_id}/model", run_id=run_id)
    client.set_registered_model_alias("fraud", "champion", "2")
    sync(workspace, store.uri)
    found = [model.as_story_json() for model in story_models(workspace, "ML-1")]
    assert [(m["version"], m["run_id"], m["aliases"]) for m in found] == [
        (2, parent, ["champion"]),
        (1, child, []),
    ]  # newest first
    assert set(found[0]) == {"name", "version", "aliases", "run_id", "status", "created"}
    by_version = {v.version: v.stories for v in list_model_versions(workspace)}
    assert by_version == {1: ("ML-1",), 2: ("ML-1",), 3: ()}  # `model list` names the story


def test_story_show_and_plan_json_on_the_command_line(tmp_path, store, monkeypatch):
    mlboard = mlboard_in(tmp_path, monkeypatch)
    today = datetime.now(UTC).date()
    mlboard.ok("sprint", "add", "S1", "--start", str(today), "--end", str(today + timedelta(9)))
    mlboard.ok("story", "add", "Train", "--gpu-hours", "3", "--sprint", "S1")
    mlboard.ok("story", "add", "Tune", "--target", "val_auc >= 0.95", "--gpu-hours", "20",
               "--sprint", "S1")  # fmt: skip
    gpu_story(store, "ML-1")
    auc_runs(store, "ML-2", PLATEAUED, start=300)
    mlboard.ok("sync", "--tracking-uri", store.uri, "--no-history")

    shown = json.loads(mlboard.ok("story", "show", "ML-1", "--format", "json"))
    assert shown["compute"] == {
        "gpu_hours_used": 4.0, "gpu_hours_budget": 3.0, "runs_counted": 4, "over_budget": True,
    }  # fmt: skip
    assert shown["models"] == []
    assert [w["kind"] for w in shown["warnings"] if w["run_id"] is None] == ["over_budget"]
    text = mlboard.ok("story", "show", "ML-1")
    assert "GPU hours used\t4.0 of 3" in text and "⚠ ML-1 has used 4.0 of its 3" in text

    plan = json.loads(mlboard.ok("plan", "--format", "json"))
    assert plan["compute"] == {"budget": 23.0, "used": 4.0, "stories_over": ["ML-1"]}
    assert [(w["story"], w["kind"]) for w in plan["story_warnings"]] == [
        ("ML-1", "over_budget"),
        ("ML-2", "plateau"),
    ]
    assert any(w.startswith("ML-2: the last 5 runs improved val_auc") for w in plan["warnings"])
    assert "GPU-hours 4.0 used of 23 budgeted · over budget: ML-1" in mlboard.ok("plan")


def test_the_standup_says_when_a_story_went_over_budget_or_plateaued(workspace, store, clock):
    clock.current = at(-7, 9)
    add_sprint(workspace, "S1", start="2026-11-16", end="2026-11-27")
    create_story(workspace, "Over on Tuesday", {"sprint": "S1", "gpu_hours": "2"})
    create_story(workspace, "Over since Monday", {"sprint": "S1", "gpu_hours": "1"})
    create_story(workspace, "Plateaued on Tuesday", {"sprint": "S1", "target": "val_auc >= 0.95"})
    create_story(workspace, "Plateaued before", {"sprint": "S1", "target": "val_auc >= 0.95"})
    start_sprint(workspace, "S1")
    monday, tuesday = minutes_from_t0(at(0, 10)), minutes_from_t0(at(1, 11))
    for key, start in (("ML-1", monday), ("ML-1", tuesday), ("ML-2", monday)):
        store.run("train", f"{key}-{start}", story=key, start=start, minutes=45,
                  tags={"mlboard.gpus": "2"})  # fmt: skip
    auc_runs(store, "ML-3", PLATEAUED[:-1], start=monday)
    auc_runs(store, "ML-3", PLATEAUED[-1:], start=tuesday)  # the run that showed it
    auc_runs(store, "ML-4", PLATEAUED, start=monday)
    clock.current = at(2, 9, 45)
    sync(workspace, store.uri)

    warnings = standup_digest(workspace).as_json()["ml"]["story_warnings"]
    assert [(w["story"], w["kind"]) for w in warnings] == [
        ("ML-1", "over_budget"),  # 1.5 GPU-hours on Monday, 3.0 after Tuesday's run
        ("ML-3", "plateau"),
    ]
    assert warnings[0]["message"] == "ML-1 has used 3.0 of its 2 GPU-hours (2 runs with GPUs)"
