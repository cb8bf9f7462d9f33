"""What the Planning screen shows, as pure functions of the services' views: story lines,
the sprint's heading, the forecast, members' loads and the warnings.

Titles, goals, handles and notes are user text: every line is a `Content` built from plain
strings, never markup.
"""

from __future__ import annotations

from datetime import date

from textual.content import Content

from mlboard.analytics.workdays import days_left
from mlboard.services.experiments.story_signals import SprintCompute
from mlboard.services.planning.plan import MemberLoad, OpenSprint, Plan
from mlboard.services.stories.records import StoryView
from mlboard.tui.widgets.capacity_bar import CapacityFigures, bar, meter, scale_of
from mlboard.tui.widgets.card import KIND_STYLES, hours
from mlboard.wording import percent, plural

STATUS_MARKS = {
    "backlog": ("○", "$text-muted"),
    "todo": ("○", "$foreground"),
    "in_progress": ("◐", "$warning"),
    "review": ("◑", "$accent"),
    "done": ("●", "$success"),
}
LOAD_BAR = 24
DOT = ("  ·  ", "$text-muted")


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def story_row(story: StoryView) -> Content:
    """One line: status, key, points, kind, owner, title (user text, always literal)."""
    mark, style = (
        ("⊘", "bold $error") if story.blocked else STATUS_MARKS.get(story.status, ("?", ""))
    )
    points = "?" if story.points is None else f"{story.points:g}"
    owner = f"@{story.assignee}" if story.assignee else ""
    return Content.assemble(
        (mark, style),
        " ",
        (f"{story.key:<8}", "bold"),
        (f"{points:>4}", "bold $warning" if story.points is None else "bold"),
        "  ",
        (f"{story.kind:<11}", KIND_STYLES.get(story.kind, "")),
        (f"{_fit(owner, 8):<9}", "$text-primary"),
        story.title,
    )


def sprint_info(sprint: OpenSprint | None, today: date) -> Content:
    if sprint is None:
        return Content.assemble(
            ("No open sprint. ", "bold"),
            "Add one with `mlboard sprint add NAME` to plan into it.",
        )
    parts: list[str | tuple[str, str]] = [(sprint.name, "bold"), "  ", (sprint.state, "$accent")]
    if sprint.start and sprint.end:
        left = days_left(sprint.end, today)
        parts += [DOT, f"{sprint.start:%a %b %d} → {sprint.end:%a %b %d}"]
        if sprint.start <= today:
            parts += [DOT, f"{plural(left, 'day')} left"]
    lines = [Content.assemble(*parts)]
    if sprint.goal:
        lines.append(Content.styled(sprint.goal, "italic"))
    return Content("\n").join(lines)


def forecast_line(plan: Plan) -> Content:
    """`8 stories open · chance to finish by Fri Nov 27: 12% · 50% by …, 85% by …, 95% by …`."""
    if plan.remaining == 0:
        return Content.assemble(("Forecast  ", "bold"), ("every story in the sprint is done", ""))
    end = f"{plan.end:%a %b %d}" if plan.end else "the end"
    chance = plan.p_finish_sprint
    style = "bold $success" if chance and chance >= 0.85 else "bold $warning"
    if chance is not None and chance < 0.5:
        style = "bold $error"
    parts: list[str | tuple[str, str]] = [
        ("Forecast  ", "bold"),
        f"{plural(plan.remaining, 'open story')}",
        DOT,
        f"chance to finish by {end}: ",
        (percent(chance), style),
    ]
    when = [
        f"{label} by {day:%a %b %d}"
        for label, day in (("50%", plan.p50), ("85%", plan.p85), ("95%", plan.p95))
        if day
    ]
    if when:
        parts += [DOT, ", ".join(when)]
    if plan.forecast_note:
        parts += [DOT, (plan.forecast_note, "$text-muted")]
    return Content.assemble(*parts)


def flow_line(plan: Plan) -> Content:
    """`Flow  Lead time median 6.2 days (85%: 11.0) · cycle time …`: how long work takes."""
    return Content.assemble(("Flow      ", "bold"), plan.flow_summary())


def load_lines(loads: list[MemberLoad]) -> Content:
    """Per member: assigned points against capacity (┃), over-capacity in $error, on one scale."""
    if not loads:
        return Content.styled(
            "No active members: add them with `mlboard member add`.", "$text-muted"
        )
    scale = scale_of(*(max(load.assigned, load.capacity) for load in loads))
    width = max(len(load.handle) for load in loads)
    rows = []
    for load in loads:
        figures = f"{load.assigned:g} / {load.capacity:.1f}".removesuffix(".0")
        rows.append(
            Content.assemble(
                (f"{load.handle:<{width}}  ", "$text-primary"),
                bar(CapacityFigures(load.assigned, load.capacity), LOAD_BAR, scale),
                f"  {figures:>11}",
                ("  over" if load.over else "", "bold $error"),
            )
        )
    return Content("\n").join(rows)


def warning_lines(warnings: list[str]) -> Content:
    if not warnings:
        return Content.styled("✓ nothing to warn about", "$success")
    return Content("\n").join(
        [Content.assemble(("⚠ ", "bold $warning"), warning) for warning in warnings]
    )


COMPUTE_BAR = 30
OVER_LISTED = 3  # stories named on the compute panel; the warnings list every one


def compute_lines(compute: SprintCompute | None) -> Content:
    """Three lines beside the capacity bar: GPU-hours used against the sprint's budgets (the
    sum of its stories'), a bar ($error past the budget), the stories over their own budget."""
    title = Content.styled("GPU-hours", "bold")
    if compute is None:
        return Content("\n").join([title, Content.styled("…", "$text-muted")])
    used, budget = compute.used, compute.budget
    if budget is None:
        figures = Content.assemble(
            title, f"  {hours(used)} used", ("  ·  no story has a GPU budget", "$text-muted")
        )
        return figures
    share = f" ({used / budget:.0%})" if budget else ""
    over = used > budget
    figures = Content.assemble(
        title,
        "  ",
        (hours(used), "bold $error" if over else "bold"),
        f" of {budget:g}{share}",
    )
    gauge = meter(used, budget, scale_of(used, budget), COMPUTE_BAR)
    if not compute.stories_over:
        verdict = Content.styled("✓ every story within its budget", "$success")
    else:
        named = ", ".join(compute.stories_over[:OVER_LISTED])
        more = len(compute.stories_over) - OVER_LISTED
        verdict = Content.assemble(
            ("⚠ over budget: ", "bold $error"), named, f" +{more}" if more > 0 else ""
        )
    return Content("\n").join([figures, gauge, verdict])
