"""Member handles: what a valid one is, and the handle an imported display name gets.

A handle is what people type after `@` (board filter, `--assignee`) and what JSON and exports
carry. It is up to 32 characters: lowercase letters of any script, combining marks, digits, '.',
'_' and '-', starting with a letter or digit, in Unicode's composed form (NFC). So `ana`,
`j.smith`, `王伟`, `иван.петров` and `राहुल.शर्मा` are all handles, and none of them needs
escaping in a filter, a JSON key or Markdown.

From a display name (`handle_for`): Latin letters lose their accents (`Zoë O'Neil` ->
`zoe.oneil`, `Søren` -> `soren`), every other script is kept as written, lowercased (`王伟` ->
`王伟`, `Иван Петров` -> `иван.петров`), words are joined by '.'. A name without any letter or
digit becomes `member`.

Two people are never merged silently (`assign_handles`): a name already on the team keeps its
member's handle, re-import after re-import; a new name whose handle is taken gets the next free
`-2`, `-3`, ... (`José` and `Jose` become `jose` and `jose-2`, in name order, so the outcome does
not depend on the order of rows in a file).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

HANDLE_MAX = 32
HANDLE_RULE = (
    "use lowercase letters (any script), digits, '.', '_' or '-', starting with a letter or "
    f"digit (up to {HANDLE_MAX}, e.g. ana, j.smith or 王伟)"
)
FALLBACK = "member"
_LATIN_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"}
)
_APOSTROPHES = dict.fromkeys(map(ord, "'’ʼ"))


class AmbiguousName(ValueError):
    """Several members of the team have the display name an import gives: which one is meant?"""

    def __init__(self, name: str, handles: list[str]) -> None:
        super().__init__(name, handles)
        self.name = name
        self.handles = handles


def typed_handle(text: str) -> str:
    """A handle as someone typed it (`@ana`, a decomposed `é` from a Mac) in its stored form."""
    return unicodedata.normalize("NFC", text.strip().removeprefix("@"))


def is_handle(text: str) -> bool:
    if not 1 <= len(text) <= HANDLE_MAX or text != text.lower():
        return False
    if unicodedata.normalize("NFC", text) != text or not _is_word_start(text[0]):
        return False
    return all(_is_word_char(char) or char in "._-" for char in text)


def handle_for(name: str) -> str:
    """The handle a display name suggests ("Zoë O'Neil" -> "zoe.oneil", "王伟" -> "王伟")."""
    text = unicodedata.normalize("NFKC", name).lower().translate(_LATIN_LETTERS)
    kept: list[str] = []
    for char in unicodedata.normalize("NFD", text.translate(_APOSTROPHES)):
        if not (unicodedata.combining(char) and kept and kept[-1].isascii()):
            kept.append(char)  # accents on Latin letters go; other scripts' marks stay
    words: list[str] = []
    word = ""
    for char in unicodedata.normalize("NFC", "".join(kept)):
        if _is_word_start(char) or (word and _is_word_char(char)):
            word += char
        elif word:
            words.append(word)
            word = ""
    handle = ".".join([*words, word] if word else words)[:HANDLE_MAX].rstrip(".")
    return handle or FALLBACK


def assign_handles(
    names: Iterable[str], members: Iterable[tuple[str, str]]
) -> tuple[dict[str, str], dict[str, str]]:
    """Handles for the display `names` of an import, given the team's `(handle, name)` pairs.

    Returns `(handles, adopted)`. `handles` maps each name (in `same_name` form) to a handle: a
    member's who has that name, else a new, unused one. `adopted` lists the members added with a
    handle only (their name is the handle) that a new name suggests exactly, e.g. `ana.lima`
    for "Ana Lima": handle -> the name to give them, so the next import finds them by name.
    Raises AmbiguousName when a name belongs to several members.
    """
    by_name: dict[str, list[str]] = {}
    for handle, name in members:
        by_name.setdefault(same_name(name), []).append(handle)
    taken = {handle for known in by_name.values() for handle in known}
    handle_only = {handle for name, known in by_name.items() for handle in known if handle == name}
    wanted = sorted({same_name(name) for name in names if name.strip()})
    handles: dict[str, str] = {}
    for name in wanted:
        known = by_name.get(name, [])
        if len(known) > 1:
            raise AmbiguousName(name, sorted(known))
        if known:
            handles[name] = known[0]
    adopted: dict[str, str] = {}
    for name in wanted:
        if name in handles:
            continue
        base = handle_for(name)
        if base in handle_only and base not in handles.values() and base not in adopted:
            handles[name], adopted[base] = base, name
        else:
            handles[name] = _free(base, taken)
            taken.add(handles[name])
    return handles, adopted


def same_name(name: str) -> str:
    """The form two display names are compared in: composed (NFC), without outer spaces."""
    return unicodedata.normalize("NFC", name.strip())


def _free(base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3`, ... (cut to fit): the first one nobody has."""
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        suffix = f"-{number}"
        candidate = base[: HANDLE_MAX - len(suffix)].rstrip("._-") + suffix
    return candidate


def _is_word_start(char: str) -> bool:
    return char.isalpha() or char.isdecimal()


def _is_word_char(char: str) -> bool:
    return _is_word_start(char) or unicodedata.category(char).startswith("M")
