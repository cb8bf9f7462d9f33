"""The `mlboard` command run in-process, as the CLI tests call it: a user in a folder of their
own, with a database there and a terminal wide enough that no line wraps."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from mlboard.cli import app
from mlboard.cli.state import CliState


def trust_config(path: Path) -> Path:
    """Trust a config file as its user would: `mlboard config trust FILE`."""
    result = CliRunner().invoke(app, ["config", "trust", str(path)])
    assert result.exit_code == 0, (result.output, result.exception)
    return path


class Mlboard:
    """`mlboard --db <database> ARGS`, called like a function; on `clock`'s time if given."""

    def __init__(self, database: str, clock: Callable[[], datetime] | None = None) -> None:
        self.database = database
        self.clock = clock
        self._runner = CliRunner()

    def __call__(
        self, *args: str, input: str | None = None, env: dict[str, str] | None = None
    ) -> Result:
        return self._runner.invoke(
            app,
            ["--db", self.database, *args],
            input=input,
            env=env,
            obj=CliState(clock=self.clock),
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


def where_in(
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *flags: str,
    **environ: str,
) -> tuple[int | str | None, str, str]:
    """`mlboard [FLAGS] where` through the executable's entry point in `folder`, with only
    `environ` set of MLBOARD_*: its exit code, stdout and stderr."""
    from mlboard.launcher import main

    monkeypatch.chdir(folder)
    for name in ("MLBOARD_DB", "MLBOARD_USER", "MLBOARD_KEY_PREFIX", "MLBOARD_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLUMNS", "300")
    monkeypatch.setattr("sys.argv", ["mlboard", *flags, "where"])
    with pytest.raises(SystemExit) as exit_:
        main()
    out, err = capsys.readouterr()
    return exit_.value.code, out, err


def read_help_pages() -> dict[tuple[str, ...], str]:
    """Every command's and group's help page, as the launcher prints it on an 80-column
    terminal, found by following the help pages themselves: (), ("story",), ("story", "add")…"""
    from mlboard.launcher import main

    pages: dict[tuple[str, ...], str] = {}
    pending: list[tuple[str, ...]] = [()]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COLUMNS", "80")
        while pending:
            path = pending.pop(0)
            out = io.StringIO()
            with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
                main([*path, "--help"])
            pages[path] = out.getvalue()
            commands = pages[path].partition("\nCommands:\n")[2]
            pending += [(*path, line.split()[0]) for line in commands.splitlines() if line.strip()]
    return pages
