"""The shared OpenLineage files the parser and ingest tests read, and what each holds.

The files live outside the repo (../shared/data/openlineage, see its README); they are read in
place, never copied. One table serves both the parser and the ingest tests, so a new file is
listed once and both check it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "openlineage"
# Skipped where the shared files are absent, never in CI (CI=1): there they must be read.
needs_data = pytest.mark.skipif(
    not DATA.is_dir() and not os.environ.get("CI"), reason="shared OpenLineage files not present"
)

# Every shared file: (valid events, invalid events). A new file must be added here.
EXPECTED = {
    **{f"compat-airflow/line_0{n}.json": (1, 0) for n in range(1, 9)},
    "compat-spark-hive/2.json": (1, 0),
    "compat-spark/1729097588979.json": (1, 0),
    "compat-spark/1729097615509.json": (1, 0),
    "compat-spark/1729097631761.json": (1, 0),
    "compat-spark/1729097631884.json": (1, 0),
    "marquez/event_full.json": (1, 0),
    "marquez/event_simple.json": (1, 0),
    "marquez/metadata.template.json": (0, 26),
    "openlineage-repo/failed_run_ol_events.json": (0, 8),
    "openlineage-repo/openlineage-event.json": (1, 0),
}
