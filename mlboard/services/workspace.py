"""The workspace: one open database, the settings it was opened with, who acts, and the clock.

Every service takes a Workspace first. Injecting the clock keeps dated features (history,
burndown, standup) testable with a frozen time and lets the demo replay a dated history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo

from sqlalchemy import Engine
from sqlmodel import Session

from mlboard.config import Settings, local_zone
from mlboard.store.engine import open_database, read_session, write_session


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Workspace:
    engine: Engine
    settings: Settings
    clock: Callable[[], datetime] = field(default=utc_now)
    actor: str = ""

    def __post_init__(self) -> None:
        self.actor = self.actor or self.settings.actor

    def now(self) -> datetime:
        return self.clock()

    def zone(self) -> tzinfo:
        """Where the team works: the `timezone` setting, else this machine's zone."""
        return local_zone(self.settings.timezone)

    def today(self) -> date:
        """The team's date now: days (sprint days, throughput, days off) are theirs, not the
        machine's, when the two differ."""
        return self.now().astimezone(self.zone()).date()

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One user action: everything inside commits together or not at all."""
        with write_session(self.engine) as session:
            session.info.update(actor=self.actor, at=self.now())  # for the audit trail
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with read_session(self.engine) as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()


def open_workspace(
    settings: Settings, *, clock: Callable[[], datetime] = utc_now, create_folder: bool = False
) -> Workspace:
    """Open the settings' database. Its folder is made for the default database (the user data
    folder) and when `create_folder` asks (`mlboard init`); elsewhere a missing folder is an
    error that says to run `mlboard init`."""
    create_folder = create_folder or settings.database_origin == "default"
    return Workspace(open_database(settings.database, create_folder=create_folder), settings, clock)
