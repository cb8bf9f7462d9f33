"""`mlboard audit` and `mlboard audit verify`."""

from __future__ import annotations

import csv
import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.text import Text

from mlboard.cli.output import Format, Wide, console, json_text, print_json, print_table
from mlboard.plural import plural
from mlboard.text_safety import csv_cell

app = typer.Typer(help="The audit trail: who changed what, when.", invoke_without_command=True)


class AuditFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    CSV = "csv"


def _change(before: dict | None, after: dict | None) -> str:
    if before is None:
        return json_text(after, indent=None)
    if after is None:
        return "deleted " + json_text(before, indent=None)
    return ", ".join(f"{k}: {before.get(k)!r} → {after.get(k)!r}" for k in after)


@app.callback()
def show(
    ctx: typer.Context,
    story: Annotated[str | None, typer.Option(help="Only entries about this story.")] = None,
    since: Annotated[str | None, typer.Option(help="Only entries after this date(-time).")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the last N entries.")] = None,
    fmt: Annotated[AuditFormat, typer.Option("--format", help="text, json or csv.")] = (
        AuditFormat.TEXT
    ),
    wide: Wide = False,
) -> None:
    """List audit entries, oldest first."""
    if ctx.invoked_subcommand is not None:
        return
    from mlboard.services.audit import audit_entries, parse_moment

    entries = audit_entries(
        ctx.obj.workspace(),
        story=story,
        since=parse_moment(since) if since else None,
        limit=limit,
    )
    if fmt is AuditFormat.JSON:
        print_json([entry.as_json() for entry in entries])
    elif fmt is AuditFormat.CSV:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(("id", "at", "actor", "action", "entity", "key", "before", "after"))
        for e in entries:
            cells = (
                e.id, e.at.isoformat(), e.actor, e.action, e.entity, e.key,
                json_text(e.before, indent=None) if e.before else "",
                json_text(e.after, indent=None) if e.after else "",
            )  # fmt: skip
            writer.writerow(csv_cell(cell) for cell in cells)
    else:
        rows = [
            (e.id, e.at.astimezone().strftime("%Y-%m-%d %H:%M"), e.actor, e.action, e.entity,
             e.key, _change(e.before, e.after))
            for e in entries
        ]  # fmt: skip
        print_table(
            f"Audit ({len(entries)})",
            ("#", "at", "actor", "action", "entity", "key", "change"),
            rows,
            Format.TEXT,
            free="change",
            wide=wide,
        )


@app.command("verify")
def verify(ctx: typer.Context) -> None:
    """Check the hash chain; exit 1 at the first entry that was changed or removed."""
    from mlboard.services.audit import verify_audit

    result = verify_audit(ctx.obj.workspace())
    if result.ok:
        verified = plural(result.checked, "entry")
        console().print(Text(f"audit trail intact: {verified} verified"))
        return
    console().print(
        Text(f"audit trail broken at entry {result.broken_at}: {result.reason}", style="red")
    )
    raise typer.Exit(1)
