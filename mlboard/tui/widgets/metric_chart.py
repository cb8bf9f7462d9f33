"""Charts of metrics: a story's target across its runs and over the steps of its best run; one
metric's history for one run or several runs overlaid (the run and compare views).

Imported only when a view has something to chart (the screens mount these lazily), so the
board's first paint never pays for plotext. Names are user text and plotext writes ANSI itself:
what reaches it goes through `text.plain` (printable characters only), and the screens show the
run names in full as literal Content.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual_plotext import PlotextPlot

from mlboard.analytics.training_signals import MetricPoint, TrendPoint
from mlboard.domain import Target
from mlboard.tui.text import plain

VALUE_COLOR = "cyan"
BEST_COLOR = "green"
TARGET_COLOR = "red"
MAX_LEGEND = 10  # runs named in an overlay's legend; more would cover the lines
MAX_STEP_TICKS = 12
FINE_LINES = 5  # an overlay of more runs is drawn at character resolution (see show_histories)
MAX_POINTS = 300  # per line of an overlay: more than a terminal chart has columns for


def thinned(points: Sequence[MetricPoint], most: int = MAX_POINTS) -> Sequence[MetricPoint]:
    """At most `most` points, evenly spread, first and last kept: a run that logged 50,000 steps
    is drawn as fast as one that logged 300, and looks the same at a terminal's resolution."""
    if len(points) <= most:
        return points
    stride = (len(points) - 1) / (most - 1)
    return [points[round(index * stride)] for index in range(most)]


def _limits(values: Sequence[float], target: float | None) -> tuple[float, float]:
    """Y limits that keep both the data and the target line in view, with a small margin."""
    line = [] if target is None else [target]
    low, high = min([*values, *line]), max([*values, *line])
    margin = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
    return low - margin, high + margin


def step_line(xs: Sequence[float], ys: Sequence[float]) -> tuple[list[float], list[float]]:
    """The corners of a staircase through (xs, ys): the best so far holds until beaten."""
    step_x, step_y = [xs[0]], [ys[0]]
    for x, y in zip(xs[1:], ys[1:], strict=True):
        step_x += [x, x]
        step_y += [step_y[-1], y]
    return step_x, step_y


class MetricChart(PlotextPlot):
    """One plotext chart; `show_*` replace what it draws and repaint it once."""

    def _start(self, title: str, xlabel: str) -> None:
        plt = self.plt
        plt.clear_figure()
        plt.title(title)
        plt.xlabel(xlabel)

    def show_runs(self, trend: Sequence[TrendPoint], target: Target) -> None:
        """Each run's value in start order, the best so far as a line, the target as a rule."""
        self._start(f"{target.metric} per run", "run (in start order)")
        plt = self.plt
        xs = list(range(1, len(trend) + 1))
        values = [point.value for point in trend]
        steps_x, steps_y = step_line(xs, [point.best_so_far for point in trend])
        plt.plot(steps_x, steps_y, color=BEST_COLOR, marker="hd", label="best so far")
        plt.scatter(xs, values, marker="●", color=VALUE_COLOR, label="run")  # dots on top
        plt.hline(target.value, TARGET_COLOR)
        plt.ylim(*_limits(values, target.value))
        plt.xlim(0.5, len(xs) + 0.5)
        plt.xticks(xs if len(xs) <= 12 else None)
        self.refresh()

    def show_steps(self, points: Sequence[MetricPoint], target: Target) -> None:
        """The best run's logged history of the target metric, step by step."""
        self._start(f"{target.metric} by step, best run", "step")
        plt = self.plt
        values = [point.value for point in points]
        plt.plot([point.step for point in points], values, color=VALUE_COLOR, marker="hd")
        plt.hline(target.value, TARGET_COLOR)
        plt.ylim(*_limits(values, target.value))
        self.refresh()

    def show_histories(
        self,
        series: Sequence[tuple[str, Sequence[MetricPoint]]],
        metric: str,
        target: Target | None = None,
    ) -> None:
        """`metric` step by step for each (run label, history), overlaid in plotext's colours;
        the target as a rule when it is the target's metric. Labels name the runs in the legend
        (up to MAX_LEGEND of them)."""
        self._start(f"{plain(metric, 60)} by step", "step")
        plt = self.plt
        named = len(series) <= MAX_LEGEND
        # plotext draws a line in half characters ("hd") at ~10 ms a run: twenty would hold the
        # view back a fifth of a second, and so many lines are told apart by colour anyway
        marker = "hd" if len(series) <= FINE_LINES else "sd"
        values: list[float] = []
        steps: set[int] = set()
        for label, logged in series:
            points = thinned(logged)
            ys = [point.value for point in points]
            values += ys
            xs = [point.step for point in points]
            steps.update(xs)
            plt.plot(xs, ys, marker=marker, label=plain(label, 20) if named else None)
        if len(steps) <= MAX_STEP_TICKS:  # a few steps: each its own tick, never 0.25
            plt.xticks(sorted(steps))
        line = target.value if target is not None and target.metric == metric else None
        if line is not None:
            plt.hline(line, TARGET_COLOR)
        if values:
            plt.ylim(*_limits(values, line))
        self.refresh()
