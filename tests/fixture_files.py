"""Where the third-party files the tests read live: tests/fixtures (provenance in its README)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent / "fixtures"
JIRA = FIXTURES / "jira"
JIRA_CLEAN = JIRA / "ericmedlock-planeso-export.csv"
JIRA_DAMAGED = JIRA / "ckiw-damaged-export.csv"
OPENLINEAGE = FIXTURES / "openlineage"
