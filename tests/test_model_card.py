"""Model cards from a real registered model version: facts from the board, gaps as TODO."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlboard.cli import app
from mlboard.errors import UserError
from mlboard.services.experiments.sync import sync
from mlboard.services.governance.gates import check_item, story_gates
from mlboard.services.governance.model_card import build_model_card
from mlboard.services.governance.model_card_markdown import card_markdown
from mlboard.services.stories.records import create_story
from mlboard.services.team.members import add_member
from mlboard.store.tables import DriftReport

from mlflow_stores import MlflowStore, empty_store

PURPOSE = "Flag customers likely to churn next month, for the retention team's weekly calls."


@pytest.fixture
def store(tmp_path) -> MlflowStore:
    return empty_store(tmp_path / "store")


def register(store: MlflowStore) -> tuple[str, str]:
    """Two versions of `churn` from two runs; version 1 is the champion. Returns the run ids."""
    import mlflow
    import pandas as pd

    client = store.client
    champion = store.run(
        "churn", "lgbm-v1", story="ML-1", metrics={"val_auc": 0.83, "val_loss": 0.41},
        tags={"mlflow.user": "jdoe"},
    )  # fmt: skip
    challenger = store.run("churn", "lgbm-v2", story="ML-1", start=30, metrics={"val_auc": 0.79})
    data = mlflow.data.from_pandas(pd.DataFrame({"tenure": [1.0, 2.0]}), name="churn-train")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(store.uri)
    try:
        with mlflow.start_run(run_id=champion):
            mlflow.log_input(data, context="training")
    finally:
        mlflow.set_tracking_uri(previous)
    client.create_registered_model("churn")
    for run_id in (champion, challenger):
        client.create_model_version("churn", f"runs:/{run_id}/model", run_id=run_id)
    client.set_registered_model_alias("churn", "champion", "1")
    return champion, challenger


@pytest.fixture
def board(workspace, store):
    add_member(workspace, "ana", name="Ana Souza", email="ana@example.com")
    create_story(
        workspace,
        "Churn model v2",
        {"kind": "model", "target": "val_auc >= 0.8", "assignee": "ana", "description": PURPOSE,
         "sensitivity": "personal"},
    )  # fmt: skip
    runs = register(store)
    sync(workspace, store.uri)
    return workspace, runs


def test_a_card_holds_what_the_board_knows_and_marks_the_rest_todo(board):
    ws, (champion, _) = board
    card = build_model_card(ws, "churn")
    data = card.as_json()
    assert list(data) == [
        "model_details", "intended_use", "training_data", "evaluation", "considerations", "todo",
        "generated_at",
    ]  # fmt: skip
    details = data["model_details"]
    assert (details["name"], details["version"], details["aliases"]) == ("churn", 1, ["champion"])
    assert details["run"]["run_id"] == champion and details["story"]["key"] == "ML-1"
    assert [(o["handle"], o["role"]) for o in details["owners"]] == [
        ("ana", "assignee of ML-1"),
        ("jdoe", "ran the training run"),
    ]
    assert data["intended_use"]["description"] == PURPOSE
    assert data["training_data"]["datasets"][0]["name"] == "churn-train"
    assert data["training_data"]["datasets"][0]["context"] == "training"
    assert data["training_data"]["sensitivity"] == "personal"
    evaluation = data["evaluation"]
    assert evaluation["metrics"] == {"val_auc": 0.83, "val_loss": 0.41}
    assert evaluation["target"] == {"metric": "val_auc", "op": ">=", "value": 0.8}
    assert (evaluation["target_value"], evaluation["target_met"]) == (0.83, True)
    assert evaluation["drift_reports"] == []
    assert data["considerations"]["bias_evaluation"] is None
    assert (
        "evaluation: no drift report for churn (mlboard drift check --model NAME)" in data["todo"]
    )
    assert "considerations: no bias/fairness evaluation on ML-1's checklist" in data["todo"]

    text = card_markdown(card)
    assert text.startswith("# Model card: churn version 1\n")
    for line in (
        # handles with a word joiner after `@`: names in a pasted card, never mentions
        "- **Owners**: @\u2060ana (Ana Souza, ana@example.com), assignee of ML-1; @\u2060jdoe, "
        "ran the training run",
        f"- **Description**: {PURPOSE}",
        "- **Metric val_auc**: 0.83",
        "- **Target**: val_auc &gt;= 0.8: met, value 0.83",
        "- TODO: no drift report for churn (mlboard drift check --model NAME)",
        "- TODO: no bias/fairness evaluation on ML-1's checklist",
        "- TODO: no privacy review on ML-1's checklist",
    ):
        assert line in text.splitlines(), line


def test_recorded_checks_and_drift_reports_fill_their_sections(board, clock):
    ws, _ = board
    check_item(ws, "ML-1", "bias_evaluation", note="AUC within 0.02 across age bands")
    check_item(ws, "ML-1", "privacy_review", link="https://dpo/reviews/42")
    with ws.writing() as session:
        session.add(
            DriftReport(created_at=clock.current, model_name="churn", reference="train.csv",
                        current="week-47.csv", drift_share=0.25, dataset_drift=False,
                        columns=[{"column": "tenure", "drifted": True}])
        )  # fmt: skip
    card = build_model_card(ws, "churn")
    data = card.as_json()
    assert data["considerations"]["bias_evaluation"]["note"] == "AUC within 0.02 across age bands"
    assert data["considerations"]["privacy_review"]["link"] == "https://dpo/reviews/42"
    assert data["evaluation"]["drift_reports"][0]["drifted_columns"] == 1
    assert not any("drift" in gap or "bias" in gap or "privacy" in gap for gap in data["todo"])
    assert "week-47.csv vs train.csv, drift share 25%" in card_markdown(card)


def test_a_version_below_target_says_so_in_its_limitations(board):
    ws, (_, challenger) = board
    check_item(ws, "ML-1", "accepted_below_target", note="ships to shadow mode only")
    data = build_model_card(ws, "churn", version=2).as_json()
    assert data["model_details"]["run"]["run_id"] == challenger
    assert data["evaluation"]["target_met"] is False
    assert data["considerations"]["limitations"] == [
        "does not meet its target val_auc >= 0.8 (val_auc = 0.79)",
        "accepted below target by tester: ships to shadow mode only",
    ]


def test_versions_and_aliases_are_chosen_or_refused_by_name(board):
    ws, _ = board
    assert build_model_card(ws, "churn", alias="champion").version == 1
    assert build_model_card(ws, "churn", version=2).version == 2
    for kwargs, message in (
        ({"name": "fraud"}, "model 'fraud' not found (models: churn)"),
        ({"name": "churn", "version": 7}, "model 'churn' has no version 7 (versions: 1, 2)"),
        ({"name": "churn", "alias": "prod"}, "model 'churn' has no alias 'prod' (aliases: "
                                             "champion)"),
    ):  # fmt: skip
        with pytest.raises(UserError) as info:
            build_model_card(ws, **kwargs)
        assert info.value.message == message


def test_card_command_attaches_logs_and_writes(board, store, tmp_path, monkeypatch):
    ws, (champion, _) = board
    monkeypatch.setenv("MLBOARD_USER", "bob")
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    output = tmp_path / "cards" / "churn.md"
    output.parent.mkdir()

    result = runner.invoke(
        app,
        ["--db", ws.settings.database, "model", "card", "churn", "--attach", "--log-to-run",
         "--output", str(output)],
    )  # fmt: skip
    assert result.exit_code == 0, (result.output, result.exception)
    assert output.read_text().startswith("# Model card: churn version 1\n")
    assert [f.path for f in store.client.list_artifacts(champion)] == ["model_card.md"]
    logged = store.client.download_artifacts(champion, "model_card.md", str(tmp_path))
    assert "TODO: no drift report for churn" in Path(logged).read_text()
    gate = next(g for g in story_gates(ws, "ML-1").gates if g.item == "model_card")
    assert (gate.done, gate.by, gate.link) == (True, "bob", f"runs:/{champion}/model_card.md")
    assert gate.note.startswith("model card of churn version 1 (")

    as_json = runner.invoke(app, ["--db", ws.settings.database, "model", "card", "churn",
                                  "--version", "2", "--format", "json"])  # fmt: skip
    assert json.loads(as_json.stdout)["model_details"]["version"] == 2

    listed = runner.invoke(app, ["--db", ws.settings.database, "model", "list", "--format", "json"])
    assert [(v["name"], v["version"], v["aliases"]) for v in json.loads(listed.stdout)] == [
        ("churn", 2, []),
        ("churn", 1, ["champion"]),
    ]
