"""Charts for a planning meeting: the sprint's burndown and burnup, and the team's velocity.

Sized for a shared screen: three large plotext charts with titles, labelled axes and legends,
colours from the app's theme. The figures come from `sprint_charts`, read in a thread worker.
Sprint names are user text: before they reach plotext (which emits ANSI) they are reduced to
printable characters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from textual import on, work
from textual.app import ComposeResult
from textual.color import Color, ColorParseError
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Static
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from mlboard.analytics.velocity import AVERAGE_SPRINTS
from mlboard.errors import UserError
from mlboard.services.planning.plan import SprintCharts, sprint_charts
from mlboard.services.workspace import Workspace
from mlboard.tui.host import host
from mlboard.tui.keys import bind
from mlboard.tui.text import plain
from mlboard.tui.widgets.key_footer import KeyFooter

RGB = tuple[int, int, int]
LISTED_CHANGES = 5  # scope changes named in the title line; the chart marks all of them
FALLBACK = {
    "primary": (0, 120, 215),
    "success": (40, 160, 60),
    "warning": (220, 160, 0),
    "error": (200, 40, 40),
    "accent": (255, 140, 0),
    "foreground": (200, 200, 200),
}


def _top(*series: Sequence[float | None]) -> float:
    """The top of the y axis: above the data, with room for the legend in the top-left corner."""
    values = [v for s in series for v in s if v is not None]
    return max([*values, 1.0]) * 1.3


def y_ticks(top: float) -> list[float]:
    """Round steps (1, 2, 5, 10, 20, 50…) from 0, at most six ticks up to `top`: more crowd
    the rows of a 20-line chart."""
    step = 1.0
    while top / step > 5:
        for factor in (2, 2.5, 2):
            step *= factor
            if top / step <= 5:
                break
    return [index * step for index in range(int(top // step) + 1)]


def _ticks(days: Sequence[date]) -> tuple[list[int], list[str]]:
    """Every day's number, and the month where it starts or changes."""
    labels = []
    for index, day in enumerate(days):
        new_month = index == 0 or day.month != days[index - 1].month
        labels.append(f"{day:%b %d}" if new_month else f"{day:%d}")
    return list(range(len(days))), labels


def day_axes(plt: Plot, xs: list[int], labels: list[str], top: float) -> None:
    """Day ticks along x, round point ticks up y: the two sprint charts share their look."""
    plt.xticks(xs, labels)
    plt.xlim(-0.5, len(xs) - 0.5)
    plt.ylim(0, top)
    ticks = y_ticks(top)
    plt.yticks(ticks, [f"{tick:g}" for tick in ticks])


def scope_summary(charts: SprintCharts) -> Content:
    """The title line: sprint, state, commitment, and every scope change after the start."""
    chart = charts.burndown
    days = chart.days
    parts: list[str | tuple[str, str]] = [(charts.sprint, "bold"), "  ", (charts.state, "$accent")]
    if days:
        parts += [("  ·  ", "$text-muted"), f"{days[0].day:%a %b %d} → {days[-1].day:%a %b %d}"]
    parts += [("  ·  ", "$text-muted"), f"committed {chart.committed:g} pts at the start"]
    changes = chart.scope_changes
    if not changes:
        parts += [("  ·  ", "$text-muted"), ("no scope change", "$text-muted")]
        return Content.assemble(*parts)
    added = sum(c.delta for c in changes if c.delta > 0)
    removed = -sum(c.delta for c in changes if c.delta < 0)
    parts += [("  ·  ", "$text-muted"), (f"scope +{added:g} / −{removed:g} pts: ", "$warning")]
    listed = [f"{c.day:%b %d} {c.story} {c.delta:+g} ({c.reason})" for c in changes]
    if len(listed) > LISTED_CHANGES:
        hidden = len(listed) - LISTED_CHANGES
        listed = [*listed[:LISTED_CHANGES], f"and {hidden} more (`mlboard sprint report`)"]
    parts.append(", ".join(listed))
    return Content.assemble(*parts)


@dataclass
class ChartsReady(Message):
    charts: SprintCharts
    request: int


@dataclass
class ChartsFailed(Message):
    text: str


class ChartsScreen(Screen[None]):
    """Burndown and burnup side by side, velocity below; escape goes back to planning."""

    CSS_PATH = "planning.tcss"
    SUB_TITLE = "Charts"
    BINDINGS = [
        bind("charts_close", "close", "Back"),
        bind("charts_refresh", "reload", "Refresh"),
    ]

    def __init__(self, sprint: str | None = None) -> None:
        super().__init__()
        self.sprint = sprint
        self.charts: SprintCharts | None = None
        self._request = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Content.styled("Reading the sprint…", "$text-muted"), id="charts-title")
        with Horizontal(id="charts-sprint"):
            yield PlotextPlot(id="burndown-chart")
            yield PlotextPlot(id="burnup-chart")
        yield PlotextPlot(id="velocity-chart")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.redraw())
        self.action_reload()

    def action_reload(self) -> None:
        self._request += 1
        workspace: Workspace = host(self).workspace
        self._load(workspace, self.sprint, self._request)

    def refresh_data(self) -> None:
        self.action_reload()

    @work(thread=True, exclusive=True, group="charts", exit_on_error=False)
    def _load(self, workspace: Workspace, sprint: str | None, request: int) -> None:
        """Thread worker: reads only, answers with a message."""
        try:
            charts = sprint_charts(workspace, sprint)
        except UserError as error:
            self.post_message(ChartsFailed(error.message))
            return
        self.post_message(ChartsReady(charts, request))

    @on(ChartsFailed)
    def charts_failed(self, message: ChartsFailed) -> None:
        self.query_one("#charts-title", Static).update(Content.styled(message.text, "$warning"))

    @on(ChartsReady)
    def charts_ready(self, message: ChartsReady) -> None:
        if message.request != self._request:
            return
        self.charts = message.charts
        self.query_one("#charts-title", Static).update(scope_summary(message.charts))
        self.redraw()

    def redraw(self) -> None:
        """Draw the charts again (their colours come from the theme when they are drawn)."""
        if self.charts is not None:
            self.draw_burndown(self.charts)
            self.draw_burnup(self.charts)
            self.draw_velocity(self.charts)

    def colour(self, name: str) -> RGB:
        """A theme colour as plotext wants it (an RGB triple)."""
        value = self.app.theme_variables.get(name)
        try:
            return Color.parse(value).rgb if value else FALLBACK[name]
        except ColorParseError:  # a variable that is not a plain colour
            return FALLBACK[name]

    def _plot(self, selector: str, title: str, xlabel: str, ylabel: str) -> PlotextPlot:
        chart = self.query_one(selector, PlotextPlot)
        plt = chart.plt
        plt.clear_figure()
        plt.title(title)
        plt.xlabel(xlabel)
        plt.ylabel(ylabel)
        return chart

    def draw_burndown(self, charts: SprintCharts) -> None:
        """Ideal against remaining; ◆ where the scope changed, with its points; today's line."""
        days = charts.burndown.days
        xs, labels = _ticks([row.day for row in days])
        chart = self._plot(
            "#burndown-chart", f"Burndown · {plain(charts.sprint)}", "day", "points remaining"
        )
        plt = chart.plt
        remaining = [row.remaining for row in days]
        ideal = [row.ideal for row in days]
        plt.plot(xs, ideal, color=self.colour("foreground"), marker="braille", label="ideal")
        seen = [(x, value) for x, value in zip(xs, remaining, strict=True) if value is not None]
        if seen:
            plt.plot(
                [x for x, _ in seen],
                [value for _, value in seen],
                color=self.colour("primary"),
                marker="hd",
                label="remaining",
            )
            plt.vline(seen[-1][0], self.colour("accent"))
        deltas: dict[date, float] = defaultdict(float)
        for change in charts.burndown.scope_changes:
            deltas[change.day] += change.delta
        marks = [
            (x, row.remaining, deltas[row.day])
            for x, row in zip(xs, days, strict=True)
            if row.day in deltas and row.remaining is not None
        ]
        if marks:
            plt.scatter(
                [x for x, _, _ in marks],
                [y for _, y, _ in marks],
                marker="◆",
                color=self.colour("warning"),
                label="scope change (listed above)",
            )
        day_axes(plt, xs, labels, _top(remaining, ideal))
        chart.refresh()

    def draw_burnup(self, charts: SprintCharts) -> None:
        """Scope against completed points, day by day."""
        up = charts.burnup
        xs, labels = _ticks(up.days)
        chart = self._plot("#burnup-chart", f"Burnup · {plain(charts.sprint)}", "day", "points")
        plt = chart.plt
        for values, name, label in (
            (up.scope, "warning", "scope"),
            (up.completed, "success", "completed"),
        ):
            seen = [(x, v) for x, v in zip(xs, values, strict=True) if v is not None]
            if seen:
                plt.plot(
                    [x for x, _ in seen],
                    [v for _, v in seen],
                    color=self.colour(name),
                    marker="hd",
                    label=label,
                )
        day_axes(plt, xs, labels, _top(up.scope, up.completed))
        chart.refresh()

    def draw_velocity(self, charts: SprintCharts) -> None:
        """Committed against completed points of the last closed sprints, with the average."""
        rows = charts.velocity
        average = charts.average_velocity
        title = "Velocity · no closed sprint yet"
        if average is not None:
            title = (
                f"Velocity · last {len(rows)} closed sprints · average of the last "
                f"{min(len(rows), AVERAGE_SPRINTS)}: {average:.1f} pts"
            )
        chart = self._plot("#velocity-chart", title, "sprint", "points")
        plt = chart.plt
        if rows:
            if average is not None:  # first, so that the bars are drawn over it
                plt.plot(
                    [0.4, len(rows) + 0.6],
                    [average, average],
                    color=self.colour("accent"),
                    marker="braille",
                    label=f"average {average:.1f}",
                )
            names = [plain(row.sprint, 16) for row in rows]
            plt.multiple_bar(
                names,
                [[row.committed for row in rows], [row.completed for row in rows]],
                labels=["committed", "completed"],
                color=[self.colour("primary"), self.colour("success")],
                width=0.35,
            )
            top = _top([row.committed for row in rows], [row.completed for row in rows])
            plt.xlim(0.4, len(rows) + 0.6)
            plt.ylim(0, top)
            ticks = y_ticks(top)
            plt.yticks(ticks, [f"{tick:g}" for tick in ticks])
        chart.refresh()

    def action_close(self) -> None:
        self.dismiss()
