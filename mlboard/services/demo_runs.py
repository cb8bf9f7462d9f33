"""Real MLflow runs for the demo: small models trained with numpy, logged against sample stories.

`build_demo_runs` fills a new MLflow tracking store (normally `sqlite:///<demo>/mlflow.db`) with
runs that were trained moments before: the curves, the best run, the met and the unmet target,
the overfitting and the failure are what the models did, not numbers typed in. The datasets are
synthetic but shaped like the team's (a churn table, card payments with ~2% fraud, member ×
add-on picks), generated from a seed, so every build logs the same values.

What it writes (story keys from sample_data/stories.csv; values for the default seed 7):

| experiment       | story | runs                                                                |
|------------------|-------|---------------------------------------------------------------------|
| `churn-v3`       | ML-2  | the Q3 snapshot: `row_count`, `label_rate` (no model)               |
|                  | ML-5  | 4 logistic regressions: three on the v3 features meet               |
|                  |       | `val_auc >= 0.86` (best ≈ 0.886), the v2-feature baseline (≈ 0.80)  |
|                  |       | does not; strong L2 keeps the AUC but ruins calibration (`val_ece`) |
|                  | —     | 1 untagged notebook run, to link by hand                            |
| `fraud-v5`       | ML-3  | logistic baseline and a 256-unit MLP that clearly overfits: its     |
|                  |       | `val_loss` bottoms out at epoch 8, then rises for 32 epochs         |
|                  | ML-17 | 3 runs, all below `val_pr_auc >= 0.62` (best ≈ 0.48); the MLP logs  |
|                  |       | system metrics of 2 GPUs (`system/gpu_0_…`, `system/gpu_1_…`)       |
|                  | ML-19 | a class-weight sweep: a parent run and 4 nested children (≈ 0.50)   |
|                  |       | on 3 GPUs each (`mlboard.gpus`): 8.2 GPU-hours, over its budget, 6  |
| `recs-two-tower` | ML-28 | popularity baseline (`val_recall_at_50` ≈ 0.34), two two-tower      |
|                  |       | models (≈ 0.40 and 0.63) and one that diverged: FAILED, loss → NaN  |
|                  |       | (the two-tower runs on 4 GPUs each, by their `mlboard.gpus` tag)    |
| `scratch`        | —     | 2 untagged smoke-test runs (they belong to ML-14, unlinked)         |

Registered models: `churn-classifier` (versions 1 and 2 from ML-5's two best runs, in the order
they ran; alias `champion` on the best by `val_auc`), registered on 2026-10-13 just before ML-5
went to review, and `fraud-detector` (version 1 from ML-17's best run, alias `challenger`, as
the story asks), registered on 2026-10-27 just before ML-17 went to review.

Conventions, as mlboard's sync reads them:
- A run belongs to a story through its tag `mlboard.story = <key>`.
- Nested runs carry MLflow's own `mlflow.parentRunId` tag, as `mlflow.start_run(nested=True)`
  sets it. Only the sweep's parent run carries `mlboard.story`; its children reach the story
  through the parent link, like a sweep whose driver tags just its outer run. The parent logs
  the winning child's `val_pr_auc` and `val_auc` (and param `best_class_weight`), as sweep
  drivers do, so the parent alone says how far the story is from its target.
- GPUs: a run's `mlboard.gpus` tag says how many it used (ML-19's sweep, ML-28's two-tower
  runs); ML-17's MLP instead logs per-GPU utilization and memory once an epoch under the
  names MLflow's system metrics monitor uses (`system/gpu_<i>_utilization_percentage`,
  `system/gpu_<i>_memory_usage_megabytes`), as a job with `log_system_metrics=True` does.
- Every run has `mlflow.user` (a member handle from team.toml), `mlflow.runName`,
  `mlflow.source.name`/`.type`, and params (`model_type`, `learning_rate`, `l2`, `epochs`,
  `hidden_units`, `class_weight`, ... as the model has them).
- Per-epoch metrics have `step` = epoch, counted from 1: `train_loss`, `val_loss`, `val_auc`,
  `val_pr_auc` for classifiers, `train_loss`, `val_loss`, `val_recall_at_50`, `val_ndcg_at_10`
  for retrieval. The loss is the objective being minimised: the log loss, weighted by
  `class_weight` when a run sets one. `train_auc`, `val_accuracy` and `val_ece` are logged once,
  at the last epoch's step. A FAILED run has its metrics up to the epoch before the failure and
  the error in `mlflow.note.content`.

Times: each run starts at a moment written below in the sample's own calendar (`started`),
inside the window in which history.csv has its story in progress, moved by the same whole
number of weeks as the sample loader moves the board (`sample_team.sample_shift`), so runs and
board agree when both are built for the same `today`. A run lasts `epochs × epoch_seconds`, a
plausible duration for the real job rather than the milliseconds numpy needs. Versions are
registered at a moment written below too (`registered`, after their runs ended), moved the same
way; MLflow stamps them with the build time, so the builder dates them in its own new store
(`_date_registrations` says why that is acceptable there). Everything here happened before the
earliest day the loader can make "today", so none of it is ever in the future.

Artifacts go where the caller says: experiment `<name>` stores them under
`<artifact_location>/<name>` (saved as an absolute `file://` URI). Each finished run that
trained a model logs `model/weights.json`; registered versions point at its `model` folder.
The paths are absolute, so the demo folder must not be moved after the build (renaming just the
database file is fine). MLflow's own "Default" experiment (id 0) still gets MLflow's default
location, `./mlruns/0` resolved against the working directory of the build; nothing is written
there.

The datasets are drawn in `demo_training_data`, the models trained in `demo_training` and scored in
`demo_metrics`; this module writes what they give to MLflow. numpy is imported at module level
here and in those three, so import this module lazily (only `mlboard demo` needs it); MLflow is
imported inside `build_demo_runs`.
"""

from __future__ import annotations

import contextlib
import math
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import numpy as np

from mlboard.config import sqlite_path
from mlboard.domain import STORY_TAG
from mlboard.services.demo_training import (
    Training,
    TrainingDiverged,
    popularity_baseline,
    train_logistic,
    train_mlp,
    train_two_tower,
)
from mlboard.services.demo_training_data import (
    CHURN_V2_FEATURES,
    FRAUD_V4_FEATURES,
    Dataset,
    Interactions,
    make_churn_data,
    make_fraud_data,
    make_interactions,
)

GPUS_TAG = "mlboard.gpus"  # GPUs a run used, for clusters that log no system metrics
PARENT_TAG = "mlflow.parentRunId"
NOTE_TAG = "mlflow.note.content"  # the description MLflow's UI shows for runs and experiments

# --- Results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoRuns:
    """What `build_demo_runs` created."""

    tracking_uri: str
    experiments: int
    runs: int
    registered_models: tuple[str, ...]


# --- Seeds ---------------------------------------------------------------------------------------


def rng_for(seed: int, purpose: str) -> np.random.Generator:
    """An independent, reproducible stream per dataset or run: adding a run changes no other."""
    return np.random.default_rng([seed, zlib.crc32(purpose.encode("utf-8"))])


# --- The demo store ------------------------------------------------------------------------------

EXPERIMENTS = {
    "churn-v3": "Churn v3: 30-day cancellation risk for members, exported nightly to the CRM.",
    "fraud-v5": "Fraud v5: card-not-present payment scoring for the gateway.",
    "recs-two-tower": "Two-tower retrieval of add-on candidates for the recommendation ranker.",
    "scratch": "Notebook and smoke-test runs; nothing here is linked to a story by default.",
}
MAX_METRICS_PER_BATCH = 1000  # MLflow's limit for one log_batch call (params: 100, tags: 100)


@dataclass(frozen=True)
class _Job:
    """A training to run and the params that describe it."""

    train: Callable[[], Training]
    params: dict[str, object]


def _logistic(data: Dataset, rng: np.random.Generator, **settings: Any) -> _Job:
    params = {"model_type": "logistic_regression", "optimizer": "gd", **settings}
    params["features"] = len(data.features)
    return _Job(lambda: train_logistic(data, rng, **settings), params)


def _mlp(data: Dataset, rng: np.random.Generator, **settings: Any) -> _Job:
    params = {"model_type": "mlp", "optimizer": "adam", "activation": "relu", **settings}
    params["features"] = len(data.features)
    return _Job(lambda: train_mlp(data, rng, **settings), params)


def _two_tower(data: Interactions, rng: np.random.Generator, **settings: Any) -> _Job:
    params = {"model_type": "two_tower", "optimizer": "adam", **settings}
    params |= {"members": data.members, "items": data.items, "train_pairs": len(data.train)}
    return _Job(lambda: train_two_tower(data, rng, **settings), params)


@dataclass
class _Logged:
    run_id: str
    name: str
    status: str
    start_ms: int
    artifact_uri: str
    training: Training | None
    end_ms: int | None = None

    def last(self, metric: str) -> float:
        """The metric's final value; -inf for a run that did not finish training."""
        return self.training.last(metric) if self.training else -math.inf


class _DemoWriter:
    """Creates runs through MLflow's public client, one `log_batch` per thousand values."""

    def __init__(self, client: Any, entities: tuple[Any, Any, Any], shift: timedelta) -> None:
        self.client = client
        self.metric, self.param, self.tag = entities
        self.shift = shift
        self.experiments: dict[str, str] = {}
        self.runs = 0
        self.models: list[str] = []
        self.registered: dict[tuple[str, int], int] = {}  # (model, version) -> epoch ms

    def create_experiments(self, root: str) -> None:
        for name, note in EXPERIMENTS.items():
            if self.client.get_experiment_by_name(name) is not None:
                raise ValueError(
                    f"{self.client.tracking_uri} already has an experiment {name!r}: "
                    "demo runs are built once, into a new tracking store"
                )
            self.experiments[name] = self.client.create_experiment(
                name, artifact_location=f"{root}/{name}", tags={NOTE_TAG: note}
            )

    def at(self, when: str) -> int:
        """A time in the sample's calendar (ISO, UTC) as epoch ms, moved like the board."""
        moment = datetime.fromisoformat(when.replace("Z", "+00:00")) + self.shift
        return int(moment.timestamp() * 1000)

    def start(
        self,
        experiment: str,
        name: str,
        *,
        user: str,
        started: str,
        source: str,
        story: str | None = None,
        parent: _Logged | None = None,
        gpus_tag: int | None = None,
    ) -> _Logged:
        tags = {
            "mlflow.user": user,
            "mlflow.source.name": source,
            "mlflow.source.type": "NOTEBOOK" if source.endswith(".ipynb") else "LOCAL",
        }
        if gpus_tag is not None:
            tags[GPUS_TAG] = str(gpus_tag)
        if story:
            tags[STORY_TAG] = story
        if parent:
            tags[PARENT_TAG] = parent.run_id
        start_ms = self.at(started)
        run = self.client.create_run(
            self.experiments[experiment], start_time=start_ms, tags=tags, run_name=name
        )
        self.runs += 1
        return _Logged(run.info.run_id, name, "RUNNING", start_ms, run.info.artifact_uri, None)

    def log(
        self,
        run: _Logged,
        metrics: list[Any],
        params: dict[str, object],
        note: str | None = None,
    ) -> None:
        param_list = [self.param(key, str(value)) for key, value in params.items()]
        tag_list = [self.tag(NOTE_TAG, note)] if note else []
        for start in range(0, max(len(metrics), 1), MAX_METRICS_PER_BATCH):
            chunk = metrics[start : start + MAX_METRICS_PER_BATCH]
            self.client.log_batch(run.run_id, metrics=chunk, params=param_list, tags=tag_list)
            param_list, tag_list = [], []

    def finish(self, run: _Logged, status: str, end_ms: int) -> None:
        self.client.set_terminated(run.run_id, status=status, end_time=end_ms)
        run.status, run.end_ms = status, end_ms

    def run(
        self,
        experiment: str,
        name: str,
        job: _Job,
        *,
        user: str,
        started: str,
        epoch_seconds: float,
        source: str,
        story: str | None = None,
        parent: _Logged | None = None,
        gpus_tag: int | None = None,
        system_gpus: int = 0,
    ) -> _Logged:
        """Create a run, train, log what the training produced and terminate the run.

        A `TrainingDiverged` ends the run as FAILED, with the epochs before the failure logged
        and the error as the run's description. `gpus_tag` sets the run's `mlboard.gpus` tag;
        `system_gpus` logs that many GPUs' utilization and memory once an epoch, named as
        MLflow's system metrics monitor names them.
        """
        run = self.start(
            experiment,
            name,
            user=user,
            started=started,
            source=source,
            story=story,
            parent=parent,
            gpus_tag=gpus_tag,
        )
        note = None
        try:
            run.training = job.train()
            history, status = run.training.history, "FINISHED"
        except TrainingDiverged as error:
            history, status = error.history, "FAILED"
            note = f"Failed: {error}. Metrics are logged up to epoch {error.epoch - 1}."
        epochs = max((len(values) for values in history.values()), default=0)
        epoch_ms = round(epoch_seconds * 1000)
        end_ms = run.start_ms + (epochs + (status == "FAILED")) * epoch_ms + 45_000
        metrics = [
            self.metric(key, float(value), run.start_ms + step * epoch_ms, step)
            for key, values in history.items()
            for step, value in enumerate(values, start=1)
        ]
        if run.training is not None:
            metrics += [
                self.metric(key, float(value), end_ms - 30_000, epochs)
                for key, value in run.training.final.items()
            ]
        metrics += [
            self.metric(key, value, run.start_ms + step * epoch_ms, step - 1)
            for step in range(1, epochs + 1)
            for key, value in _gpu_readings(system_gpus, step).items()
        ]
        self.log(run, metrics, job.params, note)
        if run.training is not None and run.training.weights:
            self.client.log_dict(run.run_id, run.training.weights, "model/weights.json")
        self.finish(run, status, end_ms)
        return run

    def register(
        self,
        model: str,
        description: str,
        versions: Sequence[_Logged],
        alias: str,
        best: _Logged,
        *,
        registered: str,
    ) -> None:
        """Register `versions` in order (1, 2, ...), a minute apart from `registered` (a time
        in the sample's calendar, after the runs), and point `alias` at `best`'s version."""
        self.client.create_registered_model(model, description=description)
        self.models.append(model)
        for index, logged in enumerate(versions):
            version = self.client.create_model_version(
                model, f"{logged.artifact_uri}/model", run_id=logged.run_id
            )
            created_ms = self.at(registered) + index * 60_000
            if logged.end_ms is None or created_ms <= logged.end_ms:
                raise ValueError(f"{model} v{version.version} is registered before its run ended")
            self.registered[(model, int(version.version))] = created_ms
            if logged is best:
                self.client.set_registered_model_alias(model, alias, version.version)


def _gpu_readings(gpus: int, step: int) -> dict[str, float]:
    """What MLflow's GPU monitor would log for a busy training job at one sample: busy, with
    a little wobble, and memory filled once the model is loaded."""
    readings = {}
    for gpu in range(gpus):
        readings[f"system/gpu_{gpu}_utilization_percentage"] = 88.0 + 5 * math.sin(step + gpu)
        readings[f"system/gpu_{gpu}_memory_usage_megabytes"] = 21_400.0 + 150 * gpu
    return readings


def _as_uri(location: str) -> str:
    """A local folder or `file:` URI as an absolute `file://` URI; other schemes unchanged."""
    scheme = urlparse(location).scheme
    if scheme and len(scheme) > 1 and scheme != "file":  # len 1: a Windows drive letter
        return location.rstrip("/")
    path = Path(unquote(urlparse(location).path) if scheme == "file" else location)
    return path.expanduser().resolve().as_uri()


def build_demo_runs(
    tracking_uri: str,
    artifact_location: str,
    *,
    seed: int = 7,
    today: date | None = None,
    sample_folder: Path | None = None,
) -> DemoRuns:
    """Train the demo's models and log them to a new MLflow store at `tracking_uri`.

    `tracking_uri` is a new SQLite store, `sqlite:///<file>` (its registry is dated by the
    builder, see `_date_registrations`). `artifact_location` is a folder (or `file://` URI) for
    the artifacts; each experiment gets `<artifact_location>/<experiment>`. `today` (default:
    today, UTC) places the runs as the sample loader places the board for the same day (see the
    module docstring); `seed` makes every dataset and every training reproducible;
    `sample_folder` is where team.toml is (default: the installed sample team). Raises
    ValueError if the store is not a SQLite file or already holds the demo's experiments. Takes
    a few seconds, a third of it MLflow creating its database.
    """
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    from mlboard.services.sample_team import read_sample_team, sample_shift

    if sqlite_path(tracking_uri) is None:
        raise ValueError(f"demo runs are built into a new SQLite store, not {tracking_uri}")
    if sample_folder is None:
        from mlboard.services.demo import sample_data_folder  # demo may import this module

        sample_folder = sample_data_folder()
    shift = sample_shift(read_sample_team(sample_folder), today or datetime.now(UTC).date())
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    writer = _DemoWriter(client, (Metric, Param, RunTag), shift)
    writer.create_experiments(_as_uri(artifact_location))
    with _one_blas_thread():
        _churn_runs(writer, seed)
        _fraud_runs(writer, seed)
        _recs_runs(writer, seed)
        _scratch_runs(writer, seed)
    _date_registrations(tracking_uri, writer.registered)
    return DemoRuns(tracking_uri, len(writer.experiments), writer.runs, tuple(writer.models))


def _date_registrations(tracking_uri: str, created: dict[tuple[str, int], int]) -> None:
    """Date the demo's model versions when the sample's stories registered them (epoch ms).

    MLflow stamps a version with the moment `create_model_version` is called, and none of its
    APIs takes another time. Built in seconds, every version would read as registered on the
    build date: the Models screen would show the whole registry as new, and the first standup
    would report registrations "since the last standup" that the team made weeks ago. So,
    once registered, the versions get their times in the store's registry tables
    (`model_versions`; `registered_models` from its versions), in one transaction.

    This is acceptable here and only here: the store is the new SQLite file this builder has
    just created, mlboard's own, not a team's. A store mlboard syncs from is read, never
    changed, apart from the `mlboard.story` tag. The board takes these times by its ordinary
    sync, so MLflow's UI, the Models screen and the standup agree, and a later sync keeps them.
    """
    import sqlite3

    path = sqlite_path(tracking_uri)
    assert path is not None, "build_demo_runs checks the store is a SQLite file"
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        for (name, version), ms in created.items():
            changed = db.execute(
                "UPDATE model_versions SET creation_time = ?, last_updated_time = ? "
                "WHERE name = ? AND version = ?",
                (ms, ms, name, version),
            ).rowcount
            if changed != 1:
                raise RuntimeError(f"{tracking_uri} holds no single {name} version {version}")
        db.execute(
            "UPDATE registered_models SET "
            "creation_time = (SELECT MIN(v.creation_time) FROM model_versions AS v "
            "WHERE v.name = registered_models.name), "
            "last_updated_time = (SELECT MAX(v.last_updated_time) FROM model_versions AS v "
            "WHERE v.name = registered_models.name)"
        )


def _one_blas_thread() -> contextlib.AbstractContextManager[object]:
    """Limit BLAS to one thread while training, when threadpoolctl is installed.

    The matrices here are small: BLAS threads gain nothing, and on a busy two-core machine
    OpenBLAS's spinning threads made the build several times slower. threadpoolctl is not a
    dependency of mlboard; without it this does nothing (OPENBLAS_NUM_THREADS=1 in the
    environment does the same).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _churn_runs(writer: _DemoWriter, seed: int) -> None:
    """ML-2's snapshot, ML-5's four runs (the champion among them), an untagged notebook run."""
    data = make_churn_data(rng_for(seed, "churn-data"))
    snapshot = {"row_count": float(data.rows), "label_rate": round(data.label_rate, 4)}
    writer.run(
        "churn-v3",
        "q3-churn-snapshot",
        _Job(lambda: Training({}, snapshot), {"window": "2026-07..2026-09", "label": "churn_30d"}),
        user="tomasz",
        started="2026-10-07T09:40:00Z",
        epoch_seconds=0,
        source="pipelines/churn_snapshot.py",
        story="ML-2",
    )
    regions = tuple(f for f in data.features if f.startswith("region_"))
    feature_sets = {
        "v2": data.select(CHURN_V2_FEATURES + regions),  # no engagement features, raw tenure
        "v3": data.select(f for f in data.features if f != "tenure_months"),
    }
    ml5 = [
        writer.run(
            "churn-v3",
            name,
            _logistic(
                feature_sets[features],
                rng_for(seed, name),
                learning_rate=lr,
                l2=l2,
                epochs=40,
            ),
            user="ana",
            started=started,
            epoch_seconds=40,
            source="train_churn.py",
            story="ML-5",
        )
        for name, started, features, lr, l2 in (
            ("churn-v2-features-baseline", "2026-10-07T13:20:00Z", "v2", 1.0, 1e-2),
            ("churn-v3-l2-0.3", "2026-10-08T10:05:00Z", "v3", 1.0, 0.3),
            ("churn-v3-l2-0.01", "2026-10-08T14:30:00Z", "v3", 1.0, 1e-2),
            ("churn-v3-l2-0", "2026-10-09T11:15:00Z", "v3", 1.0, 0.0),
        )
    ]
    writer.run(  # Ana forgot the tag: the Experiments screen links it by hand
        "churn-v3",
        "calibration-check",
        _logistic(feature_sets["v3"], rng_for(seed, "calibration"), learning_rate=1.0, l2=1e-2,
                  epochs=30),
        user="ana",
        started="2026-10-12T15:10:00Z",
        epoch_seconds=40,
        source="notebooks/churn_calibration.ipynb",
    )  # fmt: skip
    ranked = sorted(ml5, key=lambda run: run.last("val_auc"), reverse=True)
    writer.register(
        "churn-classifier",
        "Churn v3: probability that a member cancels within 30 days (ML-5).",
        sorted(ranked[:2], key=lambda run: run.start_ms),
        "champion",
        ranked[0],
        registered="2026-10-13T16:50:00Z",  # Ana, just before she moves ML-5 to review
    )


def _fraud_runs(writer: _DemoWriter, seed: int) -> None:
    """ML-3's spike (the overfitting MLP), ML-17's runs, ML-19's class-weight sweep."""
    # ML-3, Sprint 21: a development sample (legitimate payments subsampled to ~10% fraud) with
    # sparse merchant ids, which a big unregularised network memorises.
    dev = make_fraud_data(rng_for(seed, "fraud-dev"), n=2000, fraud_rate=0.1, merchants=150)
    for name, started, job in (
        ("sparse-logreg-baseline", "2026-10-06T10:30:00Z",
         _logistic(dev, rng_for(seed, "sparse-logreg"), learning_rate=1.0, l2=1e-2, epochs=40)),
        ("sparse-mlp-256", "2026-10-07T14:00:00Z",
         _mlp(dev, rng_for(seed, "sparse-mlp"), hidden_units=256, learning_rate=1e-3, l2=0.0,
              epochs=40, batch_size=64)),
    ):  # fmt: skip
        job.params["dataset"] = "dev-sample-10pct"
        writer.run(
            "fraud-v5",
            name,
            job,
            user="zoe",
            started=started,
            epoch_seconds=30,
            source="spikes/sparse_features.py",
            story="ML-3",
        )

    # ML-17 and ML-19, Sprint 22: twelve months of payments, ~1.7% labelled fraud, one split.
    data = make_fraud_data(rng_for(seed, "fraud-data"))
    v4 = data.select(FRAUD_V4_FEATURES)  # v4 had no device features
    ml17 = [
        writer.run(
            "fraud-v5",
            name,
            job,
            user="ana",
            started=started,
            epoch_seconds=epoch_seconds,
            source="train_fraud.py",
            story="ML-17",
            system_gpus=2 if name == "fraud-v5-mlp-32" else 0,  # the MLP trained on 2 GPUs
        )
        for name, started, epoch_seconds, job in (
            ("fraud-v5-logreg-v4-features", "2026-10-19T15:30:00Z", 90,
             _logistic(v4, rng_for(seed, "v4"), learning_rate=2.0, l2=1e-4, epochs=40)),
            ("fraud-v5-logreg", "2026-10-21T10:10:00Z", 110,
             _logistic(data, rng_for(seed, "v5"), learning_rate=2.0, l2=1e-4, epochs=40)),
            ("fraud-v5-mlp-32", "2026-10-23T09:45:00Z", 240,
             _mlp(data, rng_for(seed, "v5-mlp"), hidden_units=32, learning_rate=2e-3, l2=1e-3,
                  epochs=25, batch_size=256)),
        )
    ]  # fmt: skip
    best = max(ml17, key=lambda run: run.last("val_pr_auc"))
    writer.register(
        "fraud-detector",
        "Fraud v5: probability that a card-not-present payment is fraud (ML-17).",
        [best],
        "challenger",
        best,
        registered="2026-10-27T16:30:00Z",  # Ana, just before she moves ML-17 to review
    )

    sweep = writer.start(
        "fraud-v5",
        "class-weight-sweep",
        user="zoe",
        started="2026-10-20T10:00:00Z",
        source="sweeps/class_weights.py",
        story="ML-19",
    )
    weights = (1, 5, 20, 50)
    children = [
        writer.run(
            "fraud-v5",
            f"class-weight-{weight}",
            _logistic(data, rng_for(seed, f"class-weight-{weight}"), learning_rate=0.5, l2=1e-4,
                      epochs=30, class_weight=weight),
            user="zoe",
            started=f"2026-10-20T{10 + index}:{2 + 7 * index:02d}:00Z",
            epoch_seconds=80,
            source="sweeps/class_weights.py",
            parent=sweep,
            gpus_tag=3,  # the sweep's cluster logs no system metrics: the driver tags its jobs
        )
        for index, weight in enumerate(weights)
    ]  # fmt: skip
    winner_index = max(range(len(children)), key=lambda i: children[i].last("val_pr_auc"))
    winner = children[winner_index]
    end_ms = writer.at("2026-10-20T14:10:00Z")
    writer.log(
        sweep,
        [writer.metric(key, winner.last(key), end_ms, 0) for key in ("val_pr_auc", "val_auc")],
        {
            "model_type": "logistic_regression",
            "class_weights": ",".join(map(str, weights)),
            "best_class_weight": weights[winner_index],
        },
    )
    writer.finish(sweep, "FINISHED", end_ms)


def _recs_runs(writer: _DemoWriter, seed: int) -> None:
    """ML-28: the popularity bar, two two-tower models and one that diverged (FAILED)."""
    data = make_interactions(rng_for(seed, "interactions"))
    popularity = _Job(
        lambda: popularity_baseline(data),
        {"model_type": "popularity", "members": data.members, "items": data.items},
    )
    for name, started, job in (
        ("popularity-baseline", "2026-11-05T11:00:00Z", popularity),
        ("two-tower-d16-l2-1.5e-3", "2026-11-06T13:40:00Z",
         _two_tower(data, rng_for(seed, "d16-a"), embedding_dim=16, learning_rate=0.05,
                    l2=1.5e-3, epochs=20, cosine_decay=True)),
        ("two-tower-sgd-warmup", "2026-11-10T10:20:00Z",
         _two_tower(data, rng_for(seed, "sgd"), embedding_dim=32, learning_rate=400.0, l2=0.0,
                    epochs=20, optimizer="sgd", warmup_epochs=5)),
        ("two-tower-d16-l2-1e-3", "2026-11-12T14:15:00Z",
         _two_tower(data, rng_for(seed, "d16-b"), embedding_dim=16, learning_rate=0.05, l2=1e-3,
                    epochs=20, cosine_decay=True)),
    ):  # fmt: skip
        writer.run(
            "recs-two-tower",
            name,
            job,
            user="ana",
            started=started,
            epoch_seconds=420,
            source="train_two_tower.py",
            story="ML-28",
            gpus_tag=None if job is popularity else 4,
        )


def _scratch_runs(writer: _DemoWriter, seed: int) -> None:
    """Kwame's smoke trainings after the CUDA 12.4 image rebuild (ML-14), never tagged."""
    for name, started, data in (
        ("smoke-churn-cuda12.4", "2026-10-06T09:20:00Z",
         make_churn_data(rng_for(seed, "churn-smoke"), n=2000)),
        ("smoke-fraud-cuda12.4", "2026-10-06T09:50:00Z",
         make_fraud_data(rng_for(seed, "fraud-smoke"), n=4000)),
    ):  # fmt: skip
        job = _logistic(data, rng_for(seed, name), learning_rate=1.0, l2=1e-3, epochs=5)
        job.params["image"] = "training:cuda12.4"
        writer.run(
            "scratch",
            name,
            job,
            user="kwame",
            started=started,
            epoch_seconds=15,
            source="smoke_test.py",
        )
