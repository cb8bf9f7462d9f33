"""`mlboard member off` as a team lead records holidays: what it says, what planning counts, and
the mistakes it refuses (one line, exit 2, nothing written)."""

from __future__ import annotations

from datetime import date

import pytest

from mlboard.errors import UserError
from mlboard.services.members import availability
from mlboard.services.workspace import open_workspace

from cli_runs import Mlboard, mlboard_in


@pytest.fixture
def mlboard(tmp_path, monkeypatch, clock) -> Mlboard:
    mlboard = mlboard_in(tmp_path, monkeypatch, clock=clock)
    mlboard.ok("member", "add", "ana", "--name", "Ana Souza", "--points-per-day", "1.5")
    return mlboard


def days_off(mlboard: Mlboard):
    from mlboard.config import Settings

    ws = open_workspace(Settings(database=mlboard.database, database_origin="test"))
    try:
        return availability(ws)
    finally:
        ws.close()


def test_days_off_for_a_member_and_the_team_are_recorded_and_taken_back(mlboard):
    said = mlboard.ok("member", "off", "ana", "--from", "2026-12-21", "--until", "2026-12-23",
                      "--reason", "conference")  # fmt: skip
    assert said.strip() == "added 3 days off for ana"
    assert mlboard.ok("member", "off", "--team", "--from", "2026-12-25").strip() == (
        "added 1 day off for team"
    )
    again = mlboard.ok("member", "off", "ana", "--from", "2026-12-22", "--until", "2026-12-23")
    assert again.strip() == "added 0 days off for ana"  # already off: nothing new
    off = days_off(mlboard)
    assert off.members == {"ana": {date(2026, 12, 21), date(2026, 12, 22), date(2026, 12, 23)}}
    assert off.team == {date(2026, 12, 25)}
    removed = mlboard.ok("member", "off", "ana", "--from", "2026-12-22", "--remove")
    assert removed.strip() == "removed 1 day off for ana"
    assert days_off(mlboard).members == {"ana": {date(2026, 12, 21), date(2026, 12, 23)}}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-12-21"], "name a member, or use --team"),
        (["ana", "--team", "--from", "2026-12-21"], "name a member, or use --team"),
        (["ana"], "--from: '' is not a date like 2026-12-24"),
        (["ana", "--from", "21/12/2026"], "--from: '21/12/2026' is not a date"),
        (["ana", "--from", "2026-12-21", "--until", "Friday"], "--until: 'Friday' is not a date"),
        (["ana", "--from", "2026-12-23", "--until", "2026-12-21"], "2026-12-21 is before"),
        (["zoe", "--from", "2026-12-21"], "zoe"),
    ],
    ids=["nobody", "both", "no-from", "bad-from", "bad-until", "backwards", "unknown-member"],
)
def test_a_mistake_is_refused_in_one_line_and_writes_nothing(mlboard, args, message):
    result = mlboard("member", "off", *args)
    assert isinstance(result.exception, UserError), result.output
    assert result.exception.exit_code == 2
    assert message in result.exception.message
    assert "\n" not in result.exception.message
    off = days_off(mlboard)
    assert (off.members, off.team) == ({}, set())
