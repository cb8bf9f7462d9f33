"""Charts of a story's target metric: across its runs, and over the steps of its best run.

Imported only when a story has something to chart (the story detail mounts these lazily), so
the board's first paint never pays for plotext. Axis titles use metric names only: run names are
user text and are shown by the detail screen as literal Content, never fed to plotext's ANSI
output.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual_plotext import PlotextPlot

from mlboard.analytics.training_signals import MetricPoint, TrendPoint
from mlboard.domain import Target

VALUE_COLOR = "cyan"
BEST_COLOR = "green"
TARGET_COLOR = "red"


def _limits(values: Sequence[float], target: float) -> tuple[float, float]:
    """Y limits that keep both the data and the target line in view, with a small margin."""
    low, high = min(*values, target), max(*values, target)
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
