"""The environment of an `mlboard` child process: bare, so nothing of the developer's leaks in.

A child gets PATH, a HOME of its own (so its user folders are there too) and what the test
gives; it runs this checkout's code (PYTHONPATH) and keeps what makes it be measured like the
test itself: the test's time zone and coverage's subprocess settings (`COVERAGE_*`), without
which `python -m mlboard` runs count for nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

SOURCE = Path(__file__).resolve().parents[1]
KEPT = ("TZ",)


def child_env(home: Path, **values: str) -> dict[str, str]:
    kept = {
        name: value
        for name, value in os.environ.items()
        if name in KEPT or name.startswith("COVERAGE_")
    }
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "PYTHONPATH": str(SOURCE), **kept, **values}
