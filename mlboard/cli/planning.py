"""`mlboard plan` and `mlboard sprint report`: numbers for planning and review meetings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from mlboard.cli.output import (
    Format,
    console,
    markdown_cell,
    markdown_table,
    print_item,
    print_json,
    print_section,
)
from mlboard.wording import percent, plural

if TYPE_CHECKING:
    from mlboard.services.planning.plan_record import Plan
    from mlboard.services.planning.report import SprintReport

FormatOption = Annotated[Format, typer.Option("--format", help="text, md or json.")]


def plan_lines(plan: Plan) -> list[str]:
    """The headline figures, one per line, shared by the text and Markdown forms."""
    velocity = "—" if plan.average_velocity is None else f"{plan.average_velocity:.1f}"
    when = ", ".join(
        f"{label} {day:%a %b %d}" if day else f"{label} —"
        for label, day in (("50%", plan.p50), ("85%", plan.p85), ("95%", plan.p95))
    )
    committed = (
        "not started"
        if plan.committed_points is None
        else f"committed {plan.committed_points:g} at the start"
    )
    return (
        [
            f"Sprint {plan.sprint} ({plan.state}), {plan.start} → {plan.end}",
            f"Scope {plural(plan.scope_points, 'point')} ({committed}) · capacity "
            f"{plan.capacity_points:g} · average velocity {velocity}",
            f"{plural(plan.remaining, 'story')} open · chance to finish by {plan.end}: "
            f"{percent(plan.p_finish_sprint)} · done by {when}",
            plan.flow_summary(),
        ]
        + ([f"Forecast: {plan.forecast_note}"] if plan.forecast_note else [])
        + _compute_lines(plan)
    )


def _compute_lines(plan: Plan) -> list[str]:
    compute = plan.compute
    if compute.budget is None and not compute.used:
        return []
    budget = "no budget" if compute.budget is None else f"{compute.budget:g} budgeted"
    over = f" · over budget: {', '.join(compute.stories_over)}" if compute.stories_over else ""
    return [f"GPU-hours {compute.used:.1f} used of {budget}{over}"]


def plan(
    ctx: typer.Context,
    sprint: Annotated[
        str | None, typer.Option(help="Sprint to plan (default: active, else next).")
    ] = None,
    fmt: FormatOption = Format.TEXT,
) -> None:
    """Capacity, scope and commitment, velocity, flow times, forecast and warnings."""
    from mlboard.services.planning.plan import make_plan

    result = make_plan(ctx.obj.workspace(), sprint)
    if fmt is Format.JSON:
        print_json(result.as_json())
        return
    velocity_rows = [(v.sprint, v.committed, v.completed) for v in result.velocity]
    load_rows = [(m.handle, m.capacity, m.assigned, "over" if m.over else "") for m in result.loads]
    if fmt is Format.MD:
        parts = [f"## Plan: {markdown_cell(result.sprint)}", ""]
        parts += [*(f"- {markdown_cell(line)}" for line in plan_lines(result)), ""]
        parts.append(
            markdown_table("Velocity", ("sprint", "committed", "completed"), velocity_rows)
        )
        parts.append(markdown_table("Load", ("member", "capacity", "assigned", ""), load_rows))
        warnings = "\n".join(f"- {markdown_cell(w)}" for w in result.warnings)
        parts.append("### Warnings\n\n" + warnings + "\n")
        typer.echo("\n".join(parts), nl=False)
        return
    out = console()
    for line in plan_lines(result):
        out.print(Text(line))
    print_section("Velocity", ("sprint", "committed", "completed"), velocity_rows)
    print_section("Load", ("member", "capacity", "assigned", ""), load_rows)
    for warning in result.warnings:
        print_item(Text(warning, style="yellow"), indent=0, marker="⚠ ")


def _days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def report_lines(report: SprintReport) -> list[str]:
    return [
        f"Sprint {report.sprint}: {report.goal}" if report.goal else f"Sprint {report.sprint}",
        f"Committed {plural(report.committed, 'point')}, completed {report.completed:g}",
        f"Scope: +{report.scope_added:g} added, -{report.scope_removed:g} removed "
        f"({plural(len(report.scope_changes), 'change')})",
        "Carried over: " + (", ".join(report.carried_over) or "nothing"),
    ]


def report(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Sprint name.")],
    fmt: FormatOption = Format.TEXT,
) -> None:
    """The sprint review: committed vs completed, scope change, carry-over, cycle and lead time,
    targets."""
    from mlboard.services.planning.report import sprint_report

    result = sprint_report(ctx.obj.workspace(), name)
    if fmt is Format.JSON:
        print_json(result.as_json())
        return
    cycle_rows = [
        (kind, flow.cycle.count, _days(flow.cycle.median), _days(flow.cycle.p85))
        for kind, flow in result.flow.items()
    ]
    lead_rows = [
        (kind, flow.lead.count, _days(flow.lead.median), _days(flow.lead.p85))
        for kind, flow in result.flow.items()
    ]
    target_rows = [
        (t.key, t.target, t.best, {True: "met", False: "not met"}.get(t.met, "no runs"))
        for t in result.targets
    ]
    flow_headers = ("kind", "stories", "median days", "85th pct days")
    target_headers = ("story", "target", "best", "")
    if fmt is Format.MD:
        parts = [f"## Review: {markdown_cell(result.sprint)}", ""]
        parts += [f"- {markdown_cell(line)}" for line in report_lines(result)]
        parts += ["", markdown_table("Cycle time", flow_headers, cycle_rows)]
        parts += [markdown_table("Lead time", flow_headers, lead_rows)]
        parts += [markdown_table("Targets", target_headers, target_rows)]
        typer.echo("\n".join(parts), nl=False)
        return
    for line in report_lines(result):
        console().print(Text(line))
    print_section("Cycle time", flow_headers, cycle_rows)
    print_section("Lead time", flow_headers, lead_rows)
    print_section("Targets", target_headers, target_rows)
