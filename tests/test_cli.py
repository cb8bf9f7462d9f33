"""The `mlboard` command as users and scripts call it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mlboard.cli import app
from mlboard.errors import UserError

from cli_runs import Mlboard, mlboard_in
from processes import child_env, run_mlboard


@pytest.fixture
def mlboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Mlboard:
    """Run `mlboard --db <tmp db> ARGS` in-process; return the result."""
    return mlboard_in(tmp_path, monkeypatch)


def ok(result) -> str:
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_a_sprint_from_planning_to_close(mlboard):
    ok(mlboard("init"))
    ok(mlboard("member", "add", "ana", "--name", "Ana Souza", "--role", "ML engineer"))
    ok(mlboard("sprint", "add", "Sprint 1", "--start", "2026-11-16", "--goal", "Ship churn v2"))
    ok(
        mlboard(
            "story",
            "add",
            "Deploy churn model v2",
            "--kind",
            "deploy",
            "--points",
            "5",
            "--sprint",
            "Sprint 1",
            "--assignee",
            "ana",
        )
    )
    ok(
        mlboard(
            "story",
            "add",
            "Backfill features",
            "--kind",
            "data",
            "--points",
            "3",
            "--sprint",
            "Sprint 1",
        )
    )
    assert "8 points committed" in ok(mlboard("sprint", "start", "Sprint 1"))
    ok(mlboard("story", "move", "ML-1", "in_progress"))
    ok(mlboard("story", "move", "ML-1", "done"))
    assert "5 points completed" in ok(mlboard("sprint", "close", "Sprint 1"))

    sprints = json.loads(ok(mlboard("sprint", "list", "--format", "json")))
    assert sprints == [
        {
            "name": "Sprint 1",
            "state": "closed",
            "start": "2026-11-16",
            "end": "2026-11-29",
            "goal": "Ship churn v2",
            "committed_points": 8.0,
            "scope_points": 5.0,  # the unfinished ML-2 left it at the close
            "completed_points": 5.0,
            "stories": 1,
        }
    ]


def test_story_show_json_has_the_documented_keys(mlboard):
    ok(mlboard("member", "add", "ana"))
    ok(
        mlboard(
            "story",
            "add",
            "Tune",
            "--points",
            "3",
            "--assignee",
            "ana",
            "--target",
            "val_rmse <= 4.5",
            "--blocked",
            "GPU quota",
        )
    )
    story = json.loads(ok(mlboard("story", "show", "ML-1", "--format", "json")))
    expected = {
        "key",
        "title",
        "kind",
        "status",
        "points",
        "assignee",
        "sprint",
        "blocked",
        "target",
        "events",
    }
    assert expected <= story.keys()
    assert story["target"] == {"metric": "val_rmse", "op": "<=", "value": 4.5}
    assert (story["blocked"], story["events"], story["assignee"]) == (True, 1, "ana")
    listed = json.loads(ok(mlboard("story", "list", "--format", "json")))
    assert [s["key"] for s in listed] == ["ML-1"]
    assert expected <= listed[0].keys()


def test_markup_in_titles_prints_literally(mlboard):
    ok(mlboard("story", "add", "[/bar] [red]x"))
    assert "[/bar] [red]x" in ok(mlboard("story", "show", "ML-1"))
    assert "[/bar] [red]x" in ok(mlboard("story", "list"))
    # In Markdown the brackets are escaped: a renderer shows them as typed, never as a link.
    assert "\\[/bar\\] \\[red\\]x" in ok(mlboard("story", "list", "--format", "md"))


def test_markdown_is_a_pasteable_table(mlboard):
    ok(mlboard("story", "add", "a | b", "--points", "2"))
    lines = ok(mlboard("story", "list", "--format", "md")).splitlines()
    assert lines[2].startswith("| key | title |")
    assert "a \\| b" in lines[4]
    assert "\x1b" not in "".join(lines)


def test_export_formats(mlboard, tmp_path):
    ok(
        mlboard(
            "story", "add", 'Línea, with "quotes"\nand a newline', "--points", "1",
            "--description", "two\nlines",
        )
    )  # fmt: skip
    csv_text = ok(mlboard("export", "--format", "csv"))
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert rows[0]["title"] == 'Línea, with "quotes" and a newline'  # a title is one line
    assert rows[0]["description"] == "two\nlines"
    assert rows[0]["points"] == "1"
    data = json.loads(ok(mlboard("export", "--format", "json")))
    assert data[0]["key"] == "ML-1"
    out = tmp_path / "stories.md"
    ok(mlboard("export", "--format", "md", "--output", str(out)))
    assert out.read_text(encoding="utf-8").startswith("### Stories (1)")


def test_user_errors_become_exceptions_with_exit_code_two(mlboard):
    for args in (
        ("story", "move", "ML-9", "done"),
        ("story", "add", "x", "--points", "-1"),
        ("story", "add", "x", "--target", "f1 => x"),
        ("story", "add", "x", "--kind", "chore"),
    ):
        result = mlboard(*args)
        assert isinstance(result.exception, UserError), args
        assert result.exception.exit_code == 2
    assert json.loads(ok(mlboard("story", "list", "--format", "json"))) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("story", "move", "ML-9", "done"), "error: story ML-9 not found"),
        (("story", "move", "ML-1", "doing"), "error: status: unknown status 'doing'"),
        (("story", "add", "x", "--points", "-1"), "error: points: must be a number >= 0"),
        (("story", "add", "x", "--target", "f1 => x"), "error: target: invalid target"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_exit_two(tmp_path, args, message):
    database = str(tmp_path / "b.db")
    assert run_mlboard("--db", database, "story", "add", "first", cwd=tmp_path).returncode == 0
    result = run_mlboard("--db", database, *args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_a_non_database_file_is_refused(tmp_path):
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello, not a database\n")
    result = run_mlboard("--db", str(bogus), "story", "list", cwd=tmp_path)
    assert result.returncode == 2
    assert "is not a SQLite database" in result.stderr
    assert bogus.read_text() == "hello, not a database\n"
    missing = run_mlboard("--db", str(tmp_path / "no" / "such.db"), "story", "list", cwd=tmp_path)
    assert (missing.returncode, "does not exist" in missing.stderr) == (2, True)


def test_init_creates_the_folder_of_the_database_a_config_file_names(tmp_path):
    """The README's own example: `database = "board/mlboard.db"` in a fresh repository."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "mlboard", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=child_env(tmp_path),
            check=False,
        )

    (tmp_path / "pyproject.toml").write_text('[tool.mlboard]\ndatabase = "board/mlboard.db"\n')
    assert run("config", "trust").returncode == 0
    board = tmp_path.resolve() / "board"
    refused = run("story", "list")
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        f"error: database {board / 'mlboard.db'}: folder {board} does not exist "
        "(`mlboard init` creates it)"
    )
    assert not board.exists()
    ready = run("init")
    assert ready.returncode == 0, ready.stderr
    assert (board / "mlboard.db").is_file()
    assert run("story", "list").returncode == 0


def test_help_lists_the_commands(mlboard):
    output = ok(CliRunner().invoke(app, ["--help"]))
    for command in ("member", "sprint", "story", "import", "export", "init", "demo"):
        assert command in output


def test_edit_sets_and_clears_estimates(mlboard):
    ok(mlboard("story", "add", "Spike: distillation", "--kind", "research", "--points", "3"))
    ok(mlboard("story", "edit", "ML-1", "--low", "2", "--high", "5", "--timebox", "3"))
    story = json.loads(ok(mlboard("story", "show", "ML-1", "--format", "json")))
    assert (story["estimate"], story["timebox_days"]) == ({"low": 2.0, "high": 5.0}, 3.0)
    ok(mlboard("story", "edit", "ML-1", "--points", "", "--blocked", "no GPU"))
    ok(mlboard("story", "edit", "ML-1", "--unblock"))
    story = json.loads(ok(mlboard("story", "show", "ML-1", "--format", "json")))
    assert (story["points"], story["blocked"], story["events"]) == (None, False, 7)
    assert isinstance(mlboard("story", "edit", "ML-1").exception, UserError)


def test_the_default_database_lives_in_the_user_data_folder(tmp_path):
    env = child_env(tmp_path, XDG_DATA_HOME=str(tmp_path / "xdg"))
    result = subprocess.run(
        [sys.executable, "-m", "mlboard", "init"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "xdg" / "mlboard" / "mlboard.db").is_file()
    assert "(from default)" in result.stdout
