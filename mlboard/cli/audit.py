"""`mlboard audit`, `mlboard audit verify` and `mlboard audit head`."""

from __future__ import annotations

import csv
import sys
from enum import StrEnum
from typing import Annotated

import typer
from rich.text import Text

from mlboard.cli.output import Format, Wide, console, json_text, print_json, print_table
from mlboard.text_safety import csv_cell
from mlboard.wording import plural

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
def verify(
    ctx: typer.Context,
    head: Annotated[
        str | None,
        typer.Option(
            "--head",
            metavar="COUNT:HASH",
            help="Check against this anchored head (from `audit head`) instead of the checkpoint.",
        ),
    ] = None,
) -> None:
    """Check the chain, its keys and head, and replay it to the tables; exit 1 on any finding."""
    from mlboard.services.audit import verify_audit

    result = verify_audit(ctx.obj.workspace(), head)
    if result.ok:
        verified = plural(result.checked, "entry")
        console().print(Text(f"audit trail intact: {verified} verified"))
    for finding in result.findings:
        console().print(Text(finding.message, style="red"), soft_wrap=True)
    for note in result.notes:
        console().print(Text(note, style="dim"), soft_wrap=True)
    if not result.ok:
        raise typer.Exit(1)


class HeadFormat(StrEnum):
    TEXT = "text"
    JSON = "json"


@app.command("head")
def head(
    ctx: typer.Context,
    fmt: Annotated[HeadFormat, typer.Option("--format", help="text or json.")] = HeadFormat.TEXT,
) -> None:
    """Print the chain's head (entries and newest hash) to anchor outside the database."""
    from mlboard.services.audit import chain_head

    found = chain_head(ctx.obj.workspace())
    if fmt is HeadFormat.JSON:
        print_json(found.as_json())
        return
    for label, value in (
        ("entries", str(found.entries)),
        ("head", found.head),
        ("key id", found.key_id or "none"),
        ("database", found.database),
        ("anchor", found.anchor),
    ):
        console().print(Text(f"{label:<9} {value}"), soft_wrap=True)
