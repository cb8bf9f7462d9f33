"""Errors that reach users as one clear line and an exit code, never as a traceback."""

from __future__ import annotations


class UserError(Exception):
    """Something the user can fix: a bad argument, file, key or database.

    The message says what was wrong and where; `exit_code` follows the CLI's convention
    (2 = bad input, 3 = refused by a rule such as a Definition-of-Done gate).
    """

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


def quoted(value: object, limit: int = 80) -> str:
    """`repr()` of a value for an error line, at most `limit` characters, cut with `…`.

    An error quotes what it refuses, and that can be anything a file holds: a 50 MB cell or
    column name must not become a 50 MB "one-line" error. Escapes count too (`'\\x1b'` is 6).
    """
    if not isinstance(value, str):
        text = repr(value)
        return text if len(text) <= limit else text[: limit - 1] + "…"
    text = repr(value[: limit + 1])
    if len(value) <= limit and len(text) <= limit:
        return text
    kept = value[:limit]
    while kept and len(repr(kept + "…")) > limit:
        kept = kept[:-1]
    return repr(kept + "…")
