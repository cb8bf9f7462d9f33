"""Printing for every command: Rich text for people, Markdown for pasting, JSON for scripts.

User text never goes through Rich markup: cells are `Text` objects, so a title like `[red]x`
prints as typed. JSON and Markdown bypass Rich entirely (no wrapping, no control codes).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text


class Format(StrEnum):
    TEXT = "text"
    MD = "md"
    JSON = "json"


def console() -> Console:
    return Console(highlight=False)


def error_console() -> Console:
    return Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


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
    table = Table(title=Text(title) if title else None, title_justify="left")
    for header in headers:
        table.add_column(Text(header), overflow="fold")
    for row in rows:
        table.add_row(*(Text(plain(cell)) for cell in row))
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
    """A value safe inside a Markdown table cell: pipes escaped, line breaks flattened."""
    return plain(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()
