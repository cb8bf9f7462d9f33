"""Printing for every command: Rich text for people, Markdown for pasting, JSON for scripts.

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
from typing import Any

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
    return InertConsole(highlight=False)


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


def print_table(
    title: str | None,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    fmt: Format,
) -> None:
    """A table as Rich text or as Markdown (JSON is the caller's own shape)."""
    if fmt is Format.MD:
        sys.stdout.write(markdown_table(title, headers, rows))
        return
    table = Table(title=Text(terminal_safe(title)) if title else None, title_justify="left")
    for header in headers:
        table.add_column(Text(header), overflow="fold")
    for row in rows:  # cells on one line, hidden characters as spaces (as the TUI shows them)
        table.add_row(*(Text(terminal_safe(plain(cell))) for cell in row))
    console().print(table)


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
