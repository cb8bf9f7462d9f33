"""Monte Carlo forecasts: exact answers on constant histories, agreement with a naive day-by-day
simulation, determinism under a seed, impossible forecasts, and speed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from mlboard.analytics.forecast import Throughput, daily_throughput, forecast_when
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
    other = forecast_when(TYPICAL, 60, START, seed=8)  # may differ, but stays close
    assert other.p50 is not None and first.p50 is not None
    assert abs((other.p50 - first.p50).days) <= 2


@pytest.mark.parametrize("history", [Throughput(()), Throughput((0,) * 30)])
def test_impossible_forecasts_say_why(history: Throughput) -> None:
    when = forecast_when(history, 5, START, seed=1)
    assert (when.p50, when.p85, when.p95) == (None, None, None)
    assert when.reason and when.unfinished_runs == when.runs
    assert when.p_finish_by(date(2030, 1, 1)) is None


def test_runs_beyond_the_horizon_are_unfinished() -> None:
    forecast = forecast_when(Throughput((1,) + (0,) * 29), 1000, START, seed=1)
    assert forecast.finished_runs == 0 and forecast.p50 is None
    assert forecast.reason is not None and "did not finish" in forecast.reason
    assert forecast.p_finish_by(date(2030, 1, 1)) == 0.0
