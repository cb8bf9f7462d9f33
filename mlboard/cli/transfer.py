"""`mlboard import jira FILE` and `mlboard export --format csv|json|md`."""

from __future__ import annotations

import csv
import io
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from mlboard.cli.output import console, json_text, markdown_table, plain, print_json
from mlboard.files import write_atomically
from mlboard.text_safety import csv_cell
from mlboard.wording import plural

if TYPE_CHECKING:
    from mlboard.services.stories import StoryView

import_app = typer.Typer(help="Import stories from other tools.", no_args_is_help=True)

CSV_COLUMNS = (
    "key",
    "title",
    "kind",
    "status",
    "points",
    "estimate_low",
    "estimate_high",
    "timebox_days",
    "gpu_hours",
    "target",
    "assignee",
    "sprint",
    "blocked",
    "blocked_reason",
    "sensitivity",
    "created_at",
    "updated_at",
    "started_at",
    "done_at",
    "description",
)


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    MD = "md"


@import_app.command("jira")
def import_jira_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A Jira 'Export CSV' file.")],
    timezone: Annotated[
        str | None,
        typer.Option(help="Zone of the file's dates, e.g. Europe/Paris (default: this machine's)."),
    ] = None,
    kind: Annotated[
        str, typer.Option(help="Kind for issues whose type or labels name none.")
    ] = "experiment",
    json_output: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
) -> None:
    """Import (or re-import) a Jira CSV export: all rows or, if any is bad, none."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from mlboard.domain import StoryKind, parse_choice
    from mlboard.errors import UserError
    from mlboard.services.jira_import import import_jira

    try:
        zone = ZoneInfo(timezone) if timezone else None
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"unknown time zone {timezone!r} (e.g. Europe/Paris, UTC)") from None
    try:
        default_kind = parse_choice(StoryKind, kind, "kind")
    except ValueError as error:
        raise UserError(str(error)) from None
    result = import_jira(ctx.obj.workspace(), path, zone=zone, default_kind=default_kind)
    if json_output:
        print_json(result.as_json())
        return
    console().print(
        Text(
            f"imported {path.name}: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged; {plural(result.sprints_added, 'sprint')} and "
            f"{plural(result.members_added, 'member')} added"
        )
    )


def export(
    ctx: typer.Context,
    fmt: Annotated[ExportFormat, typer.Option("--format", help="csv, json or md.")] = (
        ExportFormat.CSV
    ),
    sprint: Annotated[str | None, typer.Option(help="Only this sprint's stories.")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")
    ] = None,
) -> None:
    """Export stories as CSV (spreadsheets), JSON (scripts) or Markdown (docs, chat)."""
    from mlboard.services.stories import list_stories

    stories = list_stories(ctx.obj.workspace(), sprint=sprint)
    if fmt is ExportFormat.JSON and output is None:
        print_json([story.as_json() for story in stories])
        return
    text = render_export(stories, fmt)
    if output is None:
        typer.echo(text, nl=False)
        return
    write_atomically(output, text)
    console().print(Text(f"wrote {plural(len(stories), 'story')} to {output}"))


def render_export(stories: list[StoryView], fmt: ExportFormat) -> str:
    if fmt is ExportFormat.JSON:
        return json_text([s.as_json() for s in stories]) + "\n"
    if fmt is ExportFormat.MD:
        headers = ("key", "title", "kind", "status", "points", "assignee", "sprint", "target")
        rows = [
            (s.key, s.title, s.kind, s.status, s.points, s.assignee, s.sprint, s.target)
            for s in stories
        ]
        return markdown_table(f"Stories ({len(stories)})", headers, rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for story in stories:
        record = story.as_json()
        values = {
            **record,
            "estimate_low": story.estimate_low,
            "estimate_high": story.estimate_high,
            "target": str(story.target) if story.target else "",
            "blocked_reason": story.blocked_reason,
        }
        writer.writerow(csv_cell(plain(values.get(column))) for column in CSV_COLUMNS)
    return buffer.getvalue()
