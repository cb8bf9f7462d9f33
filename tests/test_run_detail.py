"""One run in full (`run show`): from real MLflow stores, a sqlite one and `mlflow server`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from mlboard.errors import UserError
from mlboard.services.experiments import find_run
from mlboard.services.metric_history import cached_histories, fetch_run_histories
from mlboard.services.run_detail import load_run_detail, run_detail
from mlboard.services.stories import create_story
from mlboard.services.sync import sync
from mlboard.store.tables import Run

from cli_runs import mlboard_in
from mlflow_stores import T0, MlflowStore, empty_store, mlflow_server

AT_T0 = datetime.fromtimestamp(T0 / 1000, UTC)
BACKENDS = ("sqlite", "postgresql")  # prefix search and history ranges are SQL of their own


@pytest.fixture
def store(tmp_path):
    return empty_store(tmp_path / "store")


def training_run(store: MlflowStore, story: str | None = "ML-1") -> str:
    return store.run(
        "fraud",
        "lgbm-depth-8",
        story=story,
        minutes=30,
        params={"max_depth": "8", "learning_rate": "0.05"},
        tags={"mlboard.gpus": "2", "team": "fraud"},
        history={"val_auc": [0.70, 0.86, 0.84], "train_loss": [0.9, 0.5, 0.3, 0.2]},
    )


def test_a_run_in_full_with_its_histories_fetched_on_demand(workspace, store, clock):
    clock.current = AT_T0.replace(hour=23)
    create_story(workspace, "Fraud v5", {"target": "val_auc >= 0.9"})
    run_id = training_run(store)
    child = store.run("fraud", "fold-1", start=1, tags={"mlflow.parentRunId": run_id})
    client = store.client
    client.create_registered_model("fraud-detector")
    version = client.create_model_version("fraud-detector", f"runs:/{run_id}/model", run_id=run_id)
    client.set_registered_model_alias("fraud-detector", "challenger", version.version)
    sync(workspace, store.uri)

    cached = run_detail(workspace, run_id[:6])  # the cache only: nothing fetched yet
    assert cached.run_id == run_id
    assert set(cached.missing_histories) == {"val_auc", "train_loss"}
    assert cached.metrics["val_auc"].last == 0.84 and cached.metrics["val_auc"].steps is None

    detail = load_run_detail(workspace, run_id[:6])
    assert detail.missing_histories == () and detail.history_error is None
    assert detail.as_json()["metrics"] == {
        "val_auc": {"last": 0.84, "min": 0.70, "max": 0.86, "steps": 3},
        "train_loss": {"last": 0.2, "min": 0.2, "max": 0.9, "steps": 4},
    }
    assert detail.chart_metrics[0] == "val_auc"  # the story's target metric first
    assert (detail.run_name, detail.experiment, detail.status) == (
        "lgbm-depth-8",
        "fraud",
        "FINISHED",
    )
    assert detail.params == {"learning_rate": "0.05", "max_depth": "8"}
    assert detail.own_tags == {"mlboard.gpus": "2", "mlboard.story": "ML-1", "team": "fraud"}
    assert "mlflow.runName" in detail.tags
    assert [(c.run_id, c.run_name) for c in detail.children] == [(child, "fold-1")]
    assert [(s.key, s.how) for s in detail.stories] == [("ML-1", "tag")]
    assert [(m.name, m.aliases) for m in detail.model_versions] == [
        ("fraud-detector", ("challenger",))
    ]
    assert (detail.duration_s, detail.gpus, detail.gpu_hours) == (1800.0, 2, 1.0)
    assert load_run_detail(workspace, run_id).missing_histories == ()  # cached: no refetch

    nested = load_run_detail(workspace, child)
    assert nested.parent is not None and nested.parent.run_name == "lgbm-depth-8"
    assert [(s.key, s.how) for s in nested.stories] == [("ML-1", "parent")]
    assert nested.gpus == 0 and nested.metrics == {}

    series = cached_histories(workspace, [run_id, child], "val_auc")
    assert [p.value for p in series[run_id]] == [0.70, 0.86, 0.84] and child not in series


def test_a_running_run_counts_its_duration_so_far(workspace, store, clock):
    run_id = store.run("fraud", "still-going", minutes=None, tags={"mlboard.gpus": "4"})
    sync(workspace, store.uri)
    clock.current = datetime.fromtimestamp(T0 / 1000 + 90 * 60, UTC)
    detail = run_detail(workspace, run_id)
    assert (detail.duration_s, detail.gpu_hours) == (5400.0, 6.0)


def _mirror(workspace, *run_ids: str) -> None:
    """Runs in the board's mirror with chosen ids (MLflow's own ids are random)."""
    with workspace.writing() as session:
        for index, run_id in enumerate(run_ids):
            session.add(
                Run(run_id=run_id, tracking_uri="sqlite:///x.db", experiment_id="1",
                    run_name=f"run-{index}", status="FINISHED", synced_at=workspace.now())
            )  # fmt: skip


def test_a_unique_prefix_finds_the_run_and_an_ambiguous_one_lists_the_candidates(workspace):
    _mirror(workspace, "abcd1234" + "0" * 24, "abcd5678" + "0" * 24, "ffff" + "1" * 28)
    with workspace.reading() as session:
        assert find_run(session, "ABCD12").run_name == "run-0"  # ids are hex: any case
        assert find_run(session, "ffff").run_name == "run-2"
        with pytest.raises(UserError) as ambiguous:
            find_run(session, "abcd")
        with pytest.raises(UserError, match="too short: give at least 4 characters"):
            find_run(session, "ffe")
        with pytest.raises(UserError, match="run 9999 is not on the board"):
            find_run(session, "9999")
    message = ambiguous.value.message
    assert "2 runs start with it" in message and ambiguous.value.exit_code == 2
    assert "abcd1234" + "0" * 24 + " (run-0)" in message and "(run-1)" in message


def test_an_ambiguous_prefix_lists_at_most_ten_candidates(workspace):
    _mirror(workspace, *(f"beef{index:028x}" for index in range(13)))
    with workspace.reading() as session, pytest.raises(UserError) as ambiguous:
        find_run(session, "beef")
    assert ambiguous.value.message.count("(run-") == 10
    assert ambiguous.value.message.endswith("and 3 more")


def test_run_show_on_the_command_line(tmp_path, store, monkeypatch):
    mlboard = mlboard_in(tmp_path, monkeypatch)
    run_id = training_run(store, story=None)
    mlboard.ok("story", "add", "Fraud v5", "--target", "val_auc >= 0.9")
    mlboard.ok("sync", "--tracking-uri", store.uri, "--no-history")
    mlboard.ok("story", "link", "ML-1", run_id[:8], "--no-write-tag")  # prefixes work there too

    shown = json.loads(mlboard.ok("run", "show", run_id[:8], "--format", "json"))
    assert list(shown)[:17] == [
        "run_id", "run_name", "experiment", "status", "user", "start", "end", "duration_s",
        "parent_run_id", "children", "params", "metrics", "tags", "stories", "model_versions",
        "gpus", "gpu_hours",
    ]  # fmt: skip
    assert shown["tracking_uri"] == store.uri and shown["history_error"] is None
    assert shown["stories"] == [{"key": "ML-1", "how": "manual"}]
    assert shown["metrics"]["val_auc"] == {"last": 0.84, "min": 0.7, "max": 0.86, "steps": 3}

    text = mlboard.ok("run", "show", run_id)
    assert "lgbm-depth-8" in text and "ML-1 (manual)" in text and "2 · 1.0 GPU-hours" in text
    assert "max_depth" in text and "team" in text and "mlflow.runName" not in text
    markdown = mlboard.ok("run", "show", run_id, "--format", "md")
    assert markdown.startswith("## Run lgbm-depth-8\n")
    assert "| val_auc | 0.84 | 0.7 | 0.86 | 3 |" in markdown

    refused = mlboard("run", "show", "ab").exception
    assert isinstance(refused, UserError) and refused.exit_code == 2
    assert "too short" in refused.message


def test_markdown_escapes_what_runs_are_called(tmp_path, store, monkeypatch):
    mlboard = mlboard_in(tmp_path, monkeypatch)
    run_id = store.run("x", "a|b [red]x", params={"note": "p|q"})
    mlboard.ok("sync", "--tracking-uri", store.uri)
    markdown = mlboard.ok("run", "show", run_id, "--format", "md")
    assert "## Run a\\|b \\[red\\]x" in markdown and "| note | p\\|q |" in markdown
    assert "[red]x" in mlboard.ok("run", "show", run_id)  # text, never markup


def test_an_unreachable_server_leaves_the_cache_and_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    folder = tmp_path / "server"
    folder.mkdir()
    mlboard = mlboard_in(tmp_path, monkeypatch)
    with mlflow_server(folder) as server:
        store = MlflowStore(folder, server=server)
        fetched_first = training_run(store, story=None)
        later = store.run("fraud", "later", start=40, history={"val_auc": [0.6, 0.7]})
        mlboard.ok("sync", "--tracking-uri", server)
        over_http = json.loads(mlboard.ok("run", "show", fetched_first, "--format", "json"))
        assert over_http["metrics"]["val_auc"]["steps"] == 3
    # the server is gone now
    shown = mlboard("run", "show", later, "--format", "json")
    assert shown.exit_code == 0
    data = json.loads(shown.stdout)
    assert "unreachable" in data["history_error"] and server in data["history_error"]
    assert data["metrics"]["val_auc"] == {"last": 0.7, "min": None, "max": None, "steps": None}
    text = mlboard("run", "show", later)
    assert text.exit_code == 0 and "warning:" in text.stderr and "unreachable" in text.stderr
    cached = json.loads(mlboard.ok("run", "show", fetched_first, "--format", "json"))
    assert cached["history_error"] is None and cached["metrics"]["val_auc"]["steps"] == 3


def test_a_missing_sqlite_store_is_reported_not_raised(workspace, store, clock):
    run_id = training_run(store, story=None)
    sync(workspace, store.uri)
    (store.folder / "mlflow.db").unlink()
    outcome = fetch_run_histories(workspace, [run_id])
    assert outcome.fetched == 0 and "no MLflow store" in (outcome.error or "")
    assert load_run_detail(workspace, run_id).history_error == outcome.error
