"""The demo's MLflow runs: trained for real, linked to sample stories, built once per module.

The build (MLflow's database, then about twenty small trainings) is the slow part, so one
module-scoped store serves every test that only reads it.
"""

from __future__ import annotations

import csv
import itertools
import math
import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np
import pytest

from mlboard.demo.metrics import (
    average_precision,
    expected_calibration_error,
    log_loss,
    roc_auc,
)
from mlboard.demo.run_writer import PARENT_TAG
from mlboard.demo.runs import DemoRuns, _as_uri, build_demo_runs
from mlboard.demo.sample_runs import rng_for
from mlboard.demo.training import train_logistic
from mlboard.demo.training_data import make_churn_data, make_fraud_data
from mlboard.domain import STORY_TAG, parse_target

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
AS_OF = date(2026, 11, 25)  # the sample's own today: runs keep the sample's calendar dates
EXPERIMENTS = ("churn-v3", "fraud-v5", "recs-two-tower", "scratch")
OVERFITTING_RUN = "sparse-mlp-256"


def _read_csv(name: str) -> list[dict[str, str]]:
    with (SAMPLE / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


STORIES = {row["key"]: row for row in _read_csv("stories.csv")}


@dataclass
class Demo:
    root: Path
    result: DemoRuns
    client: Any
    runs: dict[str, Any]  # run name -> mlflow Run (names are unique in the demo)

    def history(self, run_name: str, metric: str) -> list[float]:
        points = self.client.get_metric_history(self.runs[run_name].info.run_id, metric)
        return [p.value for p in sorted(points, key=lambda p: p.step)]

    def story_runs(self, key: str, status: str | None = "FINISHED") -> list[Any]:
        return [
            run
            for run in self.runs.values()
            if run.data.tags.get(STORY_TAG) == key and status in (None, run.info.status)
        ]


def _build(root: Path, seed: int = 7) -> DemoRuns:
    return build_demo_runs(
        f"sqlite:///{root}/mlflow.db",
        str(root / "artifacts"),
        seed=seed,
        today=AS_OF,
        sample_folder=SAMPLE,
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("demo")
    result = _build(root)
    client = MlflowClient(tracking_uri=result.tracking_uri, registry_uri=result.tracking_uri)
    experiment_ids = [e.experiment_id for e in client.search_experiments()]
    runs = {run.info.run_name: run for run in client.search_runs(experiment_ids)}
    return Demo(root, result, client, runs)


def _target(key: str):
    return parse_target(STORIES[key]["target"])


def _path(uri: str) -> Path:
    parsed = urlparse(uri)
    assert parsed.scheme == "file", uri
    return Path(unquote(parsed.path))


# --- The store ------------------------------------------------------------------------------------


def test_result_counts_what_was_created(demo: Demo):
    assert demo.result == DemoRuns(
        demo.result.tracking_uri, 4, len(demo.runs), ("churn-classifier", "fraud-detector")
    )
    assert len(demo.runs) >= 20


def test_experiments_store_artifacts_inside_the_demo_folder(demo: Demo):
    artifacts = (demo.root / "artifacts").resolve()
    for name in EXPERIMENTS:
        experiment = demo.client.get_experiment_by_name(name)
        assert experiment is not None, name
        assert experiment.artifact_location == (artifacts / name).as_uri()
    for run in demo.runs.values():
        assert _path(run.info.artifact_uri).is_relative_to(artifacts)


def test_a_second_build_into_the_same_store_is_refused(demo: Demo):
    with pytest.raises(ValueError, match="already has an experiment"):
        _build(demo.root)


def test_every_run_has_a_member_a_name_params_and_times(demo: Demo):
    with (SAMPLE / "team.toml").open("rb") as handle:
        handles = {member["handle"] for member in tomllib.load(handle)["members"]}
    as_of_ms = datetime(2026, 11, 25, tzinfo=UTC).timestamp() * 1000
    for name, run in demo.runs.items():
        assert run.data.tags["mlflow.user"] in handles, name
        assert run.data.tags["mlflow.runName"] == name
        assert run.data.params, name
        assert run.info.status in ("FINISHED", "FAILED"), name
        assert run.info.start_time <= run.info.end_time < as_of_ms, name


# --- Links to stories -----------------------------------------------------------------------------


def test_story_tags_name_sample_stories(demo: Demo):
    keys = {run.data.tags[STORY_TAG] for run in demo.runs.values() if STORY_TAG in run.data.tags}
    assert keys == {"ML-2", "ML-3", "ML-5", "ML-17", "ML-19", "ML-28"}
    assert keys <= STORIES.keys()


def _in_progress_windows() -> dict[str, tuple[datetime, datetime]]:
    """Per story, from its first move to in_progress to its next move to review or done."""
    started: dict[str, datetime] = {}
    windows: dict[str, tuple[datetime, datetime]] = {}
    for change in _read_csv("history.csv"):
        if change["field"] != "status":
            continue
        key, at = change["key"], datetime.fromisoformat(change["at"].replace("Z", "+00:00"))
        if change["value"] == "in_progress":
            started.setdefault(key, at)
        elif change["value"] in ("review", "done") and key in started and key not in windows:
            windows[key] = (started[key], at)
    return windows


def test_tagged_runs_start_while_their_story_is_in_progress(demo: Demo):
    windows = _in_progress_windows()
    for name, run in demo.runs.items():
        key = run.data.tags.get(STORY_TAG)
        if key:
            begin, end = windows[key]
            start = datetime.fromtimestamp(run.info.start_time / 1000, UTC)
            assert begin <= start <= end, (name, key, start)


def test_untagged_runs_wait_to_be_linked_by_hand(demo: Demo):
    untagged = {
        name
        for name, run in demo.runs.items()
        if STORY_TAG not in run.data.tags and PARENT_TAG not in run.data.tags
    }
    assert untagged == {"calibration-check", "smoke-churn-cuda12.4", "smoke-fraud-cuda12.4"}
    scratch = demo.client.get_experiment_by_name("scratch").experiment_id
    assert {demo.runs[n].info.experiment_id for n in untagged} >= {scratch}


def test_sweep_children_roll_up_through_their_parent(demo: Demo):
    (parent,) = demo.story_runs("ML-19")
    children = [
        run for run in demo.runs.values() if run.data.tags.get(PARENT_TAG) == parent.info.run_id
    ]
    assert len(children) == 4
    assert all(STORY_TAG not in child.data.tags for child in children)
    assert {child.data.params["class_weight"] for child in children} == {"1", "5", "20", "50"}
    for child in children:
        assert parent.info.start_time <= child.info.start_time
        assert child.info.end_time <= parent.info.end_time
    best_child = max(child.data.metrics["val_pr_auc"] for child in children)
    assert parent.data.metrics["val_pr_auc"] == best_child
    assert not _target("ML-19").is_met(parent.data.metrics["val_pr_auc"])


# --- Targets --------------------------------------------------------------------------------------


def test_churn_best_run_meets_its_target_and_a_worse_one_does_not(demo: Demo):
    target = _target("ML-5")
    assert str(target) == "val_auc >= 0.86"
    scores = sorted(run.data.metrics["val_auc"] for run in demo.story_runs("ML-5"))
    assert len(scores) == 4
    assert target.is_met(scores[-1]) and scores[-1] < 0.95  # a real model, not a leak
    assert not target.is_met(scores[0])


def test_fraud_runs_stay_below_their_target(demo: Demo):
    target = _target("ML-17")
    scores = [run.data.metrics["val_pr_auc"] for run in demo.story_runs("ML-17")]
    assert len(scores) == 3
    assert 0.3 < max(scores) < target.value


def test_the_two_tower_model_beats_popularity_and_its_target(demo: Demo):
    target = _target("ML-28")
    scores = {
        run.info.run_name: run.data.metrics[target.metric] for run in demo.story_runs("ML-28")
    }
    baseline = scores.pop("popularity-baseline")
    assert not target.is_met(baseline)
    assert target.is_met(max(scores.values())) and max(scores.values()) > baseline


# --- Curves ---------------------------------------------------------------------------------------


def test_the_overfitting_run_is_clear(demo: Demo):
    val_loss = demo.history(OVERFITTING_RUN, "val_loss")
    train_loss = demo.history(OVERFITTING_RUN, "train_loss")
    assert len(val_loss) == len(train_loss) >= 30
    best = int(np.argmin(val_loss))
    assert 4 <= best + 1 <= 15  # the minimum comes early (epochs count from 1)...
    assert len(val_loss) - 1 - best >= 20  # ...and is followed by many worse epochs,
    assert val_loss[-1] > 1.2 * val_loss[best]  # ending clearly above it,
    assert all(later < earlier for earlier, later in itertools.pairwise(train_loss))  # while
    assert train_loss[-1] < 0.25 * train_loss[0]  # the training loss keeps falling


def test_no_other_run_clearly_overfits(demo: Demo):
    for name, run in demo.runs.items():
        if name == OVERFITTING_RUN or run.info.status != "FINISHED":
            continue
        if {"train_loss", "val_loss"} <= run.data.metrics.keys():
            val_loss = demo.history(name, "val_loss")
            assert val_loss[-1] <= 1.01 * min(val_loss), name


def test_the_failed_run_diverged_and_kept_its_metrics(demo: Demo):
    failed = [name for name, run in demo.runs.items() if run.info.status == "FAILED"]
    assert failed == ["two-tower-sgd-warmup"]
    run = demo.runs["two-tower-sgd-warmup"]
    assert "nan" in run.data.tags["mlflow.note.content"]
    train_loss = demo.history("two-tower-sgd-warmup", "train_loss")
    assert len(train_loss) >= 3 and all(math.isfinite(v) for v in train_loss)
    assert train_loss[-1] > 1000 * train_loss[0]  # blowing up, until it became NaN
    assert run.info.end_time > run.info.start_time


def test_metric_steps_are_epochs_from_one(demo: Demo):
    run = demo.runs["churn-v3-l2-0.01"]
    points = demo.client.get_metric_history(run.info.run_id, "val_auc")
    assert sorted(p.step for p in points) == list(range(1, 41))
    (train_auc,) = demo.client.get_metric_history(run.info.run_id, "train_auc")
    assert train_auc.step == 40


# --- Registry -------------------------------------------------------------------------------------


def test_champion_is_the_best_churn_run(demo: Demo):
    best = max(demo.story_runs("ML-5"), key=lambda run: run.data.metrics["val_auc"])
    champion = demo.client.get_model_version_by_alias("churn-classifier", "champion")
    assert champion.run_id == best.info.run_id
    versions = demo.client.search_model_versions("name='churn-classifier'")
    ml5 = {run.info.run_id for run in demo.story_runs("ML-5")}
    assert len(versions) == 2 and {v.run_id for v in versions} <= ml5
    for version in versions:
        assert (_path(version.source) / "weights.json").is_file()


def test_versions_are_registered_when_their_stories_say_after_their_runs(demo: Demo):
    """Read back through MLflow's own client: the registry's dates are the story's, not the
    moment the demo was built."""
    runs = {run.info.run_id: run for run in demo.runs.values()}
    registered = {}
    for name in ("churn-classifier", "fraud-detector"):
        for version in demo.client.search_model_versions(f"name='{name}'"):
            created = datetime.fromtimestamp(version.creation_timestamp / 1000, UTC)
            assert runs[version.run_id].info.end_time < version.creation_timestamp
            assert version.last_updated_timestamp == version.creation_timestamp
            registered[(name, int(version.version))] = created
    assert registered == {
        ("churn-classifier", 1): datetime(2026, 10, 13, 16, 50, tzinfo=UTC),
        ("churn-classifier", 2): datetime(2026, 10, 13, 16, 51, tzinfo=UTC),
        ("fraud-detector", 1): datetime(2026, 10, 27, 16, 30, tzinfo=UTC),
    }
    model = demo.client.get_registered_model("churn-classifier")
    assert model.creation_timestamp == int(registered[("churn-classifier", 1)].timestamp() * 1000)


def test_demo_runs_are_built_only_into_a_sqlite_store(tmp_path: Path):
    with pytest.raises(ValueError, match="new SQLite store"):
        build_demo_runs(str(tmp_path / "mlruns"), str(tmp_path / "artifacts"), today=AS_OF)
    assert not (tmp_path / "mlruns").exists()


def test_fraud_detector_is_the_challenger_from_the_best_fraud_run(demo: Demo):
    best = max(demo.story_runs("ML-17"), key=lambda run: run.data.metrics["val_pr_auc"])
    challenger = demo.client.get_model_version_by_alias("fraud-detector", "challenger")
    assert int(challenger.version) == 1
    assert challenger.run_id == best.info.run_id


# --- Determinism ----------------------------------------------------------------------------------


def _final_metrics(tracking_uri: str) -> dict[tuple[str, str], float]:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    return {
        (run.info.run_name, key): value
        for run in client.search_runs(experiments)
        for key, value in run.data.metrics.items()
    }


def test_the_same_seed_builds_the_same_metrics(demo: Demo, tmp_path: Path):
    again = _build(tmp_path)
    first, second = _final_metrics(demo.result.tracking_uri), _final_metrics(again.tracking_uri)
    assert second.keys() == first.keys()
    assert second == pytest.approx(first, rel=1e-9)


def test_seeded_training_is_reproducible_and_the_seed_matters():
    def fit(seed: int) -> float:
        data = make_churn_data(rng_for(seed, "churn-data"), n=1000)
        training = train_logistic(
            data, rng_for(seed, "run"), learning_rate=0.5, l2=1e-3, epochs=5, batch_size=128
        )
        return training.last("val_auc")

    assert fit(7) == fit(7)
    assert fit(7) != fit(8)


# --- Metrics and helpers --------------------------------------------------------------------------


def test_auc_matches_the_pairwise_definition_with_ties():
    rng = np.random.default_rng(0)
    y = (rng.random(200) < 0.3).astype(float)
    scores = np.round(rng.random(200) + 0.3 * y, 1)  # many ties
    pos, neg = scores[y == 1], scores[y == 0]
    pairwise = np.mean((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :]))
    assert roc_auc(y, scores) == pytest.approx(pairwise)
    assert roc_auc(y, -scores) == pytest.approx(1 - pairwise)


def test_average_precision_examples():
    # scikit-learn's documented example
    y, scores = np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])
    assert average_precision(y, scores) == pytest.approx(0.8333333333)
    assert average_precision(np.array([1, 0, 1]), np.array([0.9, 0.5, 0.8])) == 1.0
    # tied scores form one threshold: precision 2/4 at full recall
    assert average_precision(np.array([1, 0, 1, 0]), np.array([0.5] * 4)) == 0.5


def test_log_loss_and_calibration():
    y, p = np.array([1.0, 0.0]), np.array([0.8, 0.4])
    assert log_loss(y, p) == pytest.approx(-(math.log(0.8) + math.log(0.6)) / 2)
    weighted = -(3 * math.log(0.8) + math.log(0.6)) / 4
    assert log_loss(y, p, positive_weight=3) == pytest.approx(weighted)
    assert math.isfinite(log_loss(np.array([1.0]), np.array([0.0])))  # clipped
    calibrated = np.array([0.25] * 4)
    assert expected_calibration_error(np.array([1.0, 0, 0, 0]), calibrated) == 0.0
    assert expected_calibration_error(np.array([1.0, 1, 1, 1]), calibrated) == 0.75


def test_fraud_data_is_imbalanced_like_card_payments():
    data = make_fraud_data(rng_for(7, "check"), n=6000)
    assert 0.01 < data.label_rate < 0.03
    assert 0.01 < data.y_val.mean() < 0.03  # the split keeps the rate


def test_artifact_locations_become_absolute_file_uris(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert _as_uri("art") == (tmp_path / "art").resolve().as_uri()
    assert _as_uri(str(tmp_path / "a b")) == (tmp_path / "a b").resolve().as_uri()
    assert _as_uri((tmp_path / "x").as_uri()) == (tmp_path / "x").resolve().as_uri()
    assert _as_uri("s3://bucket/demo/") == "s3://bucket/demo"
