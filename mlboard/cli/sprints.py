"""`mlboard sprint add|start|close|list`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from mlboard.cli.output import Format, Wide, console, print_json, print_table
from mlboard.wording import plural

app = typer.Typer(help="Sprints: plan, start and close them.", no_args_is_help=True)
SprintArgument = Annotated[str, typer.Argument(help="Sprint name.")]


@app.command("add")
def add(
    ctx: typer.Context,
    name: SprintArgument,
    start: Annotated[str | None, typer.Option(help="First day, e.g. 2026-11-30.")] = None,
    end: Annotated[str | None, typer.Option(help="Last day (default: two weeks).")] = None,
    goal: Annotated[str, typer.Option(help="What the sprint is for.")] = "",
) -> None:
    """Plan a future sprint."""
    from mlboard.services.planning.sprints import add_sprint

    sprint = add_sprint(ctx.obj.workspace(), name, start=start, end=end, goal=goal)
    console().print(Text(f"added sprint {sprint.name}"))


@app.command("start")
def start(ctx: typer.Context, name: SprintArgument) -> None:
    """Start a sprint: its stories now are its commitment."""
    from mlboard.services.planning.sprints import start_sprint

    sprint = start_sprint(ctx.obj.workspace(), name)
    committed = plural(sprint.committed_points, "point")
    console().print(Text(f"started {sprint.name}: {committed} committed"))


@app.command("close")
def close(
    ctx: typer.Context,
    name: SprintArgument,
    carry_over_to: Annotated[
        str | None,
        typer.Option("--carry-over-to", help="Sprint for unfinished stories (default: backlog)."),
    ] = None,
) -> None:
    """Close the active sprint; unfinished stories move on."""
    from mlboard.services.planning.sprints import close_sprint

    sprint = close_sprint(ctx.obj.workspace(), name, carry_over_to=carry_over_to)
    completed = plural(sprint.completed_points, "point")
    console().print(Text(f"closed {sprint.name}: {completed} completed"))


@app.command("list")
def list_(
    ctx: typer.Context,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TEXT,
    wide: Wide = False,
) -> None:
    """List sprints with committed (at the start), scope (now) and completed points."""
    sprints = ctx.obj.read_quickly(lambda reads: reads.list_sprints())
    if sprints is None:
        from mlboard.services.planning.sprints import list_sprints

        sprints = list_sprints(ctx.obj.workspace())
    if fmt is Format.JSON:
        print_json([s.as_json() for s in sprints])
        return
    rows = [
        (
            s.name,
            s.state,
            s.start,
            s.end,
            s.committed_points,
            s.scope_points,
            s.completed_points,
            s.goal,
        )
        for s in sprints
    ]
    headers = ("name", "state", "start", "end", "committed", "scope", "completed", "goal")
    print_table("Sprints", headers, rows, fmt, free="goal", wide=wide)
