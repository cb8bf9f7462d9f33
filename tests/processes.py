"""The environment of an `mlboard` child process: bare, so nothing of the developer's leaks in.

A child gets PATH, HOME and what the test gives; it also keeps what makes it run this checkout
and be measured like the test itself: PYTHONPATH, the test's time zone, and coverage's
subprocess settings (`COVERAGE_*`), without which `python -m mlboard` runs count for nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

KEPT = ("PYTHONPATH", "TZ")


def child_env(home: Path, **values: str) -> dict[str, str]:
    kept = {
        name: value
        for name, value in os.environ.items()
        if name in KEPT or name.startswith("COVERAGE_")
    }
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), **kept, **values}
