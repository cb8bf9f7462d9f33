"""MLflow sync for the TUI: the thread-side work and the messages it posts to the app.

`sync_all` runs in a thread worker and never touches a widget: it reports through `post`
(the app's thread-safe `post_message`), and the app's handlers update the header, notify and
refresh the screens. A tracking store that fails is reported and skipped, so one unreachable
server never stops the others, and the board keeps what was last synced.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from textual.message import Message

from mlboard.errors import UserError
from mlboard.wording import plural

if TYPE_CHECKING:
    from mlboard.services.workspace import Workspace

NO_TRACKING_URI = (
    "No MLflow tracking URI is configured. Set MLFLOW_TRACKING_URI, or tracking_uri in "
    "[tool.mlboard] (pyproject.toml) or mlboard.toml, then press s again."
)


@dataclass
class SyncProgress(Message):
    """A step of the sync, in a few words, for the header."""

    text: str


@dataclass
class SyncFailed(Message):
    """One tracking store (or the history fetch) failed; the message names it."""

    text: str


@dataclass
class SyncSummary:
    """What a whole sync did, over every tracking URI."""

    runs_added: int = 0
    runs_updated: int = 0
    links_added: int = 0
    model_versions: int = 0
    histories: int = 0
    tags_pending: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.runs_added or self.runs_updated or self.links_added or self.histories)

    def describe(self) -> str:
        pending = (
            f", {plural(self.tags_pending, 'story tag')} not yet in MLflow"
            if self.tags_pending
            else ""
        )
        return (
            f"{plural(self.runs_added, 'new run')}, {self.runs_updated} updated, "
            f"{self.links_added} linked, {plural(self.model_versions, 'model version')}{pending}"
        )


@dataclass
class SyncFinished(Message):
    summary: SyncSummary


def short_uri(uri: str, width: int = 40) -> str:
    """A tracking URI that fits in the header: long sqlite paths keep their end."""
    return uri if len(uri) <= width else "…" + uri[-(width - 1) :]


def sync_all(
    workspace: Workspace,
    uris: Sequence[str],
    post: Callable[[Message], object],
    cancelled: Callable[[], bool] = lambda: False,
) -> SyncSummary:
    """Sync every URI, then fetch the metric histories charts and checks need.

    Runs in a worker thread. MLflow is imported here, on first use, so it stays out of the UI
    thread and out of start-up.
    """
    from mlboard.services.experiments.metric_history import refresh_histories
    from mlboard.services.experiments.sync import sync

    summary = SyncSummary()
    for uri in uris:
        if cancelled():
            return summary
        name = short_uri(uri)
        post(SyncProgress(f"syncing {name}"))
        try:
            result = sync(
                workspace,
                uri,
                progress=lambda text, name=name: post(SyncProgress(f"{name}: {text}")),
            )
        except UserError as error:  # TrackingError included: say it, go on with the next
            summary.failures.append(error.message)
            post(SyncFailed(error.message))
            continue
        summary.runs_added += result.runs_added
        summary.runs_updated += result.runs_updated
        summary.links_added += result.links_added
        summary.model_versions += result.model_versions
        summary.tags_pending += result.tags_pending
    if cancelled() or len(summary.failures) == len(uris):
        return summary
    post(SyncProgress("fetching metric histories"))
    try:
        summary.histories = refresh_histories(
            workspace,
            progress=lambda done, total: post(SyncProgress(f"metric histories {done}/{total}")),
        )
    except UserError as error:
        summary.failures.append(error.message)
        post(SyncFailed(error.message))
    return summary
