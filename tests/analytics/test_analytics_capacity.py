"""Capacity with Azure Boards' rule: overlapping days off count once."""

from __future__ import annotations

from datetime import date

import pytest

from mlboard.analytics.capacity import (
    Member,
    TeamCapacity,
    capacity_summary,
    member_capacity,
    team_capacity,
)

START, END = date(2024, 3, 4), date(2024, 3, 15)  # Mon 4 – Fri 15 March: 10 working days
TEAM_OFF = {date(2024, 3, 8), date(2024, 3, 9)}  # Fri 8 (a working day) and Sat 9 (a weekend)


def test_overlapping_days_off_count_once() -> None:
    alice = ("alice", 6.0, {date(2024, 3, 8), date(2024, 3, 10), date(2024, 3, 11)})
    bob = Member("bob", 4.0)
    team = team_capacity([alice, bob], START, END, team_days_off=TEAM_OFF)
    # working days 10; team days off: Fri 8 only (Sat 9 is a weekend) → 9 for everyone.
    assert (team.working_days, team.team_days_off) == (10, 1)
    # alice: Fri 8 is already a team day off, Sun 10 is a weekend, Mon 11 counts → 9 − 1 = 8 days
    #        8 × 6 h = 48 h
    # bob:   9 days × 4 h = 36 h
    assert [(m.handle, m.available_days, m.days_off, m.capacity) for m in team.members] == [
        ("alice", 8, 1, 48.0),
        ("bob", 9, 0, 36.0),
    ]
    assert team.total == 84.0


def test_working_weekdays_are_configurable() -> None:
    # a Sunday–Thursday team: Sun 10 is a working day, Fri 8 is not.
    row = member_capacity(("dana", 1.0, set()), START, END, weekdays={6, 0, 1, 2, 3})
    # Mon4 Tue5 Wed6 Thu7 Sun10 Mon11 Tue12 Wed13 Thu14 = 9 days
    assert row.available_days == 9


def test_summary_compares_commitment_capacity_and_velocity() -> None:
    team = TeamCapacity(10, 0, (), 40.0)
    summary = capacity_summary(30, team, average_velocity=25)
    assert summary.load == pytest.approx(0.75) and not summary.over_capacity
    assert summary.velocity_load == pytest.approx(1.2) and summary.over_velocity
    unknown = capacity_summary(30, 0.0, None)
    assert unknown.load is None and unknown.velocity_load is None and unknown.over_velocity is None
    assert unknown.over_capacity
