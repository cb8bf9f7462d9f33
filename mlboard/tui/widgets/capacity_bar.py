"""The sprint's scope against capacity and average velocity, as a bar a whole room can read.

    Scope 36 pts of 28.9 capacity (125%) · committed 33 at the start · average velocity 24.3 · …
    ███████████████████████████████████████┊██████████┃████████████████░░░░░░░░░
                                           ▲ velocity 24.3   ▲ capacity 28.9

The bar is filled up to the scope (the points in the sprint now), in $error past the capacity
line; `┃` marks capacity and `┊` the average velocity. The commitment (what the sprint held when
it started) is named beside it once the sprint has started. The screen moves the scope at once
(it is the sum of the sprint list's points) and fills in the rest when its plan worker answers.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

FULL, EMPTY = "█", "░"
CAPACITY_MARK, VELOCITY_MARK = "┃", "┊"
HEADROOM = 1.1  # the scale runs 10% past the largest figure, so no marker sits on the edge


@dataclass(frozen=True, slots=True)
class CapacityFigures:
    scope: float  # the points against capacity: the sprint's now, or a member's assigned ones
    capacity: float | None = None  # None until the plan is known
    velocity: float | None = None  # None also when no sprint has closed yet
    committed: float | None = None  # the sprint's points at its start; None before it

    @property
    def over(self) -> bool:
        return self.capacity is not None and self.scope > self.capacity


def _fmt(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def scale_of(*values: float | None) -> float:
    return max([v for v in values if v is not None] + [1.0]) * HEADROOM


def column(value: float, scale: float, width: int) -> int:
    """The cell a value falls in, on a bar `width` cells wide that ends at `scale`."""
    return min(width - 1, max(0, round(value / scale * width)))


def meter(value: float, limit: float | None, scale: float, width: int) -> Content:
    """A small bar: filled up to `value`, in $error past `limit`, empty cells dimmed."""
    filled = round(min(value, scale) / scale * width) if scale else 0
    edge = width if limit is None else round(min(limit, scale) / scale * width)
    within = min(filled, edge)
    return Content.assemble(
        (FULL * within, "$primary"),
        (FULL * (filled - within), "$error"),
        (EMPTY * (width - filled), "$foreground 25%"),
    )


def headline(figures: CapacityFigures) -> Content:
    """The numbers: scope, capacity, load, commitment, average velocity and the headroom left."""
    scope_style = "bold $error" if figures.over else "bold"
    parts: list[str | tuple[str, str]] = ["Scope ", (f"{_fmt(figures.scope)} pts", scope_style)]
    capacity = figures.capacity
    if capacity is None:
        parts.append((" · capacity …", "$text-muted"))
        return Content.assemble(*parts)
    parts += [" of ", (f"{_fmt(capacity)}", "bold"), " capacity"]
    if capacity:
        parts.append((f" ({figures.scope / capacity:.0%})", scope_style))
    if figures.committed is not None:
        parts += [("  ·  ", "$text-muted"), f"committed {_fmt(figures.committed)} at the start"]
    velocity = "—" if figures.velocity is None else _fmt(figures.velocity)
    parts += [("  ·  ", "$text-muted"), "average velocity ", (velocity, "bold $accent")]
    gap = capacity - figures.scope
    if gap < 0:
        parts += [("  ·  ", "$text-muted"), (f"{_fmt(-gap)} pts over capacity", "bold $error")]
    else:
        parts += [("  ·  ", "$text-muted"), (f"{_fmt(gap)} pts free", "$success")]
    return Content.assemble(*parts)


def bar(figures: CapacityFigures, width: int, scale: float | None = None) -> Content:
    """The bar itself, with the capacity and velocity markers drawn over it; `scale` (the value
    at the right end) lets several bars share one, as the per-member load does."""
    if width < 1:
        return Content("")
    scale = scale or scale_of(figures.scope, figures.capacity, figures.velocity)
    body = meter(figures.scope, figures.capacity, scale, width)
    marks: dict[int, tuple[str, str]] = {}
    if figures.velocity is not None:
        marks[column(figures.velocity, scale, width)] = (VELOCITY_MARK, "bold $accent")
    if figures.capacity is not None:
        marks[column(figures.capacity, scale, width)] = (CAPACITY_MARK, "bold $foreground")
    if not marks:
        return body
    pieces: list[Content] = []
    start = 0
    for position in sorted(marks):
        pieces.append(body[start:position])
        pieces.append(Content.styled(*marks[position]))
        start = position + 1
    pieces.append(body[start:])
    return Content("").join(pieces)


def _placed(position: int, text: str, after: bool) -> tuple[int, str]:
    """A label starting at its marker (`▲ text`) or ending at it (`text ▲`)."""
    if after:
        return position, f"▲ {text}"
    return position - len(text) - 1, f"{text} ▲"


def labels(figures: CapacityFigures, width: int) -> Content:
    """`▲ velocity 24.3` and `▲ capacity 28.9` under their markers, never overlapping.

    Each label starts at its marker, or ends at it when that is what keeps both on the line
    apart; when the markers are too close for both, a legend of the marker glyphs is shown.
    """
    scale = scale_of(figures.scope, figures.capacity, figures.velocity)
    wanted: list[tuple[int, str, str]] = []
    if figures.velocity is not None:
        text = f"velocity {_fmt(figures.velocity)}"
        wanted.append((column(figures.velocity, scale, width), text, "$accent"))
    if figures.capacity is not None:
        text = f"capacity {_fmt(figures.capacity)}"
        wanted.append((column(figures.capacity, scale, width), text, "bold"))
    wanted.sort()
    choices = [(True, True), (False, True), (False, False), (True, False)]
    for sides in choices[: 2 ** len(wanted) if len(wanted) < 2 else 4]:
        placed = [
            (*_placed(position, text, after), style)
            for (position, text, style), after in zip(wanted, sides, strict=False)
        ]
        ends = [(start, start + len(label)) for start, label, _ in placed]
        inside = all(start >= 0 and stop <= width for start, stop in ends)
        apart = all(ends[i][1] < ends[i + 1][0] for i in range(len(ends) - 1))
        if inside and apart:
            line: list[str | tuple[str, str]] = []
            cursor = 0
            for start, label, style in placed:
                line += [" " * (start - cursor), (label, style)]
                cursor = start + len(label)
            return Content.assemble(*line)
    legend: list[str | tuple[str, str]] = []
    for _, text, style in wanted:
        mark = VELOCITY_MARK if text.startswith("velocity") else CAPACITY_MARK
        legend += [(f"{mark} ", style), (text, style), "   "]
    return Content.assemble(*legend[:-1])[:width]


class CapacityBar(Widget):
    """Three lines: the numbers, the bar, the marker labels. Set `figures` to redraw."""

    DEFAULT_CSS = """
    CapacityBar {
        height: 3;
        padding: 0 1;
    }
    """

    figures: reactive[CapacityFigures] = reactive(CapacityFigures(0.0))

    @property
    def scope(self) -> float:
        return self.figures.scope

    @property
    def capacity(self) -> float | None:
        return self.figures.capacity

    def render(self) -> Content:
        width = self.content_size.width
        return Content("\n").join(
            [headline(self.figures), bar(self.figures, width), labels(self.figures, width)]
        )
