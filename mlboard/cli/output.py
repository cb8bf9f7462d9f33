"""Printing for every command: Rich text for people, Markdown for pasting, JSON for scripts.

Text follows gh's conventions. On a terminal, a table fits its width: the one free-text column
of a listing (a title, a goal, a message) is cut with `…`, the others keep their width, and
`--wide` wraps the free text instead of cutting it. When stdout is not a terminal, a listing is
one plain line per row, its fields separated by tabs, with no header, box or colour and nothing
cut, so `grep`, `cut` and `awk` work (a report's table keeps a line of column names); other
lines are not wrapped. Rich decides what a terminal is (`FORCE_COLOR` or `TTY_COMPATIBLE=1` say
it is one) and honours `NO_COLOR` and `COLUMNS`.

User text never goes through Rich markup: cells are `Text` objects, so a title like `[red]x`
prints as typed. Nor does it reach the terminal with its control characters: every console here
is an `InertConsole` (see `mlboard.text_safety`). Markdown cells pass through `markdown_inline`;
JSON bypasses Rich entirely and escapes every control character (`json_text`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from mlboard.text_safety import LINE_BREAKS, markdown_inline, replace_hidden, terminal_safe


class Format(StrEnum):
    TEXT = "text"
    MD = "md"
    JSON = "json"


class InertConsole(Console):
    """A Console that writes no control character but its own styling and cursor moves.

    Rich removes only bell, backspace, CR, VT and FF from the text it prints: ESC, the other C0
    and the C1 controls, and bidi overrides pass through, so an escape sequence in a stored name
    would colour, retitle, clear or hyperlink the user's terminal. Every segment this console
    renders, whatever printed it (a line, a table cell, a status spinner), is cleaned here once its
    layout is done: a hidden character the layout gave no width is dropped, one it counted
    becomes a space, so tables keep their shape. Control segments are Rich's own and stay.
    """

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterator[Segment]:
        for segment in super().render(renderable, options):
            if segment.control or segment.text.isprintable():
                yield segment
            else:
                yield Segment(replace_hidden(segment.text, _blank, LINE_BREAKS), segment.style)


def _blank(ch: str) -> str:
    return " " * cell_len(ch)


def console() -> Console:
    """The console for stdout: lines are wrapped at the terminal's width, never when piped."""
    out = InertConsole(highlight=False)
    out.soft_wrap = not out.is_terminal
    return out


def error_console() -> Console:
    return InertConsole(stderr=True, highlight=False)


def json_text(data: Any, *, indent: int | None = 2) -> str:
    """JSON for scripts that stays inert on a terminal too.

    `json` escapes only the C0 controls; with `ensure_ascii=False` C1 controls (the one-byte CSI
    0x9b among them) and bidi overrides are written raw. Those are written as `\\u` escapes here,
    which every JSON reader decodes back to the same string; other text stays readable.
    """
    text = json.dumps(data, indent=indent, ensure_ascii=False, default=str)
    return replace_hidden(text, _json_escape, "\n")


def _json_escape(ch: str) -> str:
    return json.dumps(ch)[1:-1]


def print_json(data: Any) -> None:
    sys.stdout.write(json_text(data) + "\n")


def plain(value: object) -> str:
    """A cell value as text: empty for None, numbers without a needless `.0`."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value)


# Listing commands take `--wide`: on a terminal, long free text wraps instead of being cut.
Wide = Annotated[
    bool, typer.Option("--wide", help="Show long text in full, wrapped, instead of cut with …")
]
Cell = object  # a value (shown with `plain`), or a styled `Text`


def print_table(
    title: str | None,
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    fmt: Format,
    *,
    free: str | None = None,
    wide: bool = False,
    named: bool = False,
) -> None:
    """A table as text (fitted to the terminal, or tab-separated rows when piped) or Markdown.

    `free` names the free-text column: the one cut with `…` (or, `wide`, wrapped) to make the
    table fit. Piped, a listing is its rows alone, for scripts; `named` starts them with the
    column names, for a report people read in a log. JSON is the caller's own shape.
    """
    if fmt is Format.MD:
        sys.stdout.write(markdown_table(title, headers, rows))
        return
    out = console()
    if not out.is_terminal:
        lines = [headers, *rows] if named else rows
        sys.stdout.writelines("\t".join(_cell_text(cell) for cell in row) + "\n" for row in lines)
        return
    natural = [
        max(cell_len(_cell_text(cell)) for cell in column)
        for column in zip(headers, *rows, strict=True)
    ]
    room = out.width - 2 * (len(headers) - 1)  # two spaces between columns
    widths = fit_widths(natural, room, headers.index(free) if free is not None else None)
    table = Table(
        title=Text(terminal_safe(title)) if title else None,
        title_justify="left",
        box=None,
        pad_edge=False,
    )
    for header, width in zip(headers, widths, strict=True):
        table.add_column(
            Text(header), width=width, no_wrap=not wide, overflow="fold" if wide else "ellipsis"
        )
    for row in rows:
        table.add_row(*(_cell(cell) for cell in row))
    out.print(table)


def fit_widths(natural: Sequence[int], room: int, free: int | None = None) -> list[int]:
    """Column widths that add up to at most `room` (as gh's table printer fits a terminal).

    The free-text column gives way first, down to a fifth of the room (at least 10, at most
    what it needs); after that the widest column loses a character at a time, so short columns
    (keys, states, numbers) keep their width longest.
    """
    widths = list(natural)
    excess = sum(widths) - room
    if free is not None and excess > 0:
        floor = min(widths[free], max(10, room // 5))
        give = min(excess, widths[free] - floor)
        widths[free] -= give
        excess -= give
    while excess > 0 and max(widths) > 1:
        widths[widths.index(max(widths))] -= 1
        excess -= 1
    return widths


def print_section(
    heading: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    *,
    free: str | None = None,
    wide: bool = False,
) -> None:
    """A report's table under its heading. Piped, the heading and the column names stay: a
    report is read by people (in a CI log, say), and may hold several tables."""
    console().print(Text(terminal_safe(heading), style="bold"))
    print_table(None, headers, rows, Format.TEXT, free=free, wide=wide, named=True)


def print_fields(fields: Sequence[tuple[str, Cell]]) -> None:
    """Labelled values, one a line: aligned on a terminal, `label<TAB>value` when piped."""
    out = console()
    if not out.is_terminal:
        sys.stdout.writelines(f"{label}\t{_cell_text(value)}\n" for label, value in fields)
        return
    grid = Table.grid(padding=(0, 2))
    for label, value in fields:
        grid.add_row(Text(label, style="dim"), _cell(value))
    out.print(grid)


def print_item(text: Text, *, indent: int = 2, marker: str = "") -> None:
    """A list item: on a terminal its wrapped lines line up under its first word; piped, it is
    one line."""
    out = console()
    lead = Text(" " * indent + marker, style=text.style)
    if not out.is_terminal:
        out.print(lead + text)
        return
    grid = Table.grid()
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_row(lead, text)
    out.print(grid)


def _cell_text(cell: Cell) -> str:
    """A cell on one line: hidden characters, tabs and line breaks as spaces."""
    return terminal_safe(cell.plain if isinstance(cell, Text) else plain(cell))


def _cell(cell: Cell) -> Text:
    """A cell for a Rich table, on one line, in its own style if it has one."""
    return Text(_cell_text(cell), style=cell.style if isinstance(cell, Text) else "")


def markdown_table(
    title: str | None, headers: Sequence[str], rows: Sequence[Sequence[object]]
) -> str:
    lines = [f"### {markdown_cell(title)}", ""] if title else []
    lines.append("| " + " | ".join(markdown_cell(header) for header in headers) + " |")
    lines.append("|" + "|".join("---" for _ in headers) + "|")
    lines.extend("| " + " | ".join(markdown_cell(cell) for cell in row) + " |" for row in rows)
    return "\n".join(lines) + "\n"


def markdown_cell(value: object) -> str:
    """A value as inert Markdown on one line: in a table cell, a list item or a heading."""
    return markdown_inline(plain(value))
