"""Tests read nothing outside the checkout: no sibling folder, no real home folder.

A fresh clone must pass on a machine that has only the repository. An audit hook sees every file
the test process opens or lists; paths in the checkout's parent folder (other than the checkout)
or in the user's home folder (other than Python's own installation) are recorded, and the test
that touched them fails. Temporary folders, Python and system files are outside both and pass.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
_PYTHON = tuple(
    {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.executable)}
)
_FORBIDDEN = (CHECKOUT.parent, Path.home().resolve())
_EVENTS = {"open", "os.listdir", "os.scandir"}

touched: list[str] = []


def _outside(path: Path) -> bool:
    if path.is_relative_to(CHECKOUT) or any(path.is_relative_to(p) for p in _PYTHON):
        return False
    return any(path.is_relative_to(root) for root in _FORBIDDEN)


def _hook(event: str, args: tuple[object, ...]) -> None:
    if event not in _EVENTS or not args or not isinstance(args[0], str | bytes | os.PathLike):
        return
    try:
        path = Path(os.fsdecode(args[0]))
        if not path.is_absolute():
            path = Path.cwd() / path
        path = Path(os.path.normpath(path))
    except (OSError, ValueError):
        return
    if _outside(path):
        touched.append(str(path))


def install() -> None:
    """Start watching (once per process: audit hooks cannot be removed)."""
    sys.addaudithook(_hook)
