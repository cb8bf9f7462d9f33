"""Real MLflow tracking stores for tests: a sqlite store built once, copied per test; the same
store as an older MLflow left it; a real `mlflow server` on 127.0.0.1 for the HTTP path."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

T0 = 1_764_000_000_000  # a fixed start time, in ms (2025-11-24)


@dataclass
class MlflowStore:
    """A tracking store in a folder (or a server's, with `server`); `client` writes to it like
    training code would."""

    folder: Path
    server: str | None = None

    @property
    def uri(self) -> str:
        return self.server or f"sqlite:///{self.folder / 'mlflow.db'}"

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
        params: dict[str, str] | None = None,
    ) -> str:
        """Create a run starting `start` minutes after T0; `minutes=None` leaves it running."""
        from mlflow.entities import Metric, Param

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
        if points or params:
            logged = [Param(key, value) for key, value in (params or {}).items()]
            client.log_batch(run_id, metrics=points, params=logged)
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


def older_store(folder: Path) -> MlflowStore:
    """An empty sqlite store as the MLflow release before the installed one left it."""
    store = empty_store(folder)
    downgrade_one_revision(store.uri)
    return store


def downgrade_one_revision(uri: str) -> None:
    """Take a store the installed MLflow built back one schema revision, with MLflow's own
    downgrade of its newest migration: `alembic_version` names the previous revision and the
    tables and columns that migration added are gone, as in a store the older MLflow wrote."""
    from alembic import command
    from alembic.config import Config
    from mlflow.store import db_migrations

    scripts = Path(db_migrations.__file__).parent
    config = Config(str(scripts / "alembic.ini"))
    config.set_main_option("script_location", str(scripts))
    config.set_main_option("sqlalchemy.url", uri)
    command.downgrade(config, "-1")


def fingerprint(folder: Path) -> dict[str, str]:
    """Every file and folder under `folder` with a hash of its bytes: equal fingerprints mean
    nothing was written, created or left behind (no -journal, -wal or new folder)."""
    return {
        str(path.relative_to(folder)): (
            hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "folder"
        )
        for path in sorted(folder.rglob("*"))
    }


SERVER_STARTUP_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def mlflow_server(folder: Path) -> Iterator[str]:
    """A real `mlflow server` on 127.0.0.1 with its store in `folder`; yields its URI and
    stops it on leaving (earlier, if the test stops it to see the server gone)."""
    port = free_port()
    mlflow = Path(sys.executable).with_name("mlflow")
    command = [
        str(mlflow if mlflow.exists() else shutil.which("mlflow")),
        "server",
        "--host", "127.0.0.1",
        "--port", str(port),
        "--workers", "1",
        "--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}",
        "--default-artifact-root", str(folder / "artifacts"),
    ]  # fmt: skip
    log = (folder / "server.log").open("w")
    # no background job runner (seven more processes); its own process group, so that
    # stopping it stops uvicorn's worker too
    environment = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, env=environment, start_new_session=True
    )
    uri = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + SERVER_STARTUP_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{uri}/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "mlflow server did not start: " + (folder / "server.log").read_text()
                    ) from None
                time.sleep(0.5)
        yield uri
    finally:
        _stop(process)
        log.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group; SIGKILL whatever is left after 30 s."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=30)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
