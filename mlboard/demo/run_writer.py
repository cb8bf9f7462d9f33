"""Writing the demo's runs into MLflow: experiments, runs with their metrics, registered models.

`_DemoWriter` is the one place that talks to MLflow's client while the demo is built: it creates
the experiments, starts a run with the tags mlboard's sync reads (story, parent, GPUs, user,
source), trains the job it is given, logs what the training produced (a thousand values per
`log_batch`) and ends the run, FINISHED or FAILED; it registers model versions at the sample's
moments. What the runs are, story by story, is in `sample_runs`; `runs.build_demo_runs` puts the
two together (the conventions are in its module docstring).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from mlboard.demo.training import Training, TrainingDiverged
from mlboard.domain import STORY_TAG

GPUS_TAG = "mlboard.gpus"  # GPUs a run used, for clusters that log no system metrics
PARENT_TAG = "mlflow.parentRunId"
NOTE_TAG = "mlflow.note.content"  # the description MLflow's UI shows for runs and experiments

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
