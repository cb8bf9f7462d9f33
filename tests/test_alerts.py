"""Alerts: conditions from pipelines, drift reports, monitoring runs and evidence; the stories
they open, exactly once per open problem; resolution when the condition clears."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from mlboard.cli import app
from mlboard.errors import UserError
from mlboard.services.data.alerts import (
    acknowledge_alert,
    evaluate_alerts,
    list_alerts,
    open_story_for_alert,
)
from mlboard.services.data.pipelines import record_run, set_pipeline
from mlboard.services.experiments.metric_history import refresh_histories
from mlboard.services.experiments.sync import sync
from mlboard.services.stories.records import create_story, get_story, list_stories
from mlboard.services.workspace import Workspace
from mlboard.store.tables import DriftReport, Story

from mlflow_stores import empty_store

BACKENDS = ("sqlite", "postgresql")  # part of the store suite: runs on both
ALERT_KEYS = {
    "id", "kind", "problem", "subject", "message", "opened_at", "resolved_at",
    "acknowledged_at", "acknowledged_by", "story",
}  # fmt: skip


@pytest.fixture
def store(tmp_path):
    return empty_store(tmp_path / "store")


def finish(workspace, key: str) -> None:
    """Mark a story done directly: its Definition-of-Done gates are another feature's test."""
    with workspace.writing() as session:
        story = session.exec(select(Story).where(Story.key == key)).one()
        story.status = "done"
        session.add(story)


def problems(changes) -> tuple[list[str], list[str]]:
    return [a.problem for a in changes.opened], [a.problem for a in changes.resolved]


def drift_report(workspace, drifted: bool, model: str | None = "churn-classifier", **extra) -> None:
    columns = [
        {"name": "tenure", "method": "ks", "drifted": drifted},
        {"name": "plan", "method": "chi2", "drifted": drifted},
        {"name": "age", "method": "ks", "drifted": False},
    ]
    with workspace.writing() as session:
        session.add(
            DriftReport(
                created_at=workspace.now(),
                actor="tester",
                model_name=model,
                reference=extra.get("reference", "train.csv"),
                current=extra.get("current", "week48.csv"),
                drift_share=2 / 3 if drifted else 0.0,
                dataset_drift=drifted,
                columns=columns,
            )
        )


# --- pipelines -------------------------------------------------------------------------------


def test_a_failed_pipeline_opens_one_alert_and_one_story(workspace, clock):
    record_run(workspace, "features", "failed", error="disk full")
    changes = evaluate_alerts(workspace)
    assert problems(changes) == (["pipeline-failed:mlboard/features"], [])
    [alert] = changes.opened
    assert (alert.kind, alert.subject, alert.story) == ("pipeline_failed", "mlboard/features", None)
    assert alert.message == "pipeline mlboard/features: last run failed: disk full"

    key = open_story_for_alert(workspace, alert.id)
    assert open_story_for_alert(workspace, alert.id) == key  # asked twice: one story
    story = get_story(workspace, key)
    assert (story.title, story.kind, story.status, story.sprint) == (
        "Fix pipeline mlboard/features: last run failed", "data", "backlog", None,
    )  # fmt: skip
    assert f"alert #{alert.id}" in story.description

    clock.advance(hours=1)
    record_run(workspace, "features", "failed")
    again = evaluate_alerts(workspace)  # still the same open problem: nothing new
    assert problems(again) == ([], [])
    [still] = list_alerts(workspace)
    assert (still.id, still.story) == (alert.id, key)
    assert still.message == "pipeline mlboard/features: 2 failures in a row"
    assert len(list_stories(workspace)) == 1


def test_the_alert_resolves_when_the_pipeline_succeeds_and_a_relapse_reuses_the_open_story(
    workspace, clock
):
    record_run(workspace, "features", "failed")
    [first] = evaluate_alerts(workspace).opened
    key = open_story_for_alert(workspace, first.id)
    clock.advance(hours=1)
    record_run(workspace, "features", "success")
    assert problems(evaluate_alerts(workspace)) == ([], ["pipeline-failed:mlboard/features"])
    assert list_alerts(workspace) == []
    [resolved] = list_alerts(workspace, include_resolved=True)
    assert resolved.resolved_at == clock()

    clock.advance(hours=1)
    record_run(workspace, "features", "failed")
    [second] = evaluate_alerts(workspace).opened
    assert second.id != first.id and second.story == key  # the story is still open: linked
    assert open_story_for_alert(workspace, second.id) == key
    assert len(list_stories(workspace)) == 1

    finish(workspace, key)
    clock.advance(hours=1)
    record_run(workspace, "features", "success")
    evaluate_alerts(workspace)
    clock.advance(hours=1)
    record_run(workspace, "features", "failed")
    [third] = evaluate_alerts(workspace).opened
    assert third.story is None
    assert open_story_for_alert(workspace, third.id) != key  # the old story is done: a new one


def test_concurrent_checks_and_story_requests_open_each_once(workspace):
    """Eight `alert check`s at once (cron and a TUI, say), then eight `alert story`s at once."""
    record_run(workspace, "features", "failed")
    record_run(workspace, "labels", "failed")
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: evaluate_alerts(workspace), range(8)))
    alerts = list_alerts(workspace)
    assert sorted(a.problem for a in alerts) == [
        "pipeline-failed:mlboard/features",
        "pipeline-failed:mlboard/labels",
    ]
    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = set(pool.map(lambda _: open_story_for_alert(workspace, alerts[0].id), range(8)))
    assert len(keys) == 1 and len(list_stories(workspace)) == 1


def test_stale_pipelines_alert_and_auto_open_when_configured(workspace, clock):
    auto = Workspace(workspace.engine, replace(workspace.settings, alerts_open_stories=True), clock)
    record_run(workspace, "labels", "success")
    set_pipeline(workspace, "labels", sla_hours=24)
    assert problems(evaluate_alerts(auto)) == ([], [])
    clock.advance(hours=25)
    changes = evaluate_alerts(auto)
    assert problems(changes) == (["pipeline-stale:mlboard/labels"], [])
    [key] = changes.stories
    assert changes.opened[0].story == key
    title = get_story(workspace, key).title
    assert title == "Fix pipeline mlboard/labels: stale, last success 25 h ago (SLA 24 h)"
    assert evaluate_alerts(auto).stories == []  # re-evaluating never opens it twice
    record_run(workspace, "labels", "success")
    assert problems(evaluate_alerts(auto)) == ([], ["pipeline-stale:mlboard/labels"])


# --- drift -----------------------------------------------------------------------------------


def test_drift_alert_from_the_latest_report_and_its_retraining_story(workspace, clock):
    drift_report(workspace, drifted=True)
    drift_report(workspace, drifted=True, model=None, reference="a.csv", current="b.csv")
    changes = evaluate_alerts(workspace)
    assert problems(changes) == (["drift:churn-classifier", "drift:a.csv -> b.csv"], [])
    by_problem = {a.problem: a for a in changes.opened}
    key = open_story_for_alert(workspace, by_problem["drift:churn-classifier"].id)
    story = get_story(workspace, key)
    assert (story.title, story.kind) == (
        "Retrain churn-classifier: drift in columns tenure, plan",
        "data",
    )
    other = get_story(
        workspace, open_story_for_alert(workspace, by_problem["drift:a.csv -> b.csv"].id)
    )
    assert other.title == "Check data drift in b.csv vs a.csv: columns tenure, plan"

    clock.advance(days=1)
    drift_report(workspace, drifted=False)  # a newer check of the same model finds no drift
    assert problems(evaluate_alerts(workspace)) == ([], ["drift:churn-classifier"])


def test_mlboard_drift_check_feeds_the_drift_alert(tmp_path: Path, monkeypatch):
    """End to end with the drift feature's own command and the sample tables."""
    monkeypatch.setenv("MLBOARD_USER", "tester")
    samples = Path(__file__).resolve().parents[1] / "sample_data" / "drift"
    reference, current = str(samples / "reference.csv"), str(samples / "current.csv")
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, ["--db", str(tmp_path / "cli.db"), *args])
        assert result.exit_code == 0, (result.output, result.exception)
        return result.stdout

    model = ("--model", "churn-classifier", "--format", "json")
    drifted = json.loads(
        run("drift", "check", reference, current, *model, "--threshold-share", "0.3")
    )
    columns = [c["name"] for c in drifted["columns"] if c["drifted"]]
    assert drifted["dataset_drift"] is True and len(columns) == 2
    [alert] = json.loads(run("alert", "check", "--format", "json"))["opened"]
    assert (alert["kind"], alert["problem"]) == ("drift", "drift:churn-classifier")
    run("alert", "story", str(alert["id"]))
    [story] = json.loads(run("story", "list", "--format", "json"))
    assert story["title"] == f"Retrain churn-classifier: drift in columns {', '.join(columns)}"
    assert story["kind"] == "data"
    run("drift", "check", reference, reference, *model)
    resolved = json.loads(run("alert", "check", "--format", "json"))["resolved"]
    assert [a["problem"] for a in resolved] == ["drift:churn-classifier"]


# --- monitored metrics (a real MLflow store) --------------------------------------------------


def monitoring_tags(model: str, metric: str, threshold: str) -> dict[str, str]:
    return {
        "mlboard.monitor": model,
        "mlboard.monitor.metric": metric,
        "mlboard.monitor.threshold": threshold,
    }


def test_a_monitored_metric_past_its_threshold_alerts_until_a_newer_run_recovers(workspace, store):
    tags = monitoring_tags("churn-classifier", "val_auc", "0.85")
    store.run("monitoring", "eval-w47", metrics={"val_auc": 0.88}, tags=tags)
    store.run("monitoring", "eval-w48", start=60, metrics={"val_auc": 0.81}, tags=tags)
    loss_tags = monitoring_tags("demand-forecast", "val_loss", "0.4")
    store.run("monitoring", "eval-demand", start=60, metrics={"val_loss": 0.52}, tags=loss_tags)
    ok_tags = monitoring_tags("fraud", "val_loss", "0.4")
    store.run("monitoring", "eval-fraud", start=60, metrics={"val_loss": 0.3}, tags=ok_tags)
    store.run(
        "monitoring",
        "bad-tag",
        metrics={"val_auc": 0.1},
        tags=monitoring_tags("x", "val_auc", "high"),
    )
    store.run("training", "not-monitoring", metrics={"val_auc": 0.1})
    sync(workspace, store.uri)

    changes = evaluate_alerts(workspace)
    assert sorted(problems(changes)[0]) == [
        "regression:churn-classifier:val_auc",
        "regression:demand-forecast:val_loss",
    ]
    by_subject = {a.subject: a for a in changes.opened}
    churn = by_subject["churn-classifier"]
    assert churn.message == "churn-classifier: val_auc 0.81 below 0.85 (run eval-w48)"
    assert by_subject["demand-forecast"].message.startswith(
        "demand-forecast: val_loss 0.52 above 0.4"
    )
    story = get_story(workspace, open_story_for_alert(workspace, churn.id))
    assert (story.title, story.kind) == (
        "Retrain churn-classifier: val_auc 0.81 below 0.85",
        "model",
    )

    store.run("monitoring", "eval-w49", start=120, metrics={"val_auc": 0.86}, tags=tags)
    sync(workspace, store.uri)
    assert problems(evaluate_alerts(workspace)) == ([], ["regression:churn-classifier:val_auc"])


# --- overfitting (a run built to overfit, as in test_evidence) --------------------------------


def overfitting_curves(epochs: int = 30) -> dict[str, list[float]]:
    train = [1.0 - 0.03 * e for e in range(epochs)]
    val = [0.9 - 0.04 * e if e <= 10 else 0.5 + 0.03 * (e - 10) for e in range(epochs)]
    return {"train_loss": train, "val_loss": val}


def test_a_new_overfitting_warning_alerts_and_resolves_when_the_story_is_done(workspace, store):
    create_story(workspace, "Recs model", {"target": "val_loss <= 0.4"})
    bad = store.run("recs", "deep-mlp", story="ML-1", history=overfitting_curves())
    sync(workspace, store.uri)
    refresh_histories(workspace)
    [alert] = evaluate_alerts(workspace).opened
    assert (alert.kind, alert.problem, alert.subject) == (
        "overfitting",
        f"overfitting:{bad}",
        "deep-mlp",
    )
    assert "val_loss" in alert.message and "ML-1" in alert.message
    story = get_story(workspace, open_story_for_alert(workspace, alert.id))
    assert (story.title, story.kind) == ("Fix overfitting in run deep-mlp (ML-1)", "model")
    assert problems(evaluate_alerts(workspace)) == ([], [])
    finish(workspace, "ML-1")
    assert problems(evaluate_alerts(workspace)) == ([], [f"overfitting:{bad}"])


# --- acknowledging and the commands ---------------------------------------------------------


def test_acknowledge_keeps_the_alert_open_and_unknown_ids_are_user_errors(workspace, clock):
    record_run(workspace, "features", "failed")
    [alert] = evaluate_alerts(workspace).opened
    acked = acknowledge_alert(workspace, alert.id)
    assert (acked.acknowledged_by, acked.acknowledged_at, acked.resolved_at) == (
        "tester",
        clock(),
        None,
    )
    clock.advance(hours=1)
    assert acknowledge_alert(workspace, alert.id).acknowledged_at == acked.acknowledged_at
    with pytest.raises(UserError, match="alert 99 not found"):
        acknowledge_alert(workspace, 99)
    with pytest.raises(UserError, match="alert 99 not found"):
        open_story_for_alert(workspace, 99)


def test_alert_commands(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("MLBOARD_USER", "tester")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, ["--db", str(tmp_path / "cli.db"), *args])
        assert result.exit_code == 0, (result.output, result.exception)
        return result.stdout

    assert "No open alerts." in run("alert", "list")
    run("pipeline", "record", "[red]etl", "--state", "failed", "--error", "boom")
    checked = json.loads(run("alert", "check", "--format", "json"))
    [opened] = checked["opened"]
    assert set(opened) == ALERT_KEYS
    assert (opened["kind"], opened["problem"], opened["story"]) == (
        "pipeline_failed", "pipeline-failed:mlboard/[red]etl", None,
    )  # fmt: skip
    assert "no change" in run("alert", "check")
    assert "[red]etl" in run("alert", "list")
    assert "acknowledged by tester" in run("alert", "ack", str(opened["id"]))
    assert "story ML-1" in run("alert", "story", str(opened["id"]))
    assert "story ML-1" in run("alert", "story", str(opened["id"]))
    [listed] = json.loads(run("alert", "list", "--format", "json"))
    assert set(listed) == ALERT_KEYS
    assert (listed["story"], listed["acknowledged_by"]) == ("ML-1", "tester")
    run("pipeline", "record", "[red]etl", "--state", "success")
    assert "resolved #1 pipeline_failed: mlboard/[red]etl" in run("alert", "check")
    assert json.loads(run("alert", "list", "--format", "json")) == []
    assert len(json.loads(run("alert", "list", "--all", "--format", "json"))) == 1
    assert "| 1 | pipeline_failed |" in run("alert", "list", "--all", "--format", "md")
    with_story = json.loads(run("story", "list", "--format", "json"))
    assert [s["title"] for s in with_story] == ["Fix pipeline mlboard/[red]etl: last run failed"]
