"""Reading an MLflow tracking store through MLflow's public client API.

This is the only module (besides the demo builder) that imports MLflow, and it does so lazily:
importing MLflow costs about a second, which `mlboard --help` and the board never pay. It turns
MLflow's entities into plain records and MLflow's many failure modes into one `TrackingError`
with a sentence a user can act on.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlboard.domain import STORY_TAG
from mlboard.errors import UserError
from mlboard.integrations.mlflow_store_check import TrackingError, check_store, reads_registry

PARENT_TAG = "mlflow.parentRunId"
CONTEXT_TAG = "mlflow.data.context"  # training, evaluation... (`mlflow.log_input(context=)`)
SENSITIVITY_TAG = "mlboard.sensitivity"  # a dataset input's label, set by training code


# Runs per search page, and so per committed transaction of a sync. MLflow's maximum is the
# default; MLBOARD_SYNC_PAGE_SIZE trades speed for smaller, more frequent commits. Checked when
# a store is opened (`_page_size`), so a bad value is an error there, not at import.
PAGE_SIZE: int | str = os.environ.get("MLBOARD_SYNC_PAGE_SIZE", "1000")
_IN_CHUNK = 100  # run ids per `attributes.run_id IN (...)` filter

# ViewType values of mlflow.entities.ViewType, kept here so callers need not import MLflow.
ACTIVE_ONLY, DELETED_ONLY, ALL = 1, 2, 3


@dataclass(frozen=True, slots=True)
class DatasetRecord:
    """A dataset a run logged as input: which data (name, digest) and for what (context).

    `sensitivity` is the input's `mlboard.sensitivity` tag as written (empty when absent).
    """

    name: str
    digest: str
    source: str
    source_type: str
    context: str
    sensitivity: str = ""


@dataclass(frozen=True, slots=True)
class RunRecord:
    run_id: str
    experiment_id: str
    experiment_name: str
    run_name: str
    status: str
    user: str
    start_ms: int | None
    end_ms: int | None
    deleted: bool
    params: dict[str, str]
    tags: dict[str, str]
    metrics: dict[str, float | None]
    inputs: tuple[DatasetRecord, ...] = ()

    @property
    def story_key(self) -> str | None:
        key = self.tags.get(STORY_TAG, "").strip().upper()
        return key or None

    @property
    def parent_run_id(self) -> str | None:
        return self.tags.get(PARENT_TAG) or None


@dataclass(frozen=True, slots=True)
class ModelVersionRecord:
    name: str
    version: int
    status: str
    run_id: str | None
    source: str
    description: str
    aliases: tuple[str, ...]
    created_ms: int | None
    updated_ms: int | None


@dataclass(frozen=True, slots=True)
class PointRecord:
    step: int
    value: float | None
    timestamp_ms: int


def _finite(value: float) -> float | None:
    """JSON (and PostgreSQL) have no NaN: a NaN or infinite metric is stored as missing."""
    return value if math.isfinite(value) else None


@dataclass
class TrackingStore:
    """A connection to one tracking URI, with experiment names cached for the session.

    Opening it writes nothing to the store: `check_store` refuses, before MLflow is asked to
    open it, any store MLflow would create, migrate or fill in (see mlflow_store_check).
    """

    uri: str
    _client: Any = field(default=None, repr=False)
    _runs_per_page: int = field(default=0, repr=False)
    _experiments: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        check_store(self.uri)
        self._runs_per_page = _page_size(str(PAGE_SIZE))
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "15")
        quiet_mlflow_logs()
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException

        try:
            self._client = MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)
        except (ValueError, MlflowException) as error:
            # A malformed address or a scheme MLflow has no store for is the URI's fault; a
            # store that fails to open (its database down) is not.
            if isinstance(error, MlflowException) and error.error_code != "INVALID_PARAMETER_VALUE":
                raise
            raise TrackingError(_explain(self.uri, "open", error), exit_code=2) from None

    def _call(self, what: str, function: Any, *args: Any, **kwargs: Any) -> Any:
        """Run one client call; any failure becomes a TrackingError naming the URI."""
        try:
            return function(*args, **kwargs)
        except Exception as error:  # MLflow raises many types: requests, SQLAlchemy, its own
            raise TrackingError(_explain(self.uri, what, error)) from None

    def _pages(self, what: str, function: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        """Every page of a paged MLflow search, following its tokens."""
        token = None
        while True:
            page = self._call(
                what, function, *args, max_results=self._runs_per_page, page_token=token, **kwargs
            )
            yield page
            token = page.token
            if not token:
                return

    def experiment_ids(self) -> list[str]:
        """All experiments, deleted ones included (their runs may still be linked)."""
        if not self._experiments:
            for page in self._pages(
                "list experiments", self._client.search_experiments, view_type=ALL
            ):
                self._experiments.update({e.experiment_id: e.name for e in page})
        return list(self._experiments)

    def search(
        self, filter_string: str, *, order_by: str | None = None, view: int = ALL
    ) -> Iterator[list[RunRecord]]:
        """Pages of runs matching an MLflow filter, in `order_by` order."""
        experiments = self.experiment_ids()
        if not experiments:
            return
        for page in self._pages(
            "search runs",
            self._client.search_runs,
            experiments,
            filter_string=filter_string,
            run_view_type=view,
            order_by=[order_by] if order_by else None,
        ):
            yield [self._record(run) for run in page]

    def runs_by_id(self, run_ids: Sequence[str]) -> Iterator[list[RunRecord]]:
        for start in range(0, len(run_ids), _IN_CHUNK):
            chunk = run_ids[start : start + _IN_CHUNK]
            quoted = ", ".join(f"'{run_id}'" for run_id in chunk)
            yield from self.search(f"attributes.run_id IN ({quoted})")

    def _record(self, run: Any) -> RunRecord:
        info, data = run.info, run.data
        return RunRecord(
            run_id=info.run_id,
            experiment_id=info.experiment_id,
            experiment_name=self._experiments.get(info.experiment_id, ""),
            run_name=info.run_name or "",
            status=info.status,
            user=info.user_id or data.tags.get("mlflow.user", ""),
            start_ms=info.start_time,
            end_ms=info.end_time,
            deleted=info.lifecycle_stage == "deleted",
            params=dict(data.params),
            tags=dict(data.tags),
            metrics={key: _finite(value) for key, value in data.metrics.items()},
            inputs=_dataset_inputs(run),
        )

    def _aliases(self) -> dict[tuple[str, int], list[str]]:
        """Aliases by (model, version): version searches do not always carry them."""
        aliases: dict[tuple[str, int], list[str]] = {}
        for page in self._pages("search registered models", self._client.search_registered_models):
            for model in page:
                for alias, version in (model.aliases or {}).items():
                    aliases.setdefault((model.name, int(version)), []).append(alias)
        return aliases

    def model_versions(self) -> list[ModelVersionRecord]:
        if not reads_registry(self.uri):
            return []
        aliases = self._aliases()
        versions: list[ModelVersionRecord] = []
        for page in self._pages("search model versions", self._client.search_model_versions):
            versions += [
                ModelVersionRecord(
                    name=v.name,
                    version=int(v.version),
                    status=v.status or "",
                    run_id=v.run_id or None,
                    source=v.source or "",
                    description=v.description or "",
                    aliases=tuple(
                        sorted({*(v.aliases or ()), *aliases.get((v.name, int(v.version)), ())})
                    ),
                    created_ms=v.creation_timestamp,
                    updated_ms=v.last_updated_timestamp,
                )
                for v in page
            ]
        return versions

    def metric_history(self, run_id: str, key: str) -> list[PointRecord]:
        history = self._call("read metric history", self._client.get_metric_history, run_id, key)
        return [PointRecord(m.step, _finite(m.value), m.timestamp) for m in history]

    def log_text(self, run_id: str, text: str, artifact_file: str) -> str:
        """Store `text` as an artifact of the run; returns its `runs:/` URI."""
        self._call("log an artifact", self._client.log_text, run_id, text, artifact_file)
        return f"runs:/{run_id}/{artifact_file}"

    def set_story_tag(self, run_id: str, story_key: str | None) -> None:
        """Write (or, with None, remove) the link tag on the run itself.

        Removing a tag the run does not have succeeds: the run ends as asked, without the tag.
        """
        if story_key is not None:
            self._call("tag the run", self._client.set_tag, run_id, STORY_TAG, story_key)
            return

        def remove() -> None:
            try:
                self._client.delete_tag(run_id, STORY_TAG)
            except Exception as error:
                if getattr(error, "error_code", None) != "RESOURCE_DOES_NOT_EXIST":
                    raise

        self._call("remove the story tag", remove)


def _dataset_inputs(run: Any) -> tuple[DatasetRecord, ...]:
    """The run's `log_input` datasets, as search results carry them (no extra request)."""
    inputs = getattr(run, "inputs", None)
    found = []
    for item in getattr(inputs, "dataset_inputs", None) or ():
        tags = {tag.key: tag.value for tag in item.tags or ()}
        dataset = item.dataset
        found.append(
            DatasetRecord(
                name=dataset.name or "",
                digest=dataset.digest or "",
                source=_source(dataset.source or ""),
                source_type=dataset.source_type or "",
                context=tags.get(CONTEXT_TAG, ""),
                sensitivity=tags.get(SENSITIVITY_TAG, "").strip(),
            )
        )
    return tuple(found)


def _source(text: str) -> str:
    """MLflow keeps a dataset's source as JSON; people read the URI or path inside it."""
    try:
        source = json.loads(text)
    except ValueError:
        return text
    if isinstance(source, dict):
        for key in ("uri", "url", "path", "table_name"):
            if isinstance(source.get(key), str):
                return source[key]
        tags = source.get("tags")  # a "code" source: the script that built the data in memory
        if isinstance(tags, dict) and isinstance(tags.get("mlflow.source.name"), str):
            return tags["mlflow.source.name"]
    return text


def _page_size(text: str) -> int:
    """MLBOARD_SYNC_PAGE_SIZE as a number of runs; a value MLflow would refuse is bad input."""
    if not text.strip().isdecimal() or not 1 <= int(text) <= 1000:
        raise UserError(
            f"MLBOARD_SYNC_PAGE_SIZE: {text!r} is not a whole number of runs from 1 to 1000"
        )
    return int(text)


def quiet_mlflow_logs() -> None:
    """MLflow logs its store set-up at INFO; that is not ours to show. MLflow sets its logger's
    level from MLFLOW_LOGGING_LEVEL when it is first imported (a user's setting still wins)."""
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    if "mlflow" in sys.modules:
        logging.getLogger("mlflow").setLevel(os.environ["MLFLOW_LOGGING_LEVEL"].upper())


def _explain(uri: str, what: str, error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if "FILE_STORE" in text or "file store" in text.lower():
        text += " (set MLFLOW_ALLOW_FILE_STORE=true to read an mlruns folder)"
    if any(word in text for word in ("Max retries", "Connection refused", "NewConnectionError")):
        text = "the tracking server is unreachable"
    return f"cannot {what} at {uri}: {text}"
