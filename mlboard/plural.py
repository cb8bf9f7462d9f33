"""Counts as people write them: "1 day", "0 days", "2.5 points", never "day(s)".

One helper for every face of the board (CLI lines, the services' text renderers, TUI labels), so
a count reads the same everywhere. JSON keeps its own keys and numbers; this is for text only.
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
