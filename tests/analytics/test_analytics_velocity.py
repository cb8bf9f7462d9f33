"""Velocity with Jira's definitions, checked by hand on the worked sprint."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from analytics_builders import Board, at, sprint, worked_sprint

from mlboard.analytics.velocity import (
    average_velocity,
    closed_sprints,
    sprint_velocity,
    velocity_chart,
)
from mlboard.domain import SprintState


def test_worked_sprint_committed_and_completed() -> None:
    board, s1 = worked_sprint()
    row = sprint_velocity(s1, board.stories())
    # committed: in S1 at the start, points at the start:
    #   A 3 + B 5 (re-estimated to 8 later: excluded) + C 2 + E 1 + F unestimated 0 = 11
    #   D (added Monday 11th) and G (created in the sprint on the 12th) are not committed.
    assert row.committed == pytest.approx(11)
    # completed: in S1 and done at the close, points at the close:
    #   A 3 + B 8 (the new estimate) + D 3 (added mid-sprint) + F 0 = 14
    #   C (moved out by the close, not done), E (removed), G (not done) do not count.
    assert row.completed == pytest.approx(14)


def _series(completed: list[float]) -> tuple[Board, list]:
    """One closed two-week sprint per value, each holding one done story of that many points."""
    board, sprints = Board(), []
    for index, points in enumerate(completed):
        start = date(2024, 1, 1) + timedelta(days=14 * index)
        span = sprint(f"S{index}", start, start + timedelta(days=11))
        board.create(f"ML-{index}", at(start, 8), points=points, sprint=span.name)
        board.set(f"ML-{index}", at(start + timedelta(days=3)), "status", "done")
        sprints.append(span)
    return board, sprints


def test_average_of_the_last_three_closed_sprints() -> None:
    board, sprints = _series([10, 20, 5, 8, 11])
    # last three: 5, 8, 11 → (5 + 8 + 11) / 3 = 8
    assert average_velocity(sprints, board.stories()) == pytest.approx(8)
    assert average_velocity(sprints, board.stories(), last=5) == pytest.approx(54 / 5)


def test_chart_shows_at_most_seven_sprints_oldest_first() -> None:
    board, sprints = _series([float(n) for n in range(1, 10)])
    rows = velocity_chart(list(reversed(sprints)), board.stories())
    assert [row.sprint for row in rows] == [f"S{n}" for n in range(2, 9)]
    assert [row.completed for row in rows] == [3, 4, 5, 6, 7, 8, 9]


def test_open_sprints_do_not_count_and_no_sprint_means_no_velocity() -> None:
    board, sprints = _series([4, 6])
    active = sprint("S9", date(2024, 3, 1), date(2024, 3, 12), state=SprintState.ACTIVE)
    assert [s.name for s in closed_sprints([*sprints, active])] == ["S0", "S1"]
    assert average_velocity([active], board.stories()) is None
    assert velocity_chart(sprints, board.stories(), last=0) == []
