"""Real MLflow tracking stores for tests: a sqlite store built once, copied per test."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

T0 = 1_764_000_000_000  # a fixed start time, in ms (2025-11-24)


@dataclass
class MlflowStore:
    """A tracking store in a folder; `client` writes to it like training code would."""

    folder: Path

    @property
    def uri(self) -> str:
        return f"sqlite:///{self.folder / 'mlflow.db'}"

    @property
    def client(self) -> Any:
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)

    def experiment(self, name: str) -> str:
        found = self.client.get_experiment_by_name(name)
        if found is not None:
            return found.experiment_id
        return self.client.create_experiment(
            name, artifact_location=(self.folder / "artifacts" / name).as_uri()
        )

    def run(
        self,
        experiment: str,
        name: str,
        *,
        story: str | None = None,
        start: int = 0,
        minutes: int | None = 10,
        status: str = "FINISHED",
        metrics: dict[str, float] | None = None,
        history: dict[str, list[float]] | None = None,
        tags: dict[str, str] | None = None,
    ) -> str:
        """Create a run starting `start` minutes after T0; `minutes=None` leaves it running."""
        from mlflow.entities import Metric

        client = self.client
        all_tags = {**(tags or {}), **({"mlboard.story": story} if story else {})}
        started = T0 + start * 60_000
        run = client.create_run(
            self.experiment(experiment), start_time=started, tags=all_tags, run_name=name
        )
        run_id = run.info.run_id
        points = [
            Metric(key, value, started + step * 1000, step)
            for key, values in (history or {}).items()
            for step, value in enumerate(values)
        ]
        points += [Metric(key, value, started, 0) for key, value in (metrics or {}).items()]
        if points:
            client.log_batch(run_id, metrics=points)
        if minutes is not None:
            client.set_terminated(run_id, status=status, end_time=started + minutes * 60_000)
        return run_id


_template: dict[str, Path] = {}


def empty_store(folder: Path) -> MlflowStore:
    """An initialised (migrated) empty sqlite store; the slow creation happens once a session."""
    if "path" not in _template:
        seed = folder.parent / "mlflow-template"
        seed.mkdir(exist_ok=True)
        MlflowStore(seed).client.search_experiments()  # creates and migrates the database
        _template["path"] = seed / "mlflow.db"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(_template["path"], folder / "mlflow.db")
    return MlflowStore(folder)
