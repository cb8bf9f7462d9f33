"""Estimate accuracy per kind: points, cycle days, days per point and timebox overruns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from analytics_builders import Board

from mlboard.analytics.estimates import estimate_accuracy

T0 = datetime(2024, 6, 3, 9, tzinfo=UTC)


def _finished(
    board: Board,
    key: str,
    kind: str,
    cycle_days: float,
    *,
    points: float | None = None,
    timebox_days: float | None = None,
) -> None:
    board.create(key, T0, kind=kind, points=points, timebox_days=timebox_days)
    board.set(key, T0, "status", "in_progress")
    board.set(key, T0 + timedelta(days=cycle_days), "status", "done")


def test_estimate_accuracy_per_kind() -> None:
    board = Board()
    _finished(board, "M1", "model", 2, points=1)
    _finished(board, "M2", "model", 6, points=3)
    _finished(board, "M3", "model", 9)
    _finished(board, "R1", "research", 4, timebox_days=5)
    _finished(board, "R2", "research", 7, timebox_days=5)
    _finished(board, "R3", "research", 3, points=0, timebox_days=2)
    board.create("OPEN", T0, kind="model", points=8)  # not done: not counted
    report = estimate_accuracy(board.stories())
    assert list(report) == ["model", "research"]
    model = report["model"]
    # 3 done stories, 2 estimated: mean (1 + 3) / 2 = 2; median cycle of 2, 6, 9 = 6;
    # days per point: median of 2/1 = 2 and 6/3 = 2 → 2 (M3 is unestimated)
    assert (model.stories, model.estimated) == (3, 2)
    assert model.mean_points == pytest.approx(2)
    assert model.median_cycle_days == pytest.approx(6)
    assert model.days_per_point == pytest.approx(2)
    assert (model.timeboxed, model.overran, model.overrun_share) == (0, 0, None)
    research = report["research"]
    # timeboxes: R1 4 ≤ 5 ok, R2 7 > 5 overran, R3 3 > 2 overran → 2 of 3
    assert (research.timeboxed, research.overran) == (3, 2)
    assert research.overrun_share == pytest.approx(2 / 3)
    # R3 has 0 points: excluded from days per point, so none is left
    assert research.days_per_point is None
    assert research.mean_points == pytest.approx(0)
