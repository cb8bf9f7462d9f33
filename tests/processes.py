"""The environment of an `mlboard` child process: bare, so nothing of the developer's leaks in.

A child gets PATH, a HOME of its own (so its user folders are there too) and what the test
gives; it runs this checkout's code (PYTHONPATH) and keeps what makes it be measured like the
test itself: the test's time zone and coverage's subprocess settings (`COVERAGE_*`), without
which `python -m mlboard` runs count for nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


def run_mlboard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`mlboard ARGS` as its executable, in `cwd` (its home too), for the user `tester`: its
    exit code and what it printed."""
    return subprocess.run(
        [sys.executable, "-m", "mlboard", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=child_env(cwd, MLBOARD_USER="tester"),
        check=False,
    )


def script_answer(script: str, *args: str, cwd: Path) -> dict:
    """Run `script` in a fresh interpreter in `cwd` (its home too); the JSON it printed last."""
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=cwd,
        env=child_env(cwd),
    )
    return json.loads(result.stdout.strip().splitlines()[-1])
