"""Monte Carlo forecasts: exact answers on constant histories, agreement with a naive day-by-day
simulation, determinism under a seed, impossible forecasts, and speed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest
from analytics_builders import Board

from mlboard.analytics.forecast import (
    Throughput,
    completion_times,
    daily_throughput,
    forecast_how_many,
    forecast_when,
    p_finish_by,
)
from mlboard.analytics.workdays import WorkCalendar

START = date(2024, 7, 1)  # a Monday
NOW = datetime(2024, 5, 15, 10, tzinfo=UTC)  # Wednesday 15 May 2024
TYPICAL = Throughput((0, 1, 2, 3, 1, 0, 2, 4, 1, 2) * 3)


def test_daily_throughput_counts_whole_days_before_now() -> None:
    done = [
        datetime(2024, 5, 7, 23, tzinfo=UTC),  # before the window
        datetime(2024, 5, 8, 9, tzinfo=UTC),
        datetime(2024, 5, 8, 17, tzinfo=UTC),
        datetime(2024, 5, 10, 12, tzinfo=UTC),
        datetime(2024, 5, 11, 12, tzinfo=UTC),  # a Saturday
        datetime(2024, 5, 14, 23, 59, tzinfo=UTC),
        datetime(2024, 5, 15, 8, tzinfo=UTC),  # today: not over, left out
    ]
    history = daily_throughput(done, NOW, days=7)
    # window Wed 8 .. Tue 14 May, zero days included
    assert (history.first_day, history.last_day) == (date(2024, 5, 8), date(2024, 5, 14))
    assert history.counts == (2, 0, 1, 1, 0, 0, 1)
    working = daily_throughput(done, NOW, days=7, calendar=WorkCalendar())
    # working days Wed 8, Thu 9, Fri 10, Mon 13, Tue 14; Saturday's story counts on Monday 13th
    assert working.counts == (2, 0, 1, 1, 1)


def test_a_reopened_story_counts_once_on_its_last_done() -> None:
    t0 = datetime(2024, 5, 1, 9, tzinfo=UTC)
    board = Board().create("R", t0).set("R", t0 + timedelta(days=1), "status", "done")
    board.set("R", t0 + timedelta(days=2), "status", "in_progress")
    board.set("R", t0 + timedelta(days=5), "status", "done")
    board.create("OPEN", t0).set("OPEN", t0 + timedelta(days=1), "status", "done")
    board.set("OPEN", t0 + timedelta(days=3), "status", "in_progress")  # reopened, not done now
    assert completion_times(board.stories()) == [t0 + timedelta(days=5)]


def test_constant_throughput_gives_exact_dates() -> None:
    # one story a day, start counts as day one: the 10th story lands on 10 July
    forecast = forecast_when(Throughput((1,) * 30), 10, START, seed=1)
    assert forecast.p50 == forecast.p85 == forecast.p95 == date(2024, 7, 10)
    assert forecast.p_finish_by(date(2024, 7, 9)) == 0.0
    assert forecast.p_finish_by(date(2024, 7, 10)) == 1.0
    # long forecasts leap over days on which no run can finish; still exact
    long = forecast_when(Throughput((1,) * 30), 500, START, seed=1)
    assert long.p95 == START + timedelta(days=499)
    # two a day: 5 stories need 3 days (2, 4, 6)
    assert forecast_when(Throughput((2,) * 5), 5, START).p50 == date(2024, 7, 3)
    assert forecast_when(Throughput((2,) * 5), 0, START).p95 == START  # nothing left


def test_working_day_history_simulates_working_days() -> None:
    history = Throughput((1,) * 5, calendar=WorkCalendar())
    # from Friday 5 July: Fri 5, Mon 8, Tue 9, Wed 10, Thu 11, Fri 12 → the 6th story on the 12th
    assert forecast_when(history, 6, date(2024, 7, 5)).p50 == date(2024, 7, 12)
    # 1 – 14 July holds 10 working days: 2 a day → 20
    many = forecast_how_many(
        Throughput((2,) * 5, calendar=WorkCalendar()), START, date(2024, 7, 14)
    )
    assert many.p50 == many.p85 == many.p95 == 20


def _naive_finish_days(
    history: tuple[int, ...], remaining: int, runs: int, days: int
) -> np.ndarray:
    """Reference: draw a history day for every simulated day, one full matrix."""
    rng = np.random.default_rng(99)
    totals = np.cumsum(np.asarray(history)[rng.integers(0, len(history), (runs, days))], axis=1)
    return np.sort((totals >= remaining).argmax(axis=1))


@pytest.mark.parametrize(
    ("history", "remaining", "days"),
    [
        ((0, 1, 2, 3, 0, 0, 5), 40, 120),  # dense: day-by-day draws
        ((0,) * 25 + (1, 2, 1, 3, 1), 20, 600),  # sparse: jumps between finishing days
        ((1, 2, 3) * 10, 600, 400),  # long: leaps first
    ],
)
def test_fast_simulation_matches_a_naive_one(
    history: tuple[int, ...], remaining: int, days: int
) -> None:
    naive = _naive_finish_days(history, remaining, 4000, days)
    fast = forecast_when(Throughput(history), remaining, START, seed=3)
    for confidence, tolerance in ((50, 2), (85, 3), (95, 4)):
        expected = START + timedelta(days=int(naive[int(confidence * 40) - 1]))
        got = fast.at(confidence)
        assert got is not None
        assert abs((got - expected).days) <= tolerance, (confidence, got, expected)


def test_same_seed_same_forecast() -> None:
    first = forecast_when(TYPICAL, 60, START, seed=7)
    again = forecast_when(TYPICAL, 60, START, seed=7)
    assert (first.p50, first.p85, first.p95) == (again.p50, again.p85, again.p95)
    assert first.p_finish_by(date(2024, 7, 31)) == again.p_finish_by(date(2024, 7, 31))
    many = forecast_how_many(TYPICAL, START, date(2024, 7, 31), seed=7)
    assert many == forecast_how_many(TYPICAL, START, date(2024, 7, 31), seed=7)
    other = forecast_when(TYPICAL, 60, START, seed=8)  # may differ, but stays close
    assert other.p50 is not None and first.p50 is not None
    assert abs((other.p50 - first.p50).days) <= 2
    assert p_finish_by(TYPICAL, 60, START, date(2024, 7, 31), seed=7) == first.p_finish_by(
        date(2024, 7, 31)
    )


def test_how_many_reads_percentiles_from_the_top() -> None:
    many = forecast_how_many(TYPICAL, START, date(2024, 7, 30), seed=1)  # 30 days, mean 1.6/day
    assert many.p50 is not None and many.p85 is not None and many.p95 is not None
    assert many.p95 <= many.p85 <= many.p50
    assert 40 <= many.p50 <= 56
    assert forecast_how_many(TYPICAL, START, START - timedelta(days=1)).p50 == 0  # empty span


@pytest.mark.parametrize("history", [Throughput(()), Throughput((0,) * 30)])
def test_impossible_forecasts_say_why(history: Throughput) -> None:
    when = forecast_when(history, 5, START, seed=1)
    assert (when.p50, when.p85, when.p95) == (None, None, None)
    assert when.reason and when.unfinished_runs == when.runs
    assert when.p_finish_by(date(2030, 1, 1)) is None
    many = forecast_how_many(history, START, date(2024, 8, 1))
    assert many.p50 is None and many.reason


def test_runs_beyond_the_horizon_are_unfinished() -> None:
    forecast = forecast_when(Throughput((1,) + (0,) * 29), 1000, START, seed=1)
    assert forecast.finished_runs == 0 and forecast.p50 is None
    assert forecast.reason is not None and "did not finish" in forecast.reason
    assert forecast.p_finish_by(date(2030, 1, 1)) == 0.0
