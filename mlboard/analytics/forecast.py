"""Monte Carlo forecasts from daily throughput: "when will N stories be done".

The method is ActionableAgile's (Daniel Vacanti, "When Will It Be Done?"): take the number of
stories finished on each day of a recent window, and simulate the future many times by drawing a
past day at random (with replacement) for every future day. Percentiles of the simulated outcomes
give the forecast at 50/85/95% confidence. Simulated days match the history: calendar days unless
the history was sampled on working days only.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

import numpy as np

from mlboard.analytics.montecarlo import finish_steps
from mlboard.analytics.workdays import WorkCalendar, date_range
from mlboard.wording import plural

CONFIDENCES = (50, 85, 95)
DEFAULT_RUNS = 10_000
HISTORY_DAYS = 30
HORIZON_DAYS = 3 * 365 + 1  # simulated runs that have not finished by then count as unfinished


@dataclass(frozen=True, slots=True)
class Throughput:
    """Stories finished per sampled day, oldest first, over [first_day, last_day].

    `calendar` None means every calendar day was sampled; otherwise only its working days were,
    and forecasts then simulate working days only.
    """

    counts: tuple[int, ...]
    first_day: date | None = None
    last_day: date | None = None
    calendar: WorkCalendar | None = None

    @property
    def problem(self) -> str | None:
        """Why no forecast can be made from this history, or None if one can."""
        if not self.counts:
            return "no throughput history: the window holds no sampled day"
        if not any(self.counts):
            return f"no story finished in the {len(self.counts)}-day history window"
        return None


def daily_throughput(
    done_at: Iterable[datetime],
    now: datetime,
    *,
    days: int = HISTORY_DAYS,
    calendar: WorkCalendar | None = None,
    tz: tzinfo = UTC,
) -> Throughput:
    """Count completions per day over the `days` whole days before `now` (today excluded, as it
    is not over), zero days included; `done_at` holds one moment per story.

    With a `calendar`, only its working days are sampled; a completion on a non-working day is
    counted on the next working day of the window, or the previous one if none follows.
    """
    if days < 1:
        raise ValueError(f"the history window needs at least one day, got {days}")
    last = now.astimezone(tz).date() - timedelta(days=1)
    first = last - timedelta(days=days - 1)
    sampled = list(date_range(first, last))
    if calendar is not None:
        sampled = [day for day in sampled if calendar.is_working(day)]
    slot = {day: index for index, day in enumerate(sampled)}
    counts = [0] * len(sampled)
    for moment in done_at:
        day = moment.astimezone(tz).date()
        if not first <= day <= last or not sampled:
            continue
        index = slot.get(day)
        if index is None:  # a non-working day: the next working day, else the previous one
            index = min(bisect_right(sampled, day), len(sampled) - 1)
        counts[index] += 1
    return Throughput(tuple(counts), first, last, calendar)


def _simulated_days(start: date, calendar: WorkCalendar | None, horizon_days: int) -> list[date]:
    """The dates the simulation steps through: day 0 is `start` (or its first working day)."""
    end = start + timedelta(days=horizon_days - 1)
    return calendar.working_days(start, end) if calendar else list(date_range(start, end))


def _rank(confidence: float, runs: int) -> int:
    """Nearest rank: how many of `runs` sorted outcomes make up `confidence` percent."""
    return max(1, math.ceil(round(confidence * runs / 100, 9)))


def _date_at(steps: np.ndarray, days: tuple[date, ...], confidence: float) -> date | None:
    """The finishing date of the run at `confidence`'s nearest rank among sorted `steps`."""
    if steps.size == 0:
        return None
    step = int(steps[_rank(confidence, steps.size) - 1])
    return days[step] if step < len(days) else None


@dataclass(frozen=True, slots=True)
class WhenForecast:
    """Simulated completion dates of `remaining` stories starting on `start`.

    pXX: the date by which XX% of runs had finished (nearest rank over the runs sorted by their
    finishing date; None if that many runs did not finish within the horizon, or no forecast).
    """

    remaining: int
    start: date
    runs: int
    p50: date | None
    p85: date | None
    p95: date | None
    finished_runs: int
    reason: str | None
    _steps: np.ndarray = field(repr=False, compare=False)
    _days: tuple[date, ...] = field(repr=False, compare=False)

    @property
    def unfinished_runs(self) -> int:
        """Runs still short of `remaining` at the horizon (all of them if no forecast)."""
        return self.runs - self.finished_runs

    def at(self, confidence: float) -> date | None:
        """The date by which `confidence` percent of runs finished."""
        return _date_at(self._steps, self._days, confidence)

    def p_finish_by(self, day: date) -> float | None:
        """Share of runs that finished on or before `day` (None when no forecast was possible)."""
        if self._steps.size == 0:
            return None
        steps_by = bisect_right(self._days, day)
        return int(np.searchsorted(self._steps, steps_by, side="left")) / self.runs


def forecast_when(
    throughput: Throughput,
    remaining: int,
    start: date,
    *,
    runs: int = DEFAULT_RUNS,
    seed: int | None = None,
    horizon_days: int = HORIZON_DAYS,
) -> WhenForecast:
    """When will `remaining` stories be done, starting on `start` (which counts as day one)?

    Each run draws, for each simulated day from `start` on, the throughput of a random day of the
    history, until the total reaches `remaining`; its finishing date is that day. Runs still short
    after `horizon_days` calendar days are reported as unfinished. Same `seed`, same answer.
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    days = tuple(_simulated_days(start, throughput.calendar, horizon_days))
    problem = throughput.problem
    if remaining <= 0:
        steps = np.zeros(runs, dtype=np.int64)
        problem = None
    elif problem is not None or not days:
        problem = problem or "the horizon holds no working day"
        return WhenForecast(remaining, start, runs, None, None, None, 0, problem, np.empty(0), days)
    else:
        history = np.asarray(throughput.counts, dtype=np.int64)
        rng = np.random.default_rng(seed)
        steps = np.sort(finish_steps(history, remaining, len(days), runs, rng))
    finished = int(np.count_nonzero(steps < len(days)))
    if finished < runs:
        problem = (
            f"{runs - finished} of {plural(runs, 'run')} did not finish within "
            f"{plural(horizon_days, 'day')}"
        )
    p50, p85, p95 = (_date_at(steps, days, c) for c in CONFIDENCES)
    return WhenForecast(remaining, start, runs, p50, p85, p95, finished, problem, steps, days)
