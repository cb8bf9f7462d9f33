"""Writing files whole: a user's export or saved digest is all there, or not there at all."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from mlboard.errors import UserError


def write_atomically(path: Path, text: str) -> None:
    """All of `text` at `path`, or nothing: a temporary file beside it, then one rename."""
    if not path.parent.is_dir():
        raise UserError(f"folder {path.parent} does not exist")
    if path.is_dir():
        raise UserError(f"{path} is a folder: give a file name")
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    except OSError as error:
        raise UserError(f"cannot write in {path.parent}: {error.strerror}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise UserError(f"cannot write {path}: {error.strerror}") from None
