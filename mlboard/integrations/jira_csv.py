"""Parse Jira "Export CSV" files into plain, validated records.

Why hand-rolled instead of `csv.DictReader` or pandas: real exports repeat column names (`Sprint`
up to three times, `Labels`, `Comment`, `Watchers`), and a dict per row silently keeps only one of
them. Cells are therefore read by position. Why so strict: a damaged export (rows shifted against
the header) looks like data but isn't, so the parser collects every problem it can find and
refuses the whole file with one message naming the rows, instead of importing half of it.

Row numbers: the header is row 1 and every CSV *record* counts as one row, so a record whose
quoted cells hold line breaks is still one row. Without multi-line cells this is exactly the row
number a spreadsheet shows.

Dates come out naive (the caller attaches the team's zone). An ISO string with an offset keeps
its wall-clock time and drops the offset, like the offset-less `22/Sep/25 9:26 AM` form.
Cells are stripped of surrounding whitespace, except `Description`, which is kept verbatim.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from mlboard.errors import quoted
from mlboard.wording import noun, plural

__all__ = ["JiraFileError", "JiraIssue", "parse_jira_csv", "read_jira_csv"]

_KEY_RE = re.compile(r"^[A-Z][A-Z0-9_]*-[0-9]+$")
_NUMBER_RE = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]{1,4})?$")
_JIRA_DATE_RE = re.compile(
    r"^([0-9]{1,2})/([A-Za-z]{3,9})\.?/([0-9]{2}|[0-9]{4})\s+([0-9]{1,2}):([0-9]{2})"
    r"(?::([0-9]{2}))?(?:\s*([AaPp][Mm]))?$"
)
_ISO_DATE_RE = re.compile(
    r"^([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})"
    r"(?::([0-9]{2})(?:[.,][0-9]+)?)?)?\s*(?:Z|[+-][0-9]{2}:?[0-9]{2})?$"
)
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {name: number for number, name in enumerate(_MONTH_NAMES, start=1)}
_CATEGORIES = {"to do": "To Do", "in progress": "In Progress", "done": "Done"}
_MAX_LISTED = 10
_QUOTED = 40  # characters of a bad cell quoted: one shifted description cannot flood the error

# Record field -> Jira column header. Singles read the first column of that name.
_SINGLE = {
    "key": "Issue key",
    "summary": "Summary",
    "description": "Description",
    "issue_type": "Issue Type",
    "status": "Status",
    "status_category": "Status Category",
    "assignee": "Assignee",
    "assignee_id": "Assignee Id",  # Jira Cloud's account id: tells apart two people of one name
    "reporter": "Reporter",
    "priority": "Priority",
}
_DATES = {
    "created": "Created",
    "resolved": "Resolved",
    "status_category_changed": "Status Category Changed",
}
_POINTS = ("Custom field (Story Points)", "Custom field (Story point estimate)")


@dataclass(frozen=True, slots=True)
class JiraIssue:
    """One exported issue, with Jira's own words kept; mapping to stories happens elsewhere."""

    row: int  # record number in the file (header = 1)
    key: str
    summary: str
    description: str
    issue_type: str
    status: str  # raw, team-specific status name
    status_category: str  # "To Do" | "In Progress" | "Done" ("" if the column is missing)
    assignee: str
    assignee_id: str  # "" when the export has no 'Assignee Id' column
    reporter: str
    created: datetime | None
    resolved: datetime | None
    status_category_changed: datetime | None
    sprints: tuple[str, ...]  # every non-empty Sprint cell in column order; the last one counts
    points: float | None
    labels: tuple[str, ...]
    priority: str


class JiraFileError(ValueError):
    """Raised with a message naming the file, what is wrong and where (rows).

    `problems` has one human line per problem; `rows` the sorted bad row numbers, so a UI can
    list them without parsing the message.
    """

    def __init__(self, path: str, problems: Sequence[str], rows: Iterable[int] = ()) -> None:
        self.path = path
        self.problems = list(problems)
        self.rows = tuple(sorted(set(rows)))
        super().__init__(self._message())

    def __reduce__(self) -> tuple[type[JiraFileError], tuple[str, list[str], tuple[int, ...]]]:
        return (type(self), (self.path, self.problems, self.rows))

    def _message(self) -> str:
        n = len(self.problems)
        text = f"{self.path}: {plural(n, 'problem')}: " + "; ".join(self.problems[:_MAX_LISTED])
        if n > _MAX_LISTED:
            text += f"; and {n - _MAX_LISTED} more"
        if self.rows:
            text += f"; bad rows: {_ranges(self.rows)}"
        return text


def read_jira_csv(path: str | os.PathLike[str]) -> list[JiraIssue]:
    """Read and parse an export file; OSError (missing file, no permission) propagates as is."""
    source = os.fspath(path)
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        hint = "export again from Jira or save as 'CSV UTF-8'"
        raise JiraFileError(source, [f"not UTF-8 text (byte {exc.start}); {hint}"]) from None
    return parse_jira_csv(text, source)


def parse_jira_csv(text: str, source: str = "<text>") -> list[JiraIssue]:
    """Parse export text; raise one JiraFileError listing every problem found, or return issues."""
    records = _read_records(text.removeprefix("\ufeff"), source)
    header = [name.strip() for name in records[0][1]]
    columns = _positions(header)
    problems: list[tuple[int, str]] = []
    missing = _missing_columns(columns)
    if missing:
        found = ", ".join(repr(name) for name in header[:5])
        columns_word = noun(len(missing), "column")
        problems.append(
            (0, f"missing required {columns_word} {', '.join(missing)} (header starts {found})")
        )
    issues: list[JiraIssue] = []
    first_row: dict[str, int] = {}
    for row, cells in records[1:]:
        issue, row_problems = _parse_row(row, cells, header, columns)
        problems.extend((row, p) for p in row_problems)
        seen = first_row.setdefault(issue.key, row)
        if issue.key and seen != row:
            problems.append((row, f"row {row}: duplicate 'Issue key' {issue.key!r} (row {seen})"))
        issues.append(issue)
    if problems:
        rows = [row for row, _ in problems if row]
        raise JiraFileError(source, [p for _, p in sorted(problems, key=lambda x: x[0])], rows)
    return issues


def _read_records(text: str, source: str) -> list[tuple[int, list[str]]]:
    """Numbered non-blank CSV records; blank ones (e.g. trailing `,,,` rows) still use a number."""
    # strict: an unclosed quote would otherwise swallow the rest of the file into one cell.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    records: list[tuple[int, list[str]]] = []
    row = 0
    try:
        for row, cells in enumerate(reader, start=1):
            if any(cell.strip() for cell in cells):
                records.append((row, cells))
    except csv.Error as exc:
        raise JiraFileError(source, [f"row {row + 1}: not valid CSV ({exc})"], [row + 1]) from None
    if not records:
        raise JiraFileError(source, ["the file is empty"])
    return records


def _delimiter(text: str) -> str:
    """Comma, unless the header line says an Excel re-save switched to semicolons or tabs."""
    first = text.lstrip("\r\n").split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def _positions(header: Sequence[str]) -> dict[str, list[int]]:
    """Case-insensitive column name -> every position it occupies (names repeat)."""
    positions: dict[str, list[int]] = {}
    for index, name in enumerate(header):
        positions.setdefault(name.casefold(), []).append(index)
    return positions


def _missing_columns(columns: dict[str, list[int]]) -> list[str]:
    missing = [f"'{name}'" for name in ("Issue key", "Summary") if name.casefold() not in columns]
    if "status category" not in columns and "status" not in columns:
        missing.append("'Status Category' (or 'Status')")
    return missing


def _parse_row(
    row: int, cells: list[str], header: list[str], columns: dict[str, list[int]]
) -> tuple[JiraIssue, list[str]]:
    """Build the record for one row and list what is wrong with it (possibly nothing)."""
    problems: list[str] = []
    if len(cells) != len(header):
        problems.append(f"row {row}: {len(cells)} cells but the header has {len(header)}")

    def every(name: str) -> list[tuple[str, str]]:
        return [
            (header[i], cells[i] if i < len(cells) else "")
            for i in columns.get(name.casefold(), [])
        ]

    def first(name: str) -> str:
        return next((value for _, value in every(name)), "")

    text = {field: first(name).strip() for field, name in _SINGLE.items()}
    text["description"] = first("Description")
    category = text["status_category"]
    text["status_category"] = _CATEGORIES.get(category.casefold(), category)
    problems += _identity_problems(row, text, columns)
    dates = {field: _date_cell(row, name, first(name), problems) for field, name in _DATES.items()}
    points = _points(row, [pair for name in _POINTS for pair in every(name)], problems)
    sprints = tuple(v.strip() for _, v in every("Sprint") if v.strip())
    labels = tuple(dict.fromkeys(label for _, v in every("Labels") for label in v.split()))
    extra = {"sprints": sprints, "points": points, "labels": labels}
    return JiraIssue(row=row, **text, **dates, **extra), problems


def _identity_problems(row: int, text: dict[str, str], columns: dict[str, list[int]]) -> list[str]:
    """Key, summary and category: the cells a shifted row garbles first."""
    problems: list[str] = []
    if "issue key" in columns and not _KEY_RE.match(text["key"]):
        problems.append(
            f"row {row}: 'Issue key' is not a key like 'ABC-12': {quoted(text['key'], _QUOTED)}"
        )
    if "summary" in columns and not text["summary"]:
        problems.append(f"row {row}: 'Summary' is empty")
    category = text["status_category"]
    if category and category not in _CATEGORIES.values():
        problems.append(
            f"row {row}: 'Status Category' is not To Do, In Progress or Done: "
            f"{quoted(category, _QUOTED)}"
        )
    return problems


def _date_cell(row: int, column: str, raw: str, problems: list[str]) -> datetime | None:
    value = raw.strip()
    if not value:
        return None
    try:
        return _parse_date(value)
    except ValueError:
        problems.append(f"row {row}: {column!r} is not a date: {quoted(value, _QUOTED)}")
        return None


def _points(row: int, candidates: list[tuple[str, str]], problems: list[str]) -> float | None:
    """First non-empty story-point cell; every non-empty one must be a number (damage check)."""
    result: float | None = None
    for column, raw in candidates:
        value = raw.strip()
        if not value:
            continue
        number = float(value) if _NUMBER_RE.match(value) else None
        if number is None:
            problems.append(f"row {row}: {column!r} is not a number: {quoted(value, _QUOTED)}")
        elif not math.isfinite(number) or number < 0:
            problems.append(
                f"row {row}: {column!r} must be a finite number >= 0: {quoted(value, _QUOTED)}"
            )
        elif result is None:
            result = number
    return result


def _parse_date(value: str) -> datetime:
    """`22/Sep/25 9:26 AM`, `22/Sep/25 09:26`, `2025-09-22 09:26`, ISO with offset -> naive.

    Month names are parsed by hand rather than `strptime("%b")`, which follows the process locale.
    """
    if match := _JIRA_DATE_RE.match(value):
        day, month_name, year, hour, minute, second, half = match.groups()
        month = _MONTHS.get(month_name[:3].lower())
        if month is None:
            raise ValueError(f"unknown month {month_name!r}")
        hour_24 = _hour(int(hour), half)
        return datetime(_year(year), month, int(day), hour_24, int(minute), int(second or 0))
    if match := _ISO_DATE_RE.match(value):
        year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
        return datetime(year, month, day, hour, minute, second)
    raise ValueError(f"not a Jira date: {value!r}")


def _year(text: str) -> int:
    """Two-digit years pivot like `strptime("%y")`: 00-68 -> 2000s, 69-99 -> 1900s."""
    year = int(text)
    if len(text) == 4:
        return year
    return year + (2000 if year < 69 else 1900)


def _hour(hour: int, half: str | None) -> int:
    if half is None:
        return hour
    if not 1 <= hour <= 12:
        raise ValueError(f"hour {hour} with {half}")
    return hour % 12 + (12 if half.lower() == "pm" else 0)


def _ranges(rows: Sequence[int], limit: int = 40) -> str:
    """`8, 16-19, 21` - compact enough to keep hundreds of bad rows in one paragraph."""
    spans: list[list[int]] = []
    for row in rows:
        if spans and row == spans[-1][1] + 1:
            spans[-1][1] = row
        else:
            spans.append([row, row])
    parts = [str(a) if a == b else f"{a}-{b}" for a, b in spans]
    if len(parts) > limit:
        return ", ".join(parts[:limit]) + f", … ({len(rows)} rows in all)"
    return ", ".join(parts)
