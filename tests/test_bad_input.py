"""Every bad input, through every command, is one line on stderr and exit code 2.

The commands are run by the real launcher (`mlboard.launcher.main`, what the `mlboard` executable
calls), in-process for speed, and the command tree is read from `--help` itself, so a command
added later is covered without touching this file.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlboard.launcher import main


@dataclass(frozen=True)
class Outcome:
    code: int
    stdout: str
    stderr: str


class Launcher:
    """`mlboard --db <database> ARGS` through the launcher, with what it printed."""

    def __init__(self, database: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.database = database
        self.capsys = capsys

    def __call__(self, *args: str) -> Outcome:
        self.capsys.readouterr()
        with pytest.raises(SystemExit) as exited:
            main(["--db", str(self.database), *args])
        out, err = self.capsys.readouterr()
        code = exited.value.code
        return Outcome(code if isinstance(code, int) else 1, out, err)

    def ok(self, *args: str) -> str:
        outcome = self(*args)
        assert outcome.code == 0, (args, outcome)
        return outcome.stdout


def assert_one_error_line(outcome: Outcome, args: tuple[str, ...]) -> None:
    lines = outcome.stderr.splitlines()
    assert outcome.code == 2, (args, outcome)
    assert len(lines) == 1 and lines[0].startswith("error: "), (args, outcome.stderr)
    assert "Traceback" not in outcome.stderr and outcome.stdout == "", (args, outcome)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bad-input")


@pytest.fixture
def mlboard(
    folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Launcher]:
    """A board with one of everything a command may name: member, sprint, story, pipeline."""
    monkeypatch.chdir(folder)
    monkeypatch.setenv("MLBOARD_USER", "tester")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    launcher = Launcher(folder / "board.db", capsys)
    if not launcher.database.exists():
        launcher.ok("member", "add", "ana")
        launcher.ok("sprint", "add", "S1", "--start", "2026-11-30")
        launcher.ok("story", "add", "First", "--sprint", "S1", "--assignee", "ana")
        launcher.ok("pipeline", "record", "nightly", "--state", "success")
        (folder / "ref.csv").write_text("x\n1\n2\n3\n")
        (folder / "mlruns").mkdir()
    yield launcher


def arguments(page: str) -> list[str]:
    """The required arguments a help page's usage line names: `{key}`, not `[{handle}]`."""
    return re.findall(r"(?<!\[)\{(\w+)\}", page.splitlines()[0])


def test_the_command_tree_is_read_from_help(help_pages):
    for path in [("story", "list"), ("sprint", "report"), ("standup", "note"), ("sync",)]:
        assert path in help_pages
    assert len(help_pages) > 40


def test_every_command_refuses_an_unknown_option_in_one_line(mlboard, help_pages):
    for path in help_pages:
        outcome = mlboard(*path, "--no-such-option")
        assert_one_error_line(outcome, path)
        assert "no such option: --no-such-option" in outcome.stderr
        assert f"({' '.join(('mlboard', *path))} --help)" in outcome.stderr


def test_every_command_with_a_required_argument_says_which_is_missing(mlboard, help_pages):
    checked = [path for path, page in help_pages.items() if arguments(page)]
    for path in checked:
        outcome = mlboard(*path)
        assert_one_error_line(outcome, path)
        assert f"missing argument '{arguments(help_pages[path])[0]}'" in outcome.stderr
    assert len(checked) > 20


def test_every_format_option_refuses_an_unknown_format(mlboard, help_pages):
    checked = [path for path, page in help_pages.items() if "--format" in page]
    for path in checked:
        outcome = mlboard(*path, *(["x"] * len(arguments(help_pages[path]))), "--format", "xml")
        assert_one_error_line(outcome, path)
        assert "invalid value for '--format': 'xml' is not one of" in outcome.stderr
    assert len(checked) > 15


# Bad values of every kind, each where a user meets it, with what the line must say.
BAD_VALUES = {
    # enums
    "story list --status": (("story", "list", "--status", "nowhere"), "unknown status 'nowhere'"),
    "story list --kind": (("story", "list", "--kind", "spaceship"), "unknown kind 'spaceship'"),
    "story add --kind": (("story", "add", "x", "--kind", "spaceship"), "unknown kind"),
    "story add --sensitivity": (("story", "add", "x", "--sensitivity", "top"), "sensitivity"),
    "story move": (("story", "move", "ML-1", "doing"), "unknown status 'doing'"),
    "story check item": (("story", "check", "ML-1", "bogus_item"), "bogus_item"),
    "pipeline record --state": (("pipeline", "record", "nightly", "--state", "x"), "state"),
    "pipeline set --sensitivity": (("pipeline", "set", "nightly", "--sensitivity", "x"), "'x'"),
    "dataset label level": (("dataset", "label", "train", "secret"), "secret"),
    "import jira --kind": (("import", "jira", "ref.csv", "--kind", "chore"), "unknown kind"),
    "drift check --column": (("drift", "check", "ref.csv", "ref.csv", "--column", "x=foo"), "foo"),
    "--screen with a command": (("--screen", "board", "where"), "--screen"),
    # numbers
    "story add --points": (("story", "add", "x", "--points", "many"), "points"),
    "story add --points < 0": (("story", "add", "x", "--points", "-1"), "points"),
    "member add --points-per-day": (("member", "add", "bo", "--points-per-day", "x"), "points"),
    "drift list --limit": (("drift", "list", "--limit", "0"), "'--limit'"),
    "audit --limit": (("audit", "--limit", "ten"), "'--limit'"),
    "alert ack": (("alert", "ack", "first"), "alert_id"),
    "pipeline set --sla-hours": (("pipeline", "set", "nightly", "--sla-hours", "x"), "sla"),
    "pipeline record --rows": (
        ("pipeline", "record", "nightly", "--state", "success", "--rows", "-5"),
        "'--rows'",
    ),
    "pipeline serve --max-body": (("pipeline", "serve", "--max-body", "0"), "--max-body"),
    "serve --port": (("serve", "--port", "0"), "'--port'"),
    "model card --version": (("model", "card", "m", "--version", "v1"), "'--version'"),
    "drift check --threshold-share": (
        ("drift", "check", "ref.csv", "ref.csv", "--threshold-share", "half"),
        "--threshold-share",
    ),
    # dates
    "sprint add --start": (("sprint", "add", "S9", "--start", "2026-13-01"), "2026-13-01"),
    "member off --from": (("member", "off", "ana", "--from", "soon"), "--from"),
    "standup --since": (("standup", "--since", "whenever"), "whenever"),
    "audit --since": (("audit", "--since", "last week"), "last week"),
    # things that do not exist
    "story show": (("story", "show", "ML-99"), "ML-99"),
    "story edit": (("story", "edit", "ML-99", "--title", "x"), "ML-99"),
    "story rank": (("story", "rank", "ML-99", "--top"), "ML-99"),
    "story gates": (("story", "gates", "ML-99"), "ML-99"),
    "story link": (("story", "link", "ML-99", "abc"), "ML-99"),
    "pipeline depend": (("pipeline", "depend", "ML-99", "nightly"), "ML-99"),
    "story add --assignee": (("story", "add", "x", "--assignee", "nobody"), "nobody"),
    "story list --assignee": (("story", "list", "--assignee", "nobody"), "nobody"),
    "member off": (("member", "off", "nobody", "--from", "2026-12-01"), "nobody"),
    "standup note --member": (("standup", "note", "--member", "nobody", "--today", "x"), "nobody"),
    "story list --sprint": (("story", "list", "--sprint", "S9"), "S9"),
    "sprint start": (("sprint", "start", "S9"), "S9"),
    "sprint report": (("sprint", "report", "S9"), "S9"),
    "plan --sprint": (("plan", "--sprint", "S9"), "S9"),
    "export --sprint": (("export", "--sprint", "S9"), "S9"),
    "pipeline show": (("pipeline", "show", "weekly"), "weekly"),
    "pipeline set": (("pipeline", "set", "weekly", "--owner", "ana"), "weekly"),
    "alert story": (("alert", "story", "99"), "99"),
    "model card": (("model", "card", "no-such-model"), "no-such-model"),
    "dataset label": (("dataset", "label", "no-such-data", "none"), "no-such-data"),
    # files
    "import jira": (("import", "jira", "missing.csv"), "missing.csv"),
    "pipeline ingest": (("pipeline", "ingest", "missing.json"), "missing.json"),
    "drift check": (("drift", "check", "ref.csv", "missing.csv"), "missing.csv"),
    "export --output": (("export", "--output", "no/such/folder/x.csv"), "no/such/folder"),
    # tracking stores
    "sync: missing store": (("sync", "--tracking-uri", "sqlite:///nope.db"), "nope.db"),
    "sync: ./mlruns": (("sync", "--tracking-uri", "./mlruns"), "MLFLOW_ALLOW_FILE_STORE"),
    "sync: not a URI": (("sync", "--tracking-uri", "nowhere"), "nowhere"),
    "sync: malformed": (("sync", "--tracking-uri", "http://[::1"), "http://[::1"),
    "sync: unknown scheme": (("sync", "--tracking-uri", "foo://bar"), "foo://bar"),
    "sync: no URI at all": (("sync",), "tracking URI"),
}


@pytest.mark.parametrize("case", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_a_bad_value_is_one_line_naming_it_and_exit_two(mlboard, case):
    args, named = case
    outcome = mlboard(*args)
    assert_one_error_line(outcome, args)
    assert named in outcome.stderr, outcome.stderr


def test_bad_input_writes_nothing(mlboard):
    for name in ("story add --points", "story add --assignee", "sprint add --start",
                 "member add --points-per-day", "story edit", "import jira --kind"):  # fmt: skip
        assert mlboard(*BAD_VALUES[name][0]).code == 2
    assert mlboard.ok("story", "list").splitlines() == [
        "ML-1\tFirst\texperiment\ttodo\t\tana\tS1\t"
    ]
    assert mlboard.ok("sprint", "list").startswith("S1\tfuture\t")
    assert mlboard.ok("member", "list").splitlines() == ["ana\tana\t\t1"]


# The interpreter's search path, so the executable runs this checkout's code.
PASSED_ON = {name: os.environ[name] for name in ("PATH", "PYTHONPATH") if name in os.environ}


def executable(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlboard", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**PASSED_ON, "HOME": str(cwd), "MLBOARD_USER": "tester", **env},
        check=False,
    )


@pytest.mark.parametrize("size", ["0", "-3", "lots", "100000"])
def test_a_bad_sync_page_size_is_bad_input(mlboard, folder, size):
    from mlflow_stores import empty_store

    store = empty_store(folder / f"store-{size}")
    result = executable(
        "--db", str(mlboard.database), "sync", "--tracking-uri", store.uri, cwd=folder,
        MLBOARD_SYNC_PAGE_SIZE=size,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"error: MLBOARD_SYNC_PAGE_SIZE: {size!r} is not a whole number of runs from 1 to 1000"
    ]


def test_the_executable_prints_parser_errors_as_one_line(folder):
    """What a shell sees: no box, no usage block, the help to read named."""
    result = executable("story", "list", "--formt", "x", cwd=folder)
    assert result.returncode == 2
    assert result.stderr == (
        "error: no such option: --formt (Possible options: --format) (mlboard story list --help)\n"
    )
    result = executable("story", "list", "--status", "nowhere", cwd=folder)
    assert (result.returncode, result.stderr) == (
        2,
        "error: status: unknown status 'nowhere' "
        "(choose from backlog, todo, in_progress, review, done)\n",
    )


def test_a_group_without_its_command_shows_its_help(mlboard):
    outcome = mlboard("story")
    assert outcome.code == 2
    assert outcome.stderr.startswith("Usage: mlboard story [OPTIONS] COMMAND [ARGS]...")
    assert "list " in outcome.stderr


def test_a_server_that_fails_is_not_bad_input(mlboard):
    outcome = mlboard("sync", "--tracking-uri", "http://127.0.0.1:9")
    assert outcome.code == 1
    assert outcome.stderr.splitlines() == [
        "error: cannot list experiments at http://127.0.0.1:9: the tracking server is unreachable"
    ]


def test_the_board_reports_a_bad_page_size_and_keeps_running(workspace, folder, monkeypatch):
    """The TUI's sync worker hears of it as of any refused store, instead of dying."""
    from mlboard.integrations import mlflow_sync
    from mlboard.tui.sync_worker import SyncFailed, sync_all

    from mlflow_stores import empty_store

    store = empty_store(folder / "store-tui")
    monkeypatch.setattr(mlflow_sync, "PAGE_SIZE", "0")
    posted: list[object] = []
    summary = sync_all(workspace, [store.uri], posted.append)
    message = "MLBOARD_SYNC_PAGE_SIZE: '0' is not a whole number of runs from 1 to 1000"
    assert summary.failures == [message]
    assert any(isinstance(post, SyncFailed) for post in posted)
