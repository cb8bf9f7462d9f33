"""Exact answers for the Monte Carlo forecasts, to check the simulated ones against.

The forecast draws each future day's throughput from the history, independently: the total
after d days is the sum of d independent draws, whose distribution is the history's one
convolved d times. So "P(the remaining stories are done within d days)" is exact arithmetic,
with no simulation, and each percentile is the first day that probability reaches it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta, tzinfo


def daily_counts(
    done_at: Iterable[datetime], today: date, zone: tzinfo, days: int = 30
) -> list[int]:
    """Stories done per day of `zone` over the `days` whole days before `today`."""
    first = today - timedelta(days=days)
    counts = Counter(moment.astimezone(zone).date() for moment in done_at)
    return [counts[first + timedelta(days=n)] for n in range(days)]


def finished_within(history: list[int], remaining: int, days: int) -> list[float]:
    """[P(done within 1 day), …, P(done within `days` days)] for `remaining` stories."""
    draws = {value: count / len(history) for value, count in Counter(history).items()}
    totals = {0: 1.0}  # distribution of the stories done so far, capped at `remaining`
    chances = []
    for _ in range(days):
        after: Counter[int] = Counter()
        for total, chance in totals.items():
            for value, share in draws.items():
                after[min(total + value, remaining)] += chance * share
        totals = dict(after)
        chances.append(totals.get(remaining, 0.0))
    return chances


def percentile_date(chances: list[float], start: date, confidence: float) -> date | None:
    """The first date (day 1 = `start`) by which `confidence` percent of futures finished."""
    day = next((n for n, chance in enumerate(chances) if chance >= confidence / 100), None)
    return None if day is None else start + timedelta(days=day)


def assert_percentile(simulated: date | None, chances: list[float], start: date, confidence: float):
    """The simulated date is the exact one, or a day off where the exact chance passes the level
    so closely (within 0.02) that 10,000 simulated futures may land on either side."""
    exact = percentile_date(chances, start, confidence)
    if simulated == exact:
        return
    assert simulated is not None and exact is not None, (confidence, simulated, exact)
    index, level = (simulated - start).days, confidence / 100
    near = [chances[i] for i in (index - 1, index) if 0 <= i < len(chances)]
    assert abs((simulated - exact).days) == 1, (confidence, simulated, exact)
    assert any(abs(chance - level) < 0.02 for chance in near), (confidence, simulated, exact)
