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
