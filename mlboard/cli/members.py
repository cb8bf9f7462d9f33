"""`mlboard member add|list`."""

from __future__ import annotations

from typing import Annotated

import typer

from mlboard.cli.output import Format, Wide, console, print_json, print_table
from mlboard.wording import plural

app = typer.Typer(help="Team members.", no_args_is_help=True)


@app.command("add")
def add(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument(help="Short lowercase handle, e.g. ana.")],
    name: Annotated[str | None, typer.Option(help="Full name shown on cards.")] = None,
    role: Annotated[str, typer.Option(help="Role, e.g. 'ML engineer'.")] = "",
    email: Annotated[str, typer.Option(help="Email address.")] = "",
    points_per_day: Annotated[str, typer.Option(help="Capacity in points per day.")] = "1",
) -> None:
    """Add a member to the team."""
    from mlboard.services.members import add_member

    member = add_member(
        ctx.obj.workspace(), handle, name, role=role, email=email, points_per_day=points_per_day
    )
    console().print(f"added member {member.handle} ({member.name})", markup=False)


@app.command("list")
def list_(
    ctx: typer.Context,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TEXT,
    wide: Wide = False,
) -> None:
    """List the team."""
    from mlboard.services.members import list_members

    members = list_members(ctx.obj.workspace())
    if fmt is Format.JSON:
        print_json([m.as_json() for m in members])
        return
    rows = [(m.handle, m.name, m.role, m.points_per_day) for m in members]
    headers = ("handle", "name", "role", "points/day")
    print_table("Members", headers, rows, fmt, free="role", wide=wide)


@app.command("off")
def off(
    ctx: typer.Context,
    handle: Annotated[
        str | None, typer.Argument(help="Member handle (omit with --team).", show_default=False)
    ] = None,
    first: Annotated[str, typer.Option("--from", help="First day off, e.g. 2026-12-24.")] = "",
    until: Annotated[str | None, typer.Option(help="Last day off (default: --from).")] = None,
    team: Annotated[bool, typer.Option("--team", help="A team-wide day off (holiday).")] = False,
    reason: Annotated[str, typer.Option(help="Why, e.g. 'conference'.")] = "",
    remove: Annotated[bool, typer.Option("--remove", help="Take the days off back.")] = False,
) -> None:
    """Record days off: capacity in planning counts them."""
    from datetime import date

    from mlboard.errors import UserError
    from mlboard.services.members import set_days_off

    if team == (handle is not None):
        raise UserError("name a member, or use --team for a team-wide day off (not both)")

    def day(text: str, what: str) -> date:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise UserError(f"{what}: {text!r} is not a date like 2026-12-24") from None

    start = day(first, "--from")
    end = day(until, "--until") if until else None
    changed = set_days_off(ctx.obj.workspace(), handle, start, end, reason=reason, remove=remove)
    who = "team" if team else handle
    console().print(
        f"{'removed' if remove else 'added'} {plural(changed, 'day')} off for {who}", markup=False
    )
