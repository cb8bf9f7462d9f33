"""Text the screens share: user and system text on one line, table cells, moments, chances.

Names and messages from people and other systems (MLflow, OpenLineage, scripts) pass through
`one_line` before they are shown, and cells are Rich `Text`, never markup.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from mlboard.text_safety import single_line


def one_line(text: object, width: int | None = None) -> str:
    """Text from people or other systems (MLflow, OpenLineage) on one line, cut to `width`.

    Control and invisible characters become spaces by the rule titles follow when typed, so an
    escape sequence, a line break or a right-to-left override cannot break a table row, the
    terminal or the order of what is read; runs of spaces collapse.
    """
    flat = single_line(str(text or ""))
    return flat if width is None or len(flat) <= width else flat[: width - 1] + "…"


def plain(text: str, width: int = 24) -> str:
    """User text made safe for plotext, which writes ANSI itself: printable characters only,
    at most `width` of them."""
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= width else text[: width - 1] + "…"


def cell(text: str, style: str = "", justify: str = "left") -> Text:
    """A table cell: user text on one line, literally (a `Text`, never markup), cut with `…`."""
    flat = one_line(text)
    return Text(flat, style=style, justify=justify, no_wrap=True, overflow="ellipsis")  # type: ignore[arg-type]


def when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%b %d %H:%M") if moment else "—"
