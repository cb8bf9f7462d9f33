"""Hostile text stored everywhere a board keeps text is shown by every command, in text and
Markdown, without one control character reaching the terminal, and still readable."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from mlboard.cli import app

from mlflow_stores import T0, empty_store

# Colours, an OSC 8 hyperlink, an OSC 0 window title, clear screen, a carriage return, a bell,
# a one-byte C1 CSI, a right-to-left override and a blinking colour no styling of ours uses.
HOSTILE = (
    "\x1b[31mred\x1b[0m \x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\ \x1b]0;pwned\x07 "
    "\x1b[2J \rback \x07bell \x9b31mcsi \u202eevil \x1b[5;38;5;196mblink"
)
NAME_SAFE = HOSTILE.replace("http://", "")  # MLflow refuses '/' and ':' in model names


def hostile(word: str, text: str = HOSTILE) -> str:
    """`word` (what must stay visible) followed by the hostile text."""
    return f"{word} {text} end"


def controls(text: str) -> list[str]:
    """Characters a terminal may obey: C0 but newline and tab, DEL, C1, bidi overrides."""
    return [
        ch
        for ch in text
        if (ord(ch) < 0x20 and ch not in "\n\t")
        or 0x7F <= ord(ch) <= 0x9F
        or "\u202a" <= ch <= "\u202e"
        or "\u2066" <= ch <= "\u2069"
    ]


@dataclass
class Board:
    database: str
    env: dict[str, str]

    def run(self, *args: str, env: dict[str, str] | None = None) -> Result:
        """What a terminal receives: `color=True`, so Click strips nothing on the way."""
        result = CliRunner().invoke(
            app, ["--db", self.database, *args], env={**self.env, **(env or {})}, color=True
        )
        assert result.exit_code == 0, (args, result.output, result.exception)
        return result


JIRA_COLUMNS = (
    "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Status Category", "Assignee",
    "Created", "Sprint", "Custom field (Story Points)", "Description",
)  # fmt: skip


def jira_export(path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(JIRA_COLUMNS)
        writer.writerow(
            (hostile("jira-summary"), "TES-1", "10001", "Story", "In Progress", "In Progress",
             hostile("Jira-person"), "2026-11-20 10:00", hostile("jira-sprint"), "2",
             hostile("jira-description"))
        )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> Board:
    """A board whose every kind of stored text carries `HOSTILE`, built through the CLI and a
    real MLflow store."""
    folder = tmp_path_factory.mktemp("inert")
    env = {"MLBOARD_USER": "tester", "COLUMNS": "200"}
    board = Board(str(folder / "cli.db"), env)
    sprint = hostile("sprint-name")
    board.run("member", "add", "ana", "--name", hostile("member-name"), "--role", hostile("role"))
    today = date.today().isoformat()
    board.run("sprint", "add", sprint, "--start", today, "--goal", hostile("sprint-goal"))
    board.run(
        "story", "add", hostile("story-title"), "--sprint", sprint, "--assignee", "ana",
        "--points", "3", "--target", "val_auc >= 0.8", "--status", "in_progress",
        "--description", hostile("story-description") + "\nsecond line",
        "--blocked", hostile("blocked-reason"),
    )  # fmt: skip
    board.run("sprint", "start", sprint)
    board.run("standup", "note", "--member", "ana", "--today", hostile("standup-note"))
    board.run("story", "check", "ML-1", "bias_evaluation", "--note", hostile("check-note"))
    board.run("pipeline", "record", hostile("pipeline-name"), "--state", "failed",
              "--error", hostile("pipeline-error"))  # fmt: skip
    board.run("alert", "check")
    store = empty_store(folder / "mlflow")
    an_hour_ago = int((time.time() * 1000 - T0) / 60_000) - 60  # in the standup's window
    run_id = store.run(
        hostile("experiment-name"),
        hostile("run-name"),
        story="ML-1",
        start=an_hour_ago,
        metrics={"val_auc": 0.9},
    )
    model = hostile("model-name", NAME_SAFE)
    store.client.create_registered_model(model)
    store.client.create_model_version(model, f"runs:/{run_id}/model", run_id=run_id)
    board.run("sync", "--tracking-uri", store.uri)
    board.run("import", "jira", str(jira_export(folder / "jira.csv")), "--timezone", "UTC")
    return board


SPRINT = hostile("sprint-name")
PIPELINE = hostile("pipeline-name")
MODEL = hostile("model-name", NAME_SAFE)
STANDUP = ["member-name", "story-title", "blocked-reason", "standup-note", "run-name"]
STANDUP += ["pipeline-name", "pipeline-error", "sprint-name"]
# Each command, and the stored text it must still show.
COMMANDS = {
    "member list": (("member", "list"), ["member-name", "role", "Jira-person"]),
    "sprint list": (("sprint", "list"), ["sprint-name", "sprint-goal", "jira-sprint"]),
    "story show": (
        ("story", "show", "ML-1"),
        ["story-title", "story-description", "second line", "blocked-reason", "sprint-name"],
    ),
    "story show (Jira)": (("story", "show", "TES-1"), ["jira-summary", "jira-description"]),
    "story list": (("story", "list"), ["story-title", "blocked-reason", "jira-summary"]),
    "pipeline list": (("pipeline", "list"), ["pipeline-name"]),
    "pipeline show": (("pipeline", "show", PIPELINE), ["pipeline-name", "pipeline-error"]),
    "alert list": (("alert", "list"), ["pipeline-name"]),
    "standup": (("standup", "--since", "3d"), STANDUP),
    "plan": (("plan",), ["sprint-name", "blocked-reason"]),
    "sprint report": (("sprint", "report", SPRINT), ["sprint-name", "sprint-goal"]),
    "model list": (("model", "list"), ["model-name", "run-name"]),
}


@pytest.mark.parametrize("fmt", ["text", "md"])
@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_every_command_shows_hostile_text_without_a_control_character(board, command, fmt):
    args, visible = command
    result = board.run(*args, "--format", fmt)
    assert controls(result.stdout) == [] and controls(result.stderr) == []
    for word in visible:
        assert word in result.stdout, (word, result.stdout)


@pytest.mark.parametrize(
    "args",
    [("story", "show", "ML-1"), ("member", "list"), ("sprint", "list"), ("export",), ("audit",)],
    ids=["story show", "member list", "sprint list", "export", "audit"],
)
def test_json_escapes_every_control_and_still_reads_as_the_stored_text(board, args):
    out = board.run(*args, "--format", "json").stdout
    assert controls(out) == []
    assert any(HOSTILE in text for text in strings(json.loads(out)))


def strings(data: object) -> list[str]:
    """Every string in a JSON document."""
    if isinstance(data, str):
        return [data]
    values = data.values() if isinstance(data, dict) else data if isinstance(data, list) else ()
    return [text for value in values for text in strings(value)]


def test_what_the_sequences_said_is_still_readable(board):
    title = board.run("story", "show", "ML-1").stdout.splitlines()[0]
    for text in ("[31mred", "]8;;http://evil.example", "link", "]0;pwned", "[2J", "evil", "end"):
        assert text in title, title


def test_the_model_card_shows_run_experiment_and_check_note_inertly(board):
    card = board.run("model", "card", MODEL).stdout
    assert controls(card) == []
    for word in ("model-name", "run-name", "experiment-name", "story-title", "check-note"):
        assert word in card, word


@pytest.mark.parametrize("fmt", ["csv", "md"])
def test_export_holds_no_control_character(board, fmt):
    out = board.run("export", "--format", fmt).stdout
    assert controls(out) == []
    for word in ("story-title", "sprint-name", "jira-summary"):
        assert word in out
    assert fmt == "md" or "jira-description" in out


def test_the_terminals_own_styling_survives_and_the_stored_sequences_do_not(board):
    """With colours forced on, Rich still styles (so escape codes are there to see), but none
    of the stored text's sequences is among them."""
    out = board.run("story", "show", "ML-1", env={"FORCE_COLOR": "1", "TTY_COMPATIBLE": "1"})
    assert "\x1b[1m" in out.stdout  # the bold title: styling is on
    for sequence in ("\x1b[5;38;5;196m", "\x1b]", "\x1b[2J", "\x07", "\x9b", "\r", "\u202e"):
        assert sequence not in out.stdout, repr(sequence)


def test_an_error_quoting_a_stored_name_is_inert(board, tmp_path):
    """The error line (from the executable, as a shell runs it) names the pipeline literally."""
    board.run("pipeline", "depend", "ML-1", f"mlboard/{PIPELINE}")
    result = subprocess.run(
        [sys.executable, "-m", "mlboard", "--db", board.database,
         "pipeline", "depend", "ML-1", f"mlboard/{PIPELINE}"],
        capture_output=True, text=True, check=False, cwd=tmp_path,
        env={**os.environ, **board.env, "HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 2
    assert "already depends on pipeline mlboard/pipeline-name" in result.stderr
    assert controls(result.stderr) == [] and len(result.stderr.splitlines()) == 1


def test_csv_cells_are_never_formulas_and_numbers_stay_numbers(tmp_path):
    formula = '=HYPERLINK("http://evil.example","x")'
    board = Board(str(tmp_path / "cli.db"), {"MLBOARD_USER": "@SUM(1+1)", "COLUMNS": "200"})
    board.run("member", "add", "ana", "--name", "-2+3+cmd|' /C calc'!A0")
    board.run("story", "add", formula, "--points", "3", "--low", "2", "--high", "5",
              "--assignee", "ana", "--description", "+1+1", "--blocked", "@here")  # fmt: skip
    board.run("story", "add", "--points", "0.5", "--", "-3")
    rows = list(csv.DictReader(io.StringIO(board.run("export", "--format", "csv").stdout)))
    assert rows[0]["title"] == "'" + formula
    assert (rows[0]["description"], rows[0]["blocked_reason"]) == ("'+1+1", "'@here")
    assert (rows[0]["points"], rows[0]["estimate_low"], rows[0]["estimate_high"]) == ("3", "2", "5")
    assert rows[1]["title"] == "-3"  # a number as text is still a number
    assert rows[1]["points"] == "0.5"
    audit = list(csv.DictReader(io.StringIO(board.run("audit", "--format", "csv").stdout)))
    assert {row["actor"] for row in audit} == {"'@SUM(1+1)"}
    assert [row["id"] for row in audit] == [str(n) for n in range(1, len(audit) + 1)]


MARKUP = "[click](http://evil.example) <img src=x onerror=alert(1)> <!channel> @here `code"


def forbidden_tokens(markdown: str) -> list[str]:
    """Links, images, HTML and code a CommonMark renderer would make of `markdown`."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    found = [t for token in tokens for t in [token, *(token.children or [])]]
    active = {"link_open", "image", "html_inline", "html_block", "code_inline", "code_block"}
    return [token.type for token in found if token.type in active | {"fence"}]


def test_markdown_reports_show_links_html_mentions_and_backticks_as_text(tmp_path):
    board = Board(str(tmp_path / "cli.db"), {"MLBOARD_USER": "tester", "COLUMNS": "200"})
    board.run("member", "add", "ana", "--name", f"Ana {MARKUP}")
    board.run("sprint", "add", f"S1 {MARKUP}", "--start", date.today().isoformat())
    board.run("story", "add", f"title {MARKUP}", "--sprint", f"S1 {MARKUP}", "--assignee", "ana",
              "--description", f"first\n{MARKUP}", "--blocked", f"<@U123> {MARKUP}")  # fmt: skip
    board.run("sprint", "start", f"S1 {MARKUP}")
    board.run("standup", "note", "--member", "ana", "--today", MARKUP)
    for args in (("story", "list"), ("story", "show", "ML-1"), ("member", "list"),
                 ("sprint", "list"), ("standup", "--since", "1d"), ("plan",)):  # fmt: skip
        out = board.run(*args, "--format", "md").stdout
        assert forbidden_tokens(out) == [], (args, out)
        for raw in ("<!channel>", "<@U123>", "@here", "<img", "[click]("):
            assert raw not in out, (args, raw)
        assert "click" in out and "evil.example" in out, args
    assert forbidden_tokens(board.run("export", "--format", "md").stdout) == []
