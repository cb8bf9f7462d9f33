"""The `mlboard` command run in-process, as the CLI tests call it: a user in a folder of their
own, with a database there and a terminal wide enough that no line wraps."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from mlboard.cli import app
from mlboard.cli.state import CliState


class Mlboard:
    """`mlboard --db <database> ARGS`, called like a function; on `clock`'s time if given."""

    def __init__(self, database: str, clock: Callable[[], datetime] | None = None) -> None:
        self.database = database
        self.clock = clock
        self._runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return self._runner.invoke(
            app, ["--db", self.database, *args], input=input, obj=CliState(clock=self.clock)
        )

    def ok(self, *args: str) -> str:
        """Run a command that must succeed; what the terminal shows (stdout and stderr)."""
        result = self(*args)
        assert result.exit_code == 0, (result.output, result.exception)
        return result.output


def mlboard_in(
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    user: str = "tester",
    clock: Callable[[], datetime] | None = None,
) -> Mlboard:
    """`mlboard` for `user` working in `folder`, on the database `folder/cli.db`."""
    monkeypatch.setenv("MLBOARD_USER", user)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.chdir(folder)
    return Mlboard(str(folder / "cli.db"), clock)
