"""The Monte Carlo kernel behind the forecasts: many simulated futures of daily throughput, each
day's throughput drawn at random (with replacement) from the history, vectorised with numpy."""

from __future__ import annotations

import numpy as np

_BLOCK_CELLS = 1 << 20  # draws per vectorised block, to bound memory
_LEAP_DAYS = 32  # leap only when runs can safely skip this many days on average


def _leap(
    history: np.ndarray,
    remaining: int,
    steps: int,
    totals: np.ndarray,
    elapsed: np.ndarray,
    active: np.ndarray,
    rng: np.random.Generator,
) -> None:
    """Advance every run, in place, by days on which it cannot reach `remaining` yet."""
    values, frequency = np.unique(history, return_counts=True)
    chances = frequency / frequency.sum()
    top = int(values[-1])
    while active.size:
        jump = np.minimum((remaining - 1 - totals[active]) // top, steps - elapsed[active])
        if jump.mean() < _LEAP_DAYS:
            return
        totals[active] += rng.multinomial(jump, chances) @ values
        elapsed[active] += jump
        active = active[elapsed[active] < steps]


def finish_steps(
    history: np.ndarray, remaining: int, steps: int, runs: int, rng: np.random.Generator
) -> np.ndarray:
    """Per run, the 0-based simulated day on which the running total reached `remaining`;
    `steps` (one past the horizon) for runs that never did. Vectorised in blocks of draws.

    Dense histories draw a history day for every simulated day. Sparse ones (under a third of the
    days finished anything) use the equivalent form: each day is a finishing day with probability
    p (the share of history days with throughput > 0) and then draws from those non-zero days, so
    the run jumps from one finishing day to the next (gap ~ Geometric(p)) instead of drawing
    hundreds of empty days. Both give the same distribution of outcomes.

    Long forecasts first leap over the days on which a run cannot possibly finish (fewer than
    (remaining − done) / max daily throughput days): the total of J drawn days only depends on
    how often each history value was drawn, one multinomial sample per run.
    """
    nonzero = history[history > 0]
    share = nonzero.size / history.size
    sparse = share < 1 / 3
    pool = nonzero if sparse else history
    finish = np.full(runs, steps, dtype=np.int64)
    totals = np.zeros(runs, dtype=np.int64)
    elapsed = np.zeros(runs, dtype=np.int64)  # simulated days used so far
    active = np.arange(runs)
    _leap(history, remaining, steps, totals, elapsed, active, rng)
    active = active[elapsed < steps]
    per_day = share if sparse else 1.0  # draws per simulated day
    gap = remaining - float(totals.mean())
    expected = min(gap / float(pool.mean()), (steps - float(elapsed.mean())) * per_day)
    block = max(8, int(expected * 1.25) + 4)
    while active.size:
        width = min(block, max(1, _BLOCK_CELLS // active.size))
        values = pool[rng.integers(0, pool.size, size=(active.size, width))]
        done = np.cumsum(values, axis=1, dtype=np.int64) + totals[active, None]
        if sparse:
            gaps = rng.geometric(share, size=(active.size, width))
            days = np.cumsum(gaps, axis=1, dtype=np.int64) + elapsed[active, None]
        else:
            days = np.arange(1, width + 1, dtype=np.int64) + elapsed[active, None]
        reached = done >= remaining
        finished = reached[:, -1]
        hit = reached[finished].argmax(axis=1)
        finish[active[finished]] = days[finished, hit] - 1
        totals[active] = done[:, -1]
        elapsed[active] = days[:, -1]
        active = active[~finished & (elapsed[active] < steps)]
        block *= 2
    return np.minimum(finish, steps)
