"""The first screen's data, read before or while the app starts, without SQLAlchemy in the app.

SQLAlchemy, SQLModel and pydantic take longer to import than Textual; the first screen should
not wait for them. Only for a SQLite file already at this mlboard's schema (anything else is
opened the usual way first, so an older schema is upgraded and a newer one refused before
anything is drawn):

- the board reads its sprint and cards with sqlite3 (`sqlite_reads`), in a few milliseconds;
- the standup digest takes longer than the whole start of the app, so a helper process forked
  before Textual is imported computes it with the usual services while the app starts, and
  hands it over through a pipe (on two cores the two happen at once).

Either way the change marker is read first, so any change made meanwhile is noticed by the
app's change poll and read again.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlboard.config import Settings
from mlboard.errors import UserError
from mlboard.services.sqlite_reads import FileReads, read_file

if TYPE_CHECKING:
    from mlboard.services.standup.screen_data import Standup
    from mlboard.services.stories.board import BoardData


@dataclass(frozen=True)
class FirstRead:
    """What the first screen draws: the change marker read before it, and its data (or, for
    the standup, a call that waits for the helper reading it)."""

    marker: tuple[object, ...]
    board: BoardData | None = None
    standup: Callable[[], Standup | None] | None = None  # None: the helper stopped, read it here


def read_first(settings: Settings, screen: str) -> FirstRead | None:
    """The first read of `screen` without SQLAlchemy, or None: open the workspace first."""
    if screen == "board":
        snapshot = read_file(settings.database, FileReads.board_snapshot)
        return None if snapshot is None else FirstRead(snapshot.marker, board=snapshot.board)
    if screen == "standup" and hasattr(os, "fork"):
        marker = read_file(settings.database, FileReads.change_marker)
        return None if marker is None else FirstRead(marker, standup=_helper(settings))
    return None


def _helper(settings: Settings) -> Callable[[], Standup | None]:
    """Fork a process that reads the standup; return the call that waits for its answer."""
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:  # the helper: never returns
        os.close(readable)
        _read_standup(settings, writable)
    os.close(writable)
    return lambda: _answer(pid, readable)


def _read_standup(settings: Settings, pipe: int) -> None:
    """In the helper: read the standup with the services and send it (or why not), then exit.

    It shares the app's terminal: nothing of it may reach the screen or read the keyboard."""
    try:
        quiet = os.open(os.devnull, os.O_RDWR)
        for stream in (0, 1, 2):
            os.dup2(quiet, stream)
        from mlboard.services.standup.screen_data import load_standup
        from mlboard.services.workspace import open_workspace

        workspace = open_workspace(settings)
        try:
            answer: tuple[str, Any] = ("standup", load_standup(workspace))
        except UserError as error:
            answer = ("refused", error.message)
        finally:
            workspace.close()
        with os.fdopen(pipe, "wb") as out:
            out.write(pickle.dumps(answer))
    except BaseException:  # the app reads the standup itself when the helper says nothing
        pass
    finally:
        os._exit(0)


def _answer(pid: int, pipe: int) -> Standup | None:
    with os.fdopen(pipe, "rb") as answer:
        data = answer.read()
    os.waitpid(pid, 0)
    if not data:
        return None
    kind, value = pickle.loads(data)
    if kind == "refused":
        raise UserError(value)
    return value
