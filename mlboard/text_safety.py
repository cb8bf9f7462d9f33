"""Text from people and other systems made inert for where it lands: a terminal, a spreadsheet,
a chat message.

Titles, names, notes, run and pipeline names, error messages and Jira fields are shown as they
were given, but nothing in them may act: no escape sequence reaches a terminal, no formula runs in
a spreadsheet, no link, HTML or mention appears in a pasted Markdown message. Every way mlboard
shows text goes through this module (the CLI's console, tables, CSV and Markdown writers, the
TUI's cells and lines), so the rules live in one place: `terminal_safe`, `csv_cell` and
`markdown_inline`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

# Characters that can break a line, ring, move the cursor, or reorder or hide text unseen: controls
# (C0, DEL, C1: ESC and every escape sequence start with one), format characters (right-to-left
# overrides, isolates, zero-width spaces, BOMs), line and paragraph separators, and lone
# surrogates. Private-use characters (icon fonts) and code points newer than this Python's
# Unicode tables (the latest emoji) stay: a terminal shows them as it can.
HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# Format characters that scripts need: the joiners hold emoji sequences together and shape
# Persian and Indic words; without them the text is spelled wrong, not made safe.
JOINERS = frozenset("\u200c\u200d")
LINE_BREAKS = "\n\t"


def hidden(ch: str) -> bool:
    """A control character, or one that reorders or hides text."""
    return unicodedata.category(ch) in HIDDEN and ch not in JOINERS


def replace_hidden(text: str, fill: Callable[[str], str], keep: str = "") -> str:
    """`text` with every hidden character not in `keep` replaced by `fill(character)`."""
    if text.isprintable():  # no hidden character: most text, at no cost
        return text
    return "".join(fill(ch) if hidden(ch) and ch not in keep else ch for ch in text)


def _space(_: str) -> str:
    return " "


def terminal_safe(text: str, *, keep_lines: bool = False) -> str:
    """Text a terminal shows and never obeys: each hidden character becomes a space.

    ESC (so every ANSI colour, OSC 8 hyperlink, window title or clear-screen sequence), the other
    C0 controls, DEL and the C1 controls (0x80-0x9f, among them the one-byte CSI 0x9b) can no
    longer start anything; the leftover `[31m` or `]8;;http://…` shows as text, so a person sees
    that something odd was there. Bidi overrides and isolates become spaces too, so text reads in
    the order it is stored. With `keep_lines`, line breaks and tabs stay (a description).
    """
    return replace_hidden(text, _space, LINE_BREAKS if keep_lines else "")


def single_line(text: str) -> str:
    """`terminal_safe` text on one line, its runs of white space as one space (names, titles)."""
    return " ".join(terminal_safe(text).split())


def escaped(text: str) -> str:
    """Text for a log line: every character that is not printable, and the backslash, written
    as `repr()` writes it (`\\x1b`, `\\u202e`), so a log shows exactly what a client sent."""
    return "".join(c if c.isprintable() and c != "\\" else ascii(c)[1:-1] for c in text)


# --------------------------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------------------------

# OWASP's CSV-injection list (=, +, -, @, tab, carriage return: `terminal_safe` has made that a
# space) and the full-width forms some spreadsheets read as the same signs.
_FORMULA_SIGNS = frozenset("=+-@\t＝＋－＠")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows and never evaluates (OWASP's CSV-injection advice), and a
    terminal shows and never obeys (`export` writes to stdout by default).

    Text is `terminal_safe`, keeping its line breaks and tabs. Then text whose first character is
    `=`, `+`, `-`, `@` or a tab, or whose first character after leading white space is one of the
    four signs (some importers trim cells), gets a leading `'`: spreadsheets then read the cell
    as text. Text that is just a decimal number (`-3`, `+1.5e3`, with or without surrounding
    spaces) stays as it is: a number is never a formula, and a negative estimate must stay a
    number. ints and floats are returned untouched.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = "" if value is None else terminal_safe(str(value), keep_lines=True)
    signed = text[:1] in _FORMULA_SIGNS or text.lstrip()[:1] in _FORMULA_SIGNS
    if signed and text and not _NUMBER.fullmatch(text.strip()):
        return "'" + text
    return text


# --------------------------------------------------------------------------------------------
# Markdown (Slack, Teams, Confluence, GitHub)
# --------------------------------------------------------------------------------------------

# HTML-significant characters as entities: CommonMark renderers decode them back to the
# character, and Slack's message format requires exactly these three escaped. The rest as
# CommonMark backslash escapes: no link text (`[`), code span (backtick), emphasis (`*`), table
# cell break (`|`), and backslashes doubled so user text cannot undo an escape.
_ESCAPES = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    "\\": "\\\\",
    "`": "\\`",
    "*": "\\*",
    "[": "\\[",
    "]": "\\]",
    "|": "\\|",
}
# A word joiner after `@` keeps `@channel`, `@here`, `@everyone` and `@person` from being a
# mention in Slack, Teams or GitHub while reading the same (a zero-width joiner would not do: it
# is no word boundary). An `@` inside a word (an email address) is no mention and is left alone.
_MENTION_BREAK = "@\u2060"
# What would make the start of a line a heading, list item, thematic break, setext underline or
# code fence (dashes alone too: after a list item's `- `, `--` is a thematic break); blockquotes
# and HTML blocks cannot start (`>` and `<` are entities).
_BLOCK_START = re.compile(r"(?:#{1,6}|[-+]|[0-9]{1,9}[.)])(?=[ \t]|$)|~~~|=+$|-[- \t]*$")


def markdown_inline(text: str) -> str:
    """User text as one line of Markdown that renders as exactly that text and nothing more.

    The text is made `single_line` (leading and trailing spaces dropped: they could start a code
    block or a line break), then: `&` `<` `>` become HTML entities; `\\` `` ` `` `*` `[` `]` `|`
    are backslash-escaped, and `_` too unless it sits inside a word (`val_f1` stays readable); a
    word joiner (U+2060) follows every `@` that is not inside a word (`ana@example.com` is no
    mention); a leading `#`, `-`, `+`, `1.`, `~~~` or `===` that would start a block is escaped.
    Rendered by a CommonMark renderer the result has no link, image, HTML, code span, emphasis or
    block of its own, wherever it is placed in a line, a list item or a table cell. A bare URL
    stays visible as itself.
    """
    flat = single_line(text)
    out: list[str] = []
    for index, ch in enumerate(flat):
        if ch == "_":
            inside_word = _alnum(flat, index - 1) and _alnum(flat, index + 1)
            out.append("_" if inside_word else "\\_")
        elif ch == "@":
            out.append("@" if _alnum(flat, index - 1) else _MENTION_BREAK)
        else:
            out.append(_ESCAPES.get(ch, ch))
    escaped = "".join(out)
    start = _BLOCK_START.match(escaped)
    if start is None:
        return escaped
    if escaped[0].isdigit():  # `1.` or `1)`: escape the punctuation
        cut = start.end() - 1
        return escaped[:cut] + "\\" + escaped[cut:]
    return "\\" + escaped


def _alnum(text: str, index: int) -> bool:
    return 0 <= index < len(text) and text[index].isalnum()
