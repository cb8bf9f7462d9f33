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

The datasets are drawn in `training_data`, the models trained in `training` and scored in
`metrics`; `sample_runs` says which runs each story did and `run_writer` writes them to MLflow;
this module builds the store around them. numpy is imported at module level in `sample_runs`
and in those three, so import this module lazily (only `mlboard demo` needs it); MLflow is
imported inside `build_demo_runs`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import unquote, urlparse

from mlboard.config import sqlite_path
from mlboard.demo.run_writer import _DemoWriter
from mlboard.demo.sample_runs import log_sample_runs


@dataclass(frozen=True)
class DemoRuns:
    """What `build_demo_runs` created."""

    tracking_uri: str
    experiments: int
    runs: int
    registered_models: tuple[str, ...]


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

    from mlboard.demo.sample_team import read_sample_team, sample_data_folder, sample_shift

    if sqlite_path(tracking_uri) is None:
        raise ValueError(f"demo runs are built into a new SQLite store, not {tracking_uri}")
    if sample_folder is None:
        sample_folder = sample_data_folder()
    shift = sample_shift(read_sample_team(sample_folder), today or datetime.now(UTC).date())
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    writer = _DemoWriter(client, (Metric, Param, RunTag), shift)
    writer.create_experiments(_as_uri(artifact_location))
    with _one_blas_thread():
        log_sample_runs(writer, seed)
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
