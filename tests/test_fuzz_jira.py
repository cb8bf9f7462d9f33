"""Generated Jira exports: a good file imports every row as written; the same file with one
damaged row imports nothing and names that row.

Files are written with the csv module from rows that are valid by construction (quotes,
commas and line breaks inside cells, a BOM or none, CRLF or LF), and half of them get exactly
one damaged row, so both outcomes are tested about equally often.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, event, given, seed, settings
from hypothesis import strategies as st

from mlboard.config import Settings
from mlboard.errors import UserError
from mlboard.services.handles import handle_for
from mlboard.services.jira_import import import_jira
from mlboard.services.members import list_members
from mlboard.services.sprints import list_sprints
from mlboard.services.stories import list_stories
from mlboard.services.workspace import Workspace
from mlboard.store.engine import open_database

from hypothesis_profiles import examples

HEADER = ["Issue key", "Summary", "Issue Type", "Status", "Status Category", "Assignee",
          "Created", "Sprint", "Sprint", "POINTS", "Labels", "Description"]  # fmt: skip
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
SPRINTS = ["Sprint 7", "Sprint 8", "Sprint 9"]
# (Status Category as Jira writes it, status name, the story status it means in / out of a sprint)
STATUSES = [
    ("To Do", "Open", ("todo", "backlog")),
    ("In Progress", "In Progress", ("in_progress", "in_progress")),
    ("In Progress", "In Review", ("review", "review")),
    ("Done", "Closed", ("done", "done")),
    ("done", "Done", ("done", "done")),
]
SUMMARY = st.builds(
    str.__add__,
    st.sampled_from("AbZé"),
    st.text(st.sampled_from("abc XYZ019,;.:'\"!?()[]/-_éßΩ中"), max_size=30),
)


def jira_date(moment: datetime) -> str:
    """`22/Sep/25 9:26 AM`, Jira's own form (month names by hand: strftime follows the locale)."""
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    day = f"{moment.day}/{MONTHS[moment.month - 1]}/{moment.year % 100:02d}"
    return f"{day} {hour}:{moment.minute:02d} {half}"


@st.composite
def rows(draw: st.DrawFn, number: int) -> list[str]:
    category, name, _ = draw(st.sampled_from(STATUSES))
    sprints = draw(st.lists(st.sampled_from(SPRINTS), max_size=2))
    moment = draw(st.datetimes(datetime(2020, 1, 1), datetime(2030, 12, 31)))
    return [
        f"DS-{number}",
        draw(SUMMARY),
        draw(st.sampled_from(["Story", "Task", "Bug"])),
        name,
        category,
        draw(st.sampled_from(["", "Ana Souza", "Zoë O'Neil", "Bob"])),
        draw(st.sampled_from([jira_date(moment), moment.strftime("%Y-%m-%d %H:%M"), ""])),
        *[*sprints, "", ""][:2],
        draw(st.sampled_from(["", "1", "2", "3", "5", "8.0", "0.5"])),
        draw(st.sampled_from(["", "data", "infra ml"])),
        draw(st.text(st.characters(exclude_categories=("Cs", "Cc")) | st.just("\n"), max_size=40)),
    ]


# One damaged row: (column, bad value); None drops the row's last cell.
DAMAGE = [
    ("Issue key", "ds-1"), ("Issue key", ""), ("Summary", "   "), ("Status Category", "Doing"),
    ("POINTS", "three"), ("POINTS", "-2"), ("Created", "31/Foo/25 9:26 AM"),
    ("Created", "2025-13-45"), (None, None), ("Issue key", "DUPLICATE"),
]  # fmt: skip


@dataclass(frozen=True)
class Export:
    rows: list[list[str]]
    damaged: int | None  # the file row (header = 1) that was damaged, if any
    text: str


@st.composite
def exports(draw: st.DrawFn) -> Export:
    count = draw(st.integers(1, 6))
    good = [draw(rows(number)) for number in range(1, count + 1)]
    points = draw(
        st.sampled_from(["Custom field (Story Points)", "Custom field (Story point estimate)"])
    )
    header = [points if name == "POINTS" else name for name in HEADER]
    written = [list(row) for row in good]
    damaged = None
    if draw(st.integers(0, 9)) < 5:
        index = draw(st.integers(0, count - 1))
        column, bad = draw(st.sampled_from(DAMAGE))
        if column is None:
            written[index].pop()
        elif bad == "DUPLICATE":
            index = max(index, 1) if count > 1 else index
            bad = written[index - 1][0] if index else "ds-1"
            written[index][0] = bad
        else:
            written[index][HEADER.index(column)] = bad
        damaged = index + 2
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    writer.writerows(written)
    bom = draw(st.sampled_from(["", "\ufeff"]))
    return Export(good, damaged, bom + buffer.getvalue())


@pytest.fixture
def fresh_board(tmp_path: Path, clock):
    """A factory of new, empty boards: copies of one migrated database file (cheap per example)."""
    template = tmp_path / "template.db"
    open_database(str(template)).dispose()

    def board() -> Workspace:
        copy = Path(tempfile.mkdtemp(dir=tmp_path)) / "board.db"
        shutil.copy(template, copy)
        settings = Settings(database=str(copy), database_origin="test", actor="tester")
        return Workspace(open_database(str(copy)), settings, clock)

    return board


def import_file(ws: Workspace, export: Export, folder: Path):
    path = folder / "export.csv"
    path.write_bytes(export.text.encode("utf-8"))
    return import_jira(ws, path)


def expected_story(row: list[str]) -> tuple:
    key, summary, _, name, category, assignee, _, *sprints = row[:9]
    in_sprint, out_of_sprint = next(s for c, n, s in STATUSES if (c, n) == (category, name))
    sprint = next((cell for cell in reversed(sprints) if cell), None)
    points = float(row[9]) if row[9] else None
    status = in_sprint if sprint else out_of_sprint
    handle = handle_for(assignee) if assignee else None
    return key, " ".join(summary.split()), status, points, sprint, handle


def check(ws: Workspace, export: Export, folder: Path) -> None:
    if export.damaged is None:
        event("imported")
        result = import_file(ws, export, folder)
        expected = [expected_story(row) for row in export.rows]
        assert result.as_json() == {
            "created": len(expected),
            "updated": 0,
            "unchanged": 0,
            "sprints_added": len({cell for row in export.rows for cell in row[7:9] if cell}),
            "members_added": len({handle for *_, handle in expected if handle}),
        }
        stories = sorted(list_stories(ws), key=lambda story: int(story.key[3:]))
        assert [
            (s.key, s.title, s.status, s.points, s.sprint, s.assignee) for s in stories
        ] == expected
        return
    event("refused")
    with pytest.raises(UserError) as refused:
        import_file(ws, export, folder)
    message = refused.value.message
    assert message.startswith(str(folder / "export.csv"))
    assert message.endswith(f"bad rows: {export.damaged}")
    assert "\n" not in message
    assert (list_stories(ws), list_sprints(ws), list_members(ws)) == ([], [], [])


@settings(max_examples=examples(60), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(export=exports())
def test_a_jira_file_imports_as_written_or_not_at_all(fresh_board, tmp_path, export) -> None:
    ws = fresh_board()
    try:
        check(ws, export, Path(tempfile.mkdtemp(dir=tmp_path)))
    finally:
        ws.close()


def test_the_generator_keeps_both_outcomes_common(fresh_board, tmp_path) -> None:
    """Over a fixed sample, the importer really takes a quarter to three quarters of the files."""
    outcomes: list[bool] = []
    ws = fresh_board()

    @seed(20261125)
    @settings(max_examples=80, database=None, phases=[Phase.generate])
    @given(export=exports())
    def sample(export: Export) -> None:
        folder = Path(tempfile.mkdtemp(dir=tmp_path))
        try:
            import_file(ws, export, folder)
        except UserError:
            outcomes.append(False)
        else:
            outcomes.append(True)

    try:
        sample()
    finally:
        ws.close()
    assert 0.25 <= sum(outcomes) / len(outcomes) <= 0.75, sum(outcomes) / len(outcomes)
