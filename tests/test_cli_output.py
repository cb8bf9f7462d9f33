"""Text output follows gh's conventions: tables fit the terminal, piped output is one plain line
per row, NO_COLOR is honoured, counts read as English, help shows its text literally."""

from __future__ import annotations

import ast
import os
import pty
import re
import struct
import subprocess
import sys
from fcntl import ioctl
from pathlib import Path
from termios import TIOCSWINSZ

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlboard.cli.output import fit_widths
from mlboard.wording import noun, percent, plural

from cli_runs import Mlboard, mlboard_in

CLI = Path(__file__).resolve().parents[1] / "mlboard" / "cli"
GOALS = {
    "S1": "Ship churn v3 with calibrated probabilities to the nightly CRM export for the "
    "retention team",
    "S2": "Fraud v5 on LightGBM with merchant embeddings, scoring every transaction in shadow",
}
DESCRIPTION = (
    "Retrain the churn model on the Q3 snapshot and calibrate the output so that a score of "
    "0.3 means roughly a 30% chance of cancelling. The CRM team uses raw scores as "
    "probabilities in their offer rules, so calibration matters as much as AUC."
)
ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|9[0-7]|38;5;[0-9]+)m")
BOX = re.compile("[─━│┃┏┓┗┛┡┩╇╭╮╰╯]")


@pytest.fixture
def mlboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Mlboard:
    """Two sprints with long goals, a story with a long title and description, one member."""
    board = mlboard_in(tmp_path, monkeypatch)
    board.ok("member", "add", "ana", "--name", "Ana Souza", "--role", "ML engineer")
    for name, goal in GOALS.items():
        board.ok("sprint", "add", name, "--start", "2026-11-30", "--goal", goal)
    board.ok("story", "add", "Retrain churn model on Q3 events with calibrated probabilities",
             "--sprint", "S1", "--assignee", "ana", "--points", "5", "--description", DESCRIPTION,
             "--target", "val_auc >= 0.86", "--kind", "model")  # fmt: skip
    board.ok("story", "add", "Short", "--points", "1", "--kind", "bug")
    return board


def in_terminal(mlboard: Mlboard, *args: str, columns: int = 80, **env: str) -> str:
    """What `mlboard ARGS` shows in a real terminal `columns` wide (a pseudo-terminal)."""
    main, terminal = pty.openpty()
    ioctl(terminal, TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    passed = {name: os.environ[name] for name in ("PATH", "PYTHONPATH") if name in os.environ}
    process = subprocess.Popen(
        [sys.executable, "-m", "mlboard", "--db", mlboard.database, *args],
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=subprocess.PIPE,
        env={**passed, "HOME": os.getcwd(), "MLBOARD_USER": "tester", "TERM": "xterm-256color",
             **env},
    )  # fmt: skip
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the terminal's other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert process.wait() == 0, process.stderr.read() if process.stderr else ""
    return b"".join(chunks).decode().replace("\r\n", "\n")


def visible(text: str) -> list[str]:
    """The lines a person sees: styling removed, trailing padding dropped."""
    return [line.rstrip() for line in ESCAPE.sub("", text).splitlines()]


# --------------------------------------------------------------------------------------------
# Piped: one plain line per row
# --------------------------------------------------------------------------------------------


def test_piped_listings_are_tab_separated_rows_without_decoration(mlboard):
    sprints = mlboard.ok("sprint", "list")
    assert sprints.splitlines() == [
        f"S1\tfuture\t2026-11-30\t2026-12-13\t\t5\t0\t{GOALS['S1']}",
        f"S2\tfuture\t2026-11-30\t2026-12-13\t\t0\t0\t{GOALS['S2']}",
    ]
    stories = mlboard.ok("story", "list", "--sprint", "S1").splitlines()
    assert [line.split("\t")[:2] for line in stories] == [
        ["ML-1", "Retrain churn model on Q3 events with calibrated probabilities"]
    ]
    assert [line.split("\t")[0] for line in mlboard.ok("member", "list").splitlines()] == ["ana"]
    for args in (("sprint", "list"), ("story", "list"), ("member", "list"), ("audit",)):
        out = mlboard.ok(*args)
        assert not ESCAPE.search(out) and not BOX.search(out) and "…" not in out, args


def test_piped_text_is_not_wrapped_and_fields_are_label_tab_value(mlboard):
    lines = mlboard.ok("story", "show", "ML-1").splitlines()
    assert lines[0] == "ML-1  Retrain churn model on Q3 events with calibrated probabilities"
    assert "target\tval_auc >= 0.86" in lines and "assignee\tana" in lines
    assert DESCRIPTION in lines
    assert "history (1 event)" in lines


# --------------------------------------------------------------------------------------------
# On a terminal: fitted to its width
# --------------------------------------------------------------------------------------------


def test_on_an_80_column_terminal_a_sprint_is_one_line_with_its_goal_cut(mlboard):
    lines = visible(in_terminal(mlboard, "sprint", "list"))
    assert lines[0] == "Sprints"
    headers = ["name", "state", "start", "end", "committed", "scope", "completed", "goal"]
    assert lines[1].split() == headers
    rows = lines[2:]
    assert [row.split()[0] for row in rows] == ["S1", "S2"]
    for row, goal in zip(rows, GOALS.values(), strict=True):
        assert len(row) <= 80 and row.endswith("…")
        cut = row.split("0  ")[-1].removesuffix("…").strip()
        assert len(cut) > 10 and goal.startswith(cut)


def test_wide_shows_the_whole_goal_within_the_width(mlboard):
    lines = visible(in_terminal(mlboard, "sprint", "list", "--wide"))
    assert all(len(line) <= 80 for line in lines) and "…" not in "".join(lines)
    goal_column = lines[1].index("goal")
    shown = " ".join(line[goal_column:].strip() for line in lines[2:])
    assert GOALS["S1"] in shown and GOALS["S2"] in shown


def test_a_wider_terminal_shows_more(mlboard):
    lines = visible(in_terminal(mlboard, "sprint", "list", columns=160))
    assert lines[2].endswith(GOALS["S1"]) and lines[3].endswith(GOALS["S2"])


def test_story_list_keeps_short_columns_whole_on_80_columns(mlboard):
    lines = visible(in_terminal(mlboard, "story", "list"))
    assert all(len(line) <= 80 for line in lines)
    first = lines[2]
    for cell in ("ML-1", "model", "todo", "5", "ana", "S1"):
        assert f" {cell} " in f" {first} ", first
    assert "Retrain churn" in first and "…" in first


def test_multi_line_text_wraps_at_the_terminal_width_by_words(mlboard):
    for args in (("story", "show", "ML-1"), ("plan", "--sprint", "S1"), ("standup",)):
        lines = visible(in_terminal(mlboard, *args))
        assert all(len(line) <= 80 for line in lines), args
    shown = visible(in_terminal(mlboard, "story", "show", "ML-1"))
    start = next(i for i, line in enumerate(shown) if line.startswith("Retrain the churn"))
    paragraph = shown[start : shown.index("history (1 event)")]
    assert " ".join(paragraph) == DESCRIPTION
    assert all(len(line) > 60 for line in paragraph[:-1])  # whole lines, not a narrow column


def test_no_color_keeps_the_layout_and_drops_the_colours(mlboard):
    coloured = in_terminal(mlboard, "story", "gates", "ML-1")
    plain = in_terminal(mlboard, "story", "gates", "ML-1", NO_COLOR="1")
    assert COLOUR.search(coloured) and not COLOUR.search(plain)
    assert visible(coloured) == visible(plain)


def test_force_color_makes_a_pipe_a_terminal(mlboard):
    out = mlboard("sprint", "list", env={"FORCE_COLOR": "1", "COLUMNS": "80"}).stdout
    assert visible(out)[1].split()[0] == "name" and "…" in out


# --------------------------------------------------------------------------------------------
# Fitting columns
# --------------------------------------------------------------------------------------------


widths = st.lists(st.integers(0, 200), min_size=1, max_size=12)


@given(widths, st.integers(12, 300), st.data())
def test_fitted_widths_fit_and_never_grow(natural, room, data):
    free = data.draw(st.none() | st.integers(0, len(natural) - 1))
    fitted = fit_widths(natural, room, free)
    assert all(0 <= f <= n for f, n in zip(fitted, natural, strict=True))
    if sum(natural) <= room:
        assert fitted == natural
    elif room >= len(natural):
        assert sum(fitted) == room


@given(widths, st.integers(12, 300), st.data())
def test_the_free_column_gives_way_before_the_others(natural, room, data):
    free = data.draw(st.integers(0, len(natural) - 1))
    fitted = fit_widths(natural, room, free)
    others = sum(natural) - natural[free]
    if others + min(natural[free], max(10, room // 5)) <= room:
        assert [f for i, f in enumerate(fitted) if i != free] == [
            n for i, n in enumerate(natural) if i != free
        ]


# --------------------------------------------------------------------------------------------
# Counts
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "word", "expected"),
    [(1, "day", "1 day"), (0, "day", "0 days"), (2, "day", "2 days"), (1.5, "point", "1.5 points"),
     (1.0, "point", "1 point"), (3, "story", "3 stories"), (1, "entry", "1 entry"),
     (1200, "run", "1,200 runs"), (2, "model version", "2 model versions"), (2, "TODO", "2 TODOs"),
     (2, "batch", "2 batches")],
)  # fmt: skip
def test_plural(count, word, expected):
    assert plural(count, word) == expected


def test_noun_alone():
    assert (noun(1, "column"), noun(2, "column")) == ("column", "columns")


@pytest.mark.parametrize(
    ("chance", "expected"),
    [(None, "—"), (0.0, "0%"), (0.0001, "<1%"), (0.005, "<1%"), (0.0099, "<1%"), (0.01, "1%"),
     (0.42, "42%"), (0.99, "99%"), (0.995, ">99%"), (0.9999, ">99%"), (1.0, "100%")],
)  # fmt: skip
def test_a_small_chance_is_never_written_as_none_at_all(chance, expected):
    assert percent(chance) == expected


def test_counts_read_as_english_in_the_cli(mlboard):
    assert "added 1 day off for ana" in mlboard.ok("member", "off", "ana", "--from", "2026-12-01")
    assert "history (1 event)" in mlboard.ok("story", "show", "ML-2")
    assert "0 points committed" in mlboard.ok("sprint", "start", "S2")
    mlboard.ok("story", "edit", "ML-2", "--sprint", "S2", "--status", "done")
    assert "1 point completed" in mlboard.ok("sprint", "close", "S2")
    assert "(s)" not in mlboard.ok("standup", "--since", "3d")


# --------------------------------------------------------------------------------------------
# Help
# --------------------------------------------------------------------------------------------


def help_texts() -> list[str]:
    """Every help string, metavar and command docstring written in the CLI's modules."""
    texts = []
    for path in sorted(CLI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg in ("help", "metavar"):
                if isinstance(node.value, ast.Constant):
                    texts.append(node.value.value)
            elif isinstance(node, ast.FunctionDef) and "typer.Context" in ast.unparse(node.args):
                docstring = ast.get_docstring(node) or ""  # a command's: its bracketed words
                texts += re.findall(r"\[[^\]\n]*\]", docstring)
    return texts


def squeezed(text: str) -> str:
    return "".join(text.split())


def test_help_shows_every_help_text_literally_brackets_included(help_pages):
    rendered = squeezed("".join(help_pages.values()))
    texts = help_texts()
    assert "[tool.mlboard.done]" in "".join(texts)  # what rich markup used to swallow
    missing = [text for text in texts if squeezed(text) not in rendered]
    assert missing == []
    assert "[tool.mlboard.done]" in help_pages[("story", "check")]


def test_help_pages_fit_80_columns_without_boxes(help_pages):
    for path, page in help_pages.items():
        assert page.startswith(f"Usage: {' '.join(('mlboard', *path))} "), path
        assert not BOX.search(page) and not ESCAPE.search(page), path
        assert max(len(line) for line in page.splitlines()) <= 80, path
