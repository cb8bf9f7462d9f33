"""`mlboard standup` (the digest) and `mlboard standup note`."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.text import Text

from mlboard.cli.output import Format, console, print_item, print_json

app = typer.Typer(
    help="The daily standup: what changed since the last one.", invoke_without_command=True
)


@app.callback()
def digest(
    ctx: typer.Context,
    since: Annotated[
        str | None,
        typer.Option(help="Start of the window: a date, date-time, 'yesterday', 36h, 3d."),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="text, md or json.")] = Format.TEXT,
) -> None:
    """Print the digest (default: since the previous working day's standup)."""
    if ctx.invoked_subcommand is not None:
        return
    from mlboard.services.standup import standup_digest
    from mlboard.services.standup_text import digest_markdown

    result = standup_digest(ctx.obj.workspace(), since)
    if fmt is Format.JSON:
        print_json(result.as_json())
    elif fmt is Format.MD:
        typer.echo(digest_markdown(result), nl=False)
    else:
        _print_digest(result.as_json())


def _print_digest(data: dict[str, Any]) -> None:
    """The terminal form: the Markdown digest's structure with Rich styles, text kept literal."""
    from mlboard.services.standup_text import digest_lines

    out = console()
    for kind, line in digest_lines(data):
        style = {"h1": "bold underline", "h2": "bold", "item": "", "warn": "yellow"}[kind]
        if kind in ("item", "warn"):
            print_item(Text(line, style=style))
        else:
            out.print(Text(line, style=style))


@app.command("note")
def note(
    ctx: typer.Context,
    member: Annotated[
        str | None, typer.Option(help="Member handle (default: MLBOARD_USER / login).")
    ] = None,
    yesterday: Annotated[str | None, typer.Option(help="What you did.")] = None,
    today: Annotated[str | None, typer.Option(help="What you will do.")] = None,
    blockers: Annotated[str | None, typer.Option(help="What is in your way.")] = None,
) -> None:
    """Write (or amend) your note for today's standup."""
    from mlboard.errors import UserError
    from mlboard.services.standup import write_note

    if yesterday is None and today is None and blockers is None:
        raise UserError("say something: --yesterday, --today and/or --blockers")
    workspace = ctx.obj.workspace()
    handle = member or workspace.actor
    write_note(workspace, handle, yesterday=yesterday, today=today, blockers=blockers)
    console().print(Text(f"noted for {handle}"))
