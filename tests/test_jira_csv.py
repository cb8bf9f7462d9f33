"""Tests for the Jira CSV parser: real exports, the quirks real exports have, and fuzzing.

The two real exports are in tests/fixtures/jira (provenance in tests/fixtures/README.md).
"""

from __future__ import annotations

import csv
import io
import pickle
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlboard.integrations.jira_csv import JiraFileError, JiraIssue, parse_jira_csv, read_jira_csv

from fixture_files import JIRA_CLEAN as CLEAN
from fixture_files import JIRA_DAMAGED as DAMAGED
from hypothesis_profiles import examples

BASE = ["Issue key", "Summary", "Status", "Status Category"]
FUZZ = settings(
    max_examples=examples(200), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def make_csv(header: list[str], *rows: list[str], lineterminator: str = "\n") -> str:
    """Write rows the way Jira and Excel do: minimal quoting, chosen line ending."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=lineterminator)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def problems_of(text: str) -> list[str]:
    with pytest.raises(JiraFileError) as info:
        parse_jira_csv(text)
    return info.value.problems


# --- the real files ---------------------------------------------------------------------------


def test_clean_export_parses_all_22_issues() -> None:
    issues = read_jira_csv(CLEAN)
    assert [i.key for i in issues] == [f"TES-{n}" for n in range(25, 3, -1)]
    assert [i.row for i in issues] == list(range(2, 24))
    first = issues[0]
    assert first.summary == "Enable Selinium scripts to also test Pega apps/iframes/etc"
    assert (first.issue_type, first.status, first.status_category) == ("Task", "To Do", "To Do")
    assert first.sprints == ("TES Sprint 1",)
    assert first.created == datetime(2025, 9, 22, 9, 26)
    assert first.resolved is None
    assert first.points is None
    assert first.labels == ()
    assert first.priority == "Medium"


def test_clean_export_rows_checked_by_eye() -> None:
    by_key = {i.key: i for i in read_jira_csv(str(CLEAN))}
    tes24 = by_key["TES-24"]
    assert tes24.summary == "Bug Fixing: problem in production"
    assert tes24.status_category == "In Progress"
    assert (tes24.assignee, tes24.reporter) == ("Saicharan Basireddy", "Sai Sontineni")
    assert by_key["TES-23"].summary.startswith('Need to discuss "Login" steps')
    assert by_key["TES-20"].sprints == ()  # backlog item: empty Sprint cell
    tes13 = by_key["TES-13"]
    assert (tes13.status, tes13.status_category) == ("Done", "Done")
    assert tes13.created == datetime(2025, 8, 28, 13, 49)  # "28/Aug/25 1:49 PM"
    assert tes13.resolved == datetime(2025, 9, 19, 9, 3)
    assert tes13.status_category_changed == datetime(2025, 9, 19, 9, 3)
    assert by_key["TES-4"].sprints[-1] == "TES Sprint 1"
    counts = {c: sum(i.status_category == c for i in by_key.values()) for c in ("Done", "To Do")}
    assert counts == {"Done": 10, "To Do": 9}


def test_damaged_export_is_refused_naming_column_and_rows() -> None:
    with pytest.raises(JiraFileError) as info:
        read_jira_csv(DAMAGED)
    error = info.value
    message = str(error)
    assert error.path == str(DAMAGED)
    assert message.startswith(f"{DAMAGED}: ")
    assert "'Summary'" in message
    assert "\n" not in message
    assert "and 170 more" in message
    assert "row 50: 'Custom field (Story Points)' is not a number: '0|i004cf:'" in error.problems
    assert 50 in error.rows
    assert "50-51" in message  # bad rows are listed as compact ranges
    assert {8, 16, 17} <= set(error.rows)


@pytest.mark.parametrize("bom", ["", "\ufeff"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_bom_and_crlf_variants_give_the_same_issues(bom: str, newline: str, tmp_path: Path) -> None:
    text = CLEAN.read_text(encoding="utf-8")
    variant = tmp_path / "export.csv"
    variant.write_bytes((bom + text.replace("\n", newline)).encode("utf-8"))
    assert read_jira_csv(variant) == read_jira_csv(CLEAN)
    assert parse_jira_csv(bom + text.replace("\n", newline)) == parse_jira_csv(text)


# --- quirks -----------------------------------------------------------------------------------


def test_multi_line_cells_count_as_one_row() -> None:
    header = [*BASE, "Description"]
    first = ["AB-1", "first", "To Do", "To Do", "line one\nline two\r\n\nline four"]
    issues = parse_jira_csv(make_csv(header, first, ["AB-2", "second", "Done", "Done", ""]))
    assert issues[0].description == "line one\nline two\r\n\nline four"
    assert [i.row for i in issues] == [2, 3]
    damaged = make_csv(header, first, ["AB-2", "", "Done", "Done", ""], lineterminator="\r\n")
    assert problems_of(damaged) == ["row 3: 'Summary' is empty"]


def test_repeated_sprint_and_label_columns_are_read_by_position() -> None:
    header = [*BASE, "Sprint", "Labels", "Sprint", "Labels", "Sprint"]
    text = make_csv(
        header,
        ["AB-1", "s", "To Do", "To Do", "Sprint 1", "ml", "Sprint 2", "data", ""],
        ["AB-2", "s", "To Do", "To Do", "", "", "Sprint 3", "ml ml", ""],
        ["AB-3", "s", "To Do", "To Do", "", "", "", "", ""],
    )
    one, two, three = parse_jira_csv(text)
    assert one.sprints == ("Sprint 1", "Sprint 2") and one.sprints[-1] == "Sprint 2"
    assert one.labels == ("ml", "data")
    assert two.sprints == ("Sprint 3",) and two.labels == ("ml",)
    assert three.sprints == () and three.labels == ()


@pytest.mark.parametrize(
    ("story_points", "estimate", "expected"),
    [("8.0", "", 8.0), ("", "5.0", 5.0), ("3", "5.0", 3.0), ("", "", None), ("0", "", 0.0)],
)
def test_story_points_take_the_first_non_empty_column(
    story_points: str, estimate: str, expected: float | None
) -> None:
    header = [*BASE, "Custom field (Story Points)", "Custom field (Story point estimate)"]
    text = make_csv(header, ["AB-1", "s", "To Do", "To Do", story_points, estimate])
    assert parse_jira_csv(text)[0].points == expected


@pytest.mark.parametrize("bad", ["0|i004cf:", "-1", "inf", "nan", "1e999", "8,5"])
def test_story_points_must_be_finite_non_negative_numbers(bad: str) -> None:
    text = make_csv(
        [*BASE, "Custom field (Story point estimate)"], ["AB-1", "s", "Done", "Done", bad]
    )
    [problem] = problems_of(text)
    assert problem.startswith("row 2: 'Custom field (Story point estimate)' ")


def test_blank_trailing_rows_are_skipped() -> None:
    text = make_csv(BASE, ["AB-1", "s", "To Do", "To Do"])
    for tail in ["\n", "\n\n\n", ",,,\n,,,\n", "\r\n , ,,\r\n", "   "]:
        assert [i.key for i in parse_jira_csv(text + tail)] == ["AB-1"]


@pytest.mark.parametrize(
    "raw",
    ["22/Sep/25 9:26 AM", "22/Sep/25 09:26", "22/sep/2025 9:26 am", "2025-09-22 09:26",
     "2025-09-22T09:26:00.000+0200", "2025-09-22T09:26:00Z"],
)  # fmt: skip
def test_date_formats_become_naive_datetimes(raw: str) -> None:
    text = make_csv([*BASE, "Created"], ["AB-1", "s", "To Do", "To Do", raw])
    assert parse_jira_csv(text)[0].created == datetime(2025, 9, 22, 9, 26)


def test_twelve_o_clock_am_and_pm() -> None:
    row = ["A-1", "s", "Done", "Done", "01/Jan/24 12:05 AM", "01/Jan/24 12:05 PM"]
    issue = parse_jira_csv(make_csv([*BASE, "Created", "Resolved"], row))[0]
    assert issue.created == datetime(2024, 1, 1, 0, 5)
    assert issue.resolved == datetime(2024, 1, 1, 12, 5)


@pytest.mark.parametrize("bad", ["31/Feb/25 9:00 AM", "22/Foo/25 9:26", "13:00 PM", "yesterday"])
def test_unparseable_dates_are_reported(bad: str) -> None:
    text = make_csv([*BASE, "Resolved"], ["AB-1", "s", "Done", "Done", bad])
    assert problems_of(text) == [f"row 2: 'Resolved' is not a date: {bad!r}"]


def test_status_category_is_kept_next_to_the_raw_status() -> None:
    rows = [["AB-1", "s", "Peer review", "in progress"], ["AB-2", "s", "Shipped", "DONE"]]
    issues = parse_jira_csv(make_csv(BASE, *rows))
    assert [(i.status, i.status_category) for i in issues] == [
        ("Peer review", "In Progress"),
        ("Shipped", "Done"),
    ]
    only_status = parse_jira_csv(
        make_csv(["Issue key", "Summary", "Status"], ["AB-1", "s", "Open"])
    )
    assert only_status[0].status_category == ""
    assert problems_of(make_csv(BASE, ["AB-1", "s", "x", "Finished"])) == [
        "row 2: 'Status Category' is not To Do, In Progress or Done: 'Finished'"
    ]


def test_semicolon_export_from_excel_is_understood() -> None:
    text = "Issue key;Summary;Status\nAB-1;with, comma;Open\n"
    assert parse_jira_csv(text)[0].summary == "with, comma"


def test_header_only_export_has_no_issues() -> None:
    assert parse_jira_csv(make_csv(BASE)) == []


# --- refusals ---------------------------------------------------------------------------------


def test_every_row_problem_is_collected() -> None:
    text = make_csv(
        BASE,
        ["ab-1", "s", "To Do", "To Do"],
        ["AB-2", "s", "To Do"],
        ["AB-3", " ", "To Do", "To Do"],
        ["AB-2", "again", "To Do", "To Do"],
    )
    assert problems_of(text) == [
        "row 2: 'Issue key' is not a key like 'ABC-12': 'ab-1'",
        "row 3: 3 cells but the header has 4",
        "row 4: 'Summary' is empty",
        "row 5: duplicate 'Issue key' 'AB-2' (row 3)",
    ]


def test_missing_columns_are_named_and_rows_still_checked() -> None:
    text = make_csv(["title", "Issue key", "Custom field (Story Points)"], ["t", "AB-1", "x"])
    with pytest.raises(JiraFileError) as info:
        parse_jira_csv(text, source="jira.csv")
    assert str(info.value) == (
        "jira.csv: 2 problems: missing required columns 'Summary', 'Status Category' "
        "(or 'Status') (header starts 'title', 'Issue key', 'Custom field (Story Points)'); "
        "row 2: 'Custom field (Story Points)' is not a number: 'x'; bad rows: 2"
    )


def test_long_problem_lists_are_cut_to_one_paragraph() -> None:
    rows = [[f"bad{n}", "s", "To Do", "To Do"] for n in range(25)]
    with pytest.raises(JiraFileError) as info:
        parse_jira_csv(make_csv(BASE, *rows))
    message = str(info.value)
    assert len(info.value.problems) == 25
    assert "; and 15 more; bad rows: 2-26" in message
    assert message.count("row ") == 10
    assert pickle.loads(pickle.dumps(info.value)).problems == info.value.problems


@pytest.mark.parametrize(
    "text",
    ["", "   \n\r\n", '{"issues": []}', "\x00\x01binary", 'Issue key,Summary,Status\nA-1,"x\n'],
)
def test_empty_or_non_csv_text_is_refused(text: str) -> None:
    with pytest.raises(JiraFileError):
        parse_jira_csv(text)


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("Issue key,Summary,Status\nAB-1,Caf\xe9,Open\n".encode("latin-1"))
    with pytest.raises(JiraFileError, match=r"latin1\.csv: 1 problem: not UTF-8"):
        read_jira_csv(path)


# --- properties -------------------------------------------------------------------------------

HEADER_LINE = ",".join([*BASE, "Created", "Sprint", "Sprint", "Custom field (Story Points)"])
SNIPPETS = st.sampled_from(
    [",", '"', '""', "\n", "\r\n", "\r", ";", "[red]", "[/]", "é", "🚀", " "]
)
TEXT = st.text(max_size=12)
MIXED = st.lists(st.one_of(TEXT, SNIPPETS), max_size=6).map("".join)


@st.composite
def mutated_clean_file(draw: st.DrawFn) -> str:
    """The clean export with one random splice: the closest thing to a hand-edited export."""
    text = make_csv(
        [*BASE, "Created", "Sprint"], ["AB-1", "s", "To Do", "To Do", "22/Sep/25 9:26 AM", "S1"]
    )
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, len(text)))
    return text[:start] + draw(MIXED) + text[end:]


@FUZZ
@given(
    st.one_of(
        st.text(), MIXED, MIXED.map(lambda body: HEADER_LINE + "\n" + body), mutated_clean_file()
    )
)
def test_any_text_gives_issues_or_a_jira_file_error(text: str) -> None:
    try:
        result = parse_jira_csv(text)
    except JiraFileError as error:
        assert error.problems and "\n" not in str(error)  # one paragraph, whatever the input
    else:
        assert isinstance(result, list) and all(isinstance(i, JiraIssue) for i in result)


ROUND_TRIP_HEADER = [
    "Summary", "Issue key", "Issue Type", "Status", "Priority", "Assignee", "Reporter",
    "Created", "Resolved", "Description", "Sprint", "Sprint", "Sprint",
    "Custom field (Story Points)", "Custom field (Story point estimate)",
    "Labels", "Labels", "Status Category", "Status Category Changed",
]  # fmt: skip
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
KEYS = st.from_regex(r"[A-Z][A-Z0-9_]{0,5}-[0-9]{1,5}", fullmatch=True)
SUMMARIES = MIXED.filter(str.strip)
LABELS = st.text(st.characters(exclude_categories=("Cs", "Cc", "Z")), min_size=1, max_size=8)
DATES = st.none() | st.datetimes(datetime(2000, 1, 1), datetime(2068, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0)
)
POINTS = st.none() | st.floats(min_value=0, max_value=1e6, allow_nan=False)


def jira_date(value: datetime | None) -> str:
    if value is None:
        return ""
    hour = value.hour % 12 or 12
    half = "AM" if value.hour < 12 else "PM"
    day = f"{value.day:02d}/{MONTHS[value.month - 1]}/{value.year % 100:02d}"
    return f"{day} {hour}:{value.minute:02d} {half}"


@st.composite
def valid_exports(draw: st.DrawFn) -> tuple[str, list[dict[str, object]]]:
    keys = draw(st.lists(KEYS, max_size=5, unique=True))
    expected: list[dict[str, object]] = []
    rows: list[list[str]] = []
    for key in keys:
        issue = {
            "key": key,
            "summary": draw(SUMMARIES),
            "description": draw(MIXED),
            "issue_type": draw(st.sampled_from(["Task", "Bug", "Story", "Spike", "Epic"])),
            "status": draw(MIXED),
            "status_category": draw(st.sampled_from(["To Do", "In Progress", "Done"])),
            "priority": draw(MIXED),
            "assignee": draw(MIXED),
            "reporter": draw(MIXED),
            "created": draw(DATES),
            "resolved": draw(DATES),
            "status_category_changed": draw(DATES),
        }
        sprints = draw(st.lists(MIXED, min_size=3, max_size=3))
        points = draw(st.lists(POINTS, min_size=2, max_size=2))
        labels = draw(st.lists(LABELS.filter(lambda s: s.split() == [s]), max_size=2, unique=True))
        labels_cells = [*labels, "", ""][:2]
        rows.append(
            [issue["summary"], key, issue["issue_type"], issue["status"], issue["priority"],
             issue["assignee"], issue["reporter"], jira_date(issue["created"]),
             jira_date(issue["resolved"]), issue["description"], *sprints,
             *("" if p is None else repr(p) for p in points), *labels_cells,
             issue["status_category"], jira_date(issue["status_category_changed"])]
        )  # fmt: skip
        stripped = {k: v.strip() if isinstance(v, str) and k != "description" else v
                    for k, v in issue.items()}  # fmt: skip
        stripped["sprints"] = tuple(s.strip() for s in sprints if s.strip())
        stripped["points"] = next((p for p in points if p is not None), None)
        stripped["labels"] = tuple(labels)
        expected.append(stripped)
    # CRLF like Jira and Excel: csv.writer quotes a lone "\r" only when it is in the terminator.
    bom = draw(st.sampled_from(["", "\ufeff"]))
    return bom + make_csv(ROUND_TRIP_HEADER, *rows, lineterminator="\r\n"), expected


@FUZZ
@given(valid_exports())
def test_generated_exports_round_trip(export: tuple[str, list[dict[str, object]]]) -> None:
    text, expected = export
    issues = parse_jira_csv(text)
    assert [i.row for i in issues] == list(range(2, len(expected) + 2))
    for issue, values in zip(issues, expected, strict=True):
        assert {name: getattr(issue, name) for name in values} == values
