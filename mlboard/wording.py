"""Counts and chances as people write them: "1 day", "0 days", "2.5 points", never "day(s)";
"<1%" for a small chance, never "0%".

One place for every face of the board (CLI lines, the services' text renderers, TUI labels), so
a number reads the same everywhere. JSON keeps its own keys and numbers; this is for text only.
"""

from __future__ import annotations

import re

# A consonant then y takes -ies (story, entry); a sibilant ending takes -es (class, box, batch).
_IES = re.compile(r"[^aeiou]y$")
_ES = re.compile(r"(?:s|x|z|ch|sh)$")


def plural(count: float, word: str, many: str | None = None) -> str:
    """`count` and `word`, in the plural unless the count is exactly one.

    Whole numbers are written with thousands separators (1,200 runs), others as short as they
    read back (2.5 days). `word` may be a phrase whose last word is the noun ("model version");
    `many` spells an irregular plural.
    """
    number = f"{count:,}" if isinstance(count, int) else f"{count:,g}"
    return f"{number} {noun(count, word, many)}"


def noun(count: float, word: str, many: str | None = None) -> str:
    """`word` as it goes with `count`, without the number: "missing required columns …"."""
    if count == 1:
        return word
    if many is not None:
        return many
    if _IES.search(word):
        return word[:-1] + "ies"
    if _ES.search(word):
        return word + "es"
    return word + "s"


def percent(value: float | None) -> str:
    """A chance as a percentage that never rounds a small chance to 0% or a near one to 100%."""
    if value is None:
        return "—"
    if 0 < value < 0.01:
        return "<1%"
    if 0.99 < value < 1:
        return ">99%"
    return f"{value:.0%}"
