"""`mlboard story add|edit|move|rank|show|list`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from mlboard.cli.output import (
    Format,
    Wide,
    console,
    plain,
    print_fields,
    print_json,
    print_table,
)
from mlboard.text_safety import terminal_safe
from mlboard.wording import plural

if TYPE_CHECKING:
    from mlboard.services.experiments.runs import ModelVersionView
    from mlboard.services.governance.evidence import Evidence
    from mlboard.services.stories.records import EventView, StoryView

app = typer.Typer(help="Stories: the units of work on the board.", no_args_is_help=True)

# Options shared by `add` and `edit`; in `edit`, an empty value ('') clears the field.
Kind = Annotated[
    str | None,
    typer.Option(help="experiment, data, model, infra, deploy, research or bug."),
]
Status = Annotated[str | None, typer.Option(help="backlog, todo, in_progress, review or done.")]
Points = Annotated[str | None, typer.Option(help="Story points (>= 0).")]
Low = Annotated[str | None, typer.Option("--low", help="Low end of the estimate, in points.")]
High = Annotated[str | None, typer.Option("--high", help="High end of the estimate, in points.")]
Timebox = Annotated[str | None, typer.Option("--timebox", help="Timebox in days (spikes).")]
Gpu = Annotated[str | None, typer.Option("--gpu-hours", help="Compute budget in GPU hours.")]
Target = Annotated[str | None, typer.Option(help="Metric target, e.g. 'val_f1 >= 0.82'.")]
Assignee = Annotated[str | None, typer.Option(help="Member handle.")]
SprintName = Annotated[str | None, typer.Option("--sprint", help="Sprint name.")]
Sensitivity = Annotated[
    str | None, typer.Option(help="none, internal, personal or special_category.")
]
Description = Annotated[str | None, typer.Option(help="Longer description.")]
Blocked = Annotated[str | None, typer.Option("--blocked", help="Mark blocked, with the reason.")]
FormatOption = Annotated[Format, typer.Option("--format", help="Output format.")]


# Option name -> story field, for the options whose names are shorter than the field's.
_FIELD_OF_OPTION = {"low": "estimate_low", "high": "estimate_high", "timebox": "timebox_days"}
_NOT_FIELDS = {"key", "unblock"}


def _changes(ctx: typer.Context) -> dict[str, str]:
    """The story options the user actually gave, as field -> text."""
    return {
        _FIELD_OF_OPTION.get(name, name): value
        for name, value in ctx.params.items()
        if name not in _NOT_FIELDS and value is not None
    }


@app.command("add")
def add(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="The story's title.")],
    kind: Kind = None,
    status: Status = None,
    points: Points = None,
    low: Low = None,
    high: High = None,
    timebox: Timebox = None,
    gpu_hours: Gpu = None,
    target: Target = None,
    assignee: Assignee = None,
    sprint: SprintName = None,
    sensitivity: Sensitivity = None,
    description: Description = None,
    blocked: Blocked = None,
) -> None:
    """Add a story (to the backlog unless --sprint is given)."""
    from mlboard.services.stories.records import create_story

    fields = _changes(ctx)
    title = fields.pop("title")
    story = create_story(ctx.obj.workspace(), title, fields)
    console().print(Text(f"created {story.key}: {story.title}"))


@app.command("edit")
def edit(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Story key, e.g. ML-12.")],
    title: Annotated[str | None, typer.Option(help="New title.")] = None,
    kind: Kind = None,
    status: Status = None,
    points: Points = None,
    low: Low = None,
    high: High = None,
    timebox: Timebox = None,
    gpu_hours: Gpu = None,
    target: Target = None,
    assignee: Assignee = None,
    sprint: SprintName = None,
    sensitivity: Sensitivity = None,
    description: Description = None,
    blocked: Blocked = None,
    unblock: Annotated[bool, typer.Option("--unblock", help="Clear the blocked flag.")] = False,
) -> None:
    """Change fields of a story. Pass '' to clear a field (e.g. --sprint '')."""
    from mlboard.errors import UserError
    from mlboard.services.stories.records import edit_story

    if blocked is not None and unblock:
        raise UserError("--blocked and --unblock contradict each other")
    fields = _changes(ctx)
    if unblock:
        fields["blocked"] = ""
    if not fields:
        raise UserError("nothing to change: give at least one option (see --help)")
    story = edit_story(ctx.obj.workspace(), key, fields)
    console().print(Text(f"updated {story.key}"))


@app.command("move")
def move(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Story key.")],
    status: Annotated[str, typer.Argument(help="backlog, todo, in_progress, review or done.")],
) -> None:
    """Move a story to another status."""
    from mlboard.services.stories.records import move_story

    story = move_story(ctx.obj.workspace(), key, status)
    console().print(Text(f"{story.key} is now {story.status}"))


@app.command("rank")
def rank(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Story key.")],
    top: Annotated[bool, typer.Option("--top", help="First in the backlog.")] = False,
    bottom: Annotated[bool, typer.Option("--bottom", help="Last in the backlog.")] = False,
    before: Annotated[str | None, typer.Option(help="Just above this story.")] = None,
    after: Annotated[str | None, typer.Option(help="Just below this story.")] = None,
) -> None:
    """Re-rank a story in the backlog order."""
    from mlboard.services.stories.records import rank_story

    story = rank_story(ctx.obj.workspace(), key, top=top, bottom=bottom, before=before, after=after)
    console().print(Text(f"ranked {story.key}"))


@app.command("show")
def show(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Story key.")],
    fmt: FormatOption = Format.TEXT,
) -> None:
    """Show one story with its history."""
    from mlboard.services.experiments.story_models import story_models
    from mlboard.services.governance.evidence import story_evidence
    from mlboard.services.governance.sensitivity import story_sensitivity
    from mlboard.services.stories.records import get_story, story_history

    workspace = ctx.obj.workspace()
    story = get_story(workspace, key)
    evidence = story_evidence(workspace, key)
    models = story_models(workspace, key)
    level, sources = story_sensitivity(workspace, key)
    if fmt is Format.JSON:
        print_json(
            {
                **story.as_json(),
                **evidence.as_json(),
                "models": [model.as_story_json() for model in models],
                "sensitivity_effective": level,
                "sensitivity_sources": sources,
            }
        )
        return
    history = story_history(workspace, key)
    facts = _evidence_rows(evidence, models)
    warnings = [w.message for w in [*evidence.warnings, *evidence.story_warnings]]
    if fmt is Format.MD:
        typer.echo(_story_markdown(story, facts, warnings, history), nl=False)
    else:
        _print_story(story, facts, warnings, history)


def _evidence_rows(evidence: Evidence, models: list[ModelVersionView]) -> list[tuple[str, object]]:
    """What the story's runs add to its fields: GPU-hours spent and the models registered."""
    compute = evidence.compute
    spent = None
    if compute.runs_counted or compute.gpu_hours_budget is not None:
        budget = compute.gpu_hours_budget
        spent = f"{compute.gpu_hours_used:.1f}" + (f" of {budget:g}" if budget is not None else "")
    listed = ", ".join(
        f"{m.name} v{m.version}" + (f" [{', '.join(m.aliases)}]" if m.aliases else "")
        for m in models
    )
    return [("GPU hours used", spent), ("models", listed or None)]


def _story_rows(story: StoryView) -> list[tuple[str, object]]:
    estimate = (
        f"{plain(story.estimate_low)}–{plain(story.estimate_high)}"
        if story.estimate_low is not None or story.estimate_high is not None
        else None
    )
    return [
        ("kind", story.kind),
        ("status", story.status),
        ("blocked", story.blocked_reason if story.blocked else None),
        ("points", story.points),
        ("estimate", estimate),
        ("timebox (days)", story.timebox_days),
        ("GPU hours", story.gpu_hours),
        ("target", story.target),
        ("assignee", story.assignee),
        ("sprint", story.sprint),
        ("sensitivity", story.sensitivity),
        ("created", story.created_at.strftime("%Y-%m-%d %H:%M UTC")),
    ]


def _print_story(
    story: StoryView,
    facts: list[tuple[str, object]],
    warnings: list[str],
    history: list[EventView],
) -> None:
    out = console()
    out.print(Text(f"{story.key}  {story.title}", style="bold"))
    print_fields(
        [
            (label, value)
            for label, value in [*_story_rows(story), *facts]
            if value not in (None, "")
        ]
    )
    for warning in warnings:
        out.print(Text(f"⚠ {warning}", style="yellow"))
    if story.description:
        out.print(Text(terminal_safe(story.description, keep_lines=True)))
    out.print(Text(f"history ({plural(len(history), 'event')})", style="bold"))
    for event in history:
        out.print(Text(_event_line(event)))


def _event_line(event: EventView) -> str:
    when = event.at.strftime("%Y-%m-%d %H:%M")
    if event.field == "created":
        return f"{when}  {event.actor} created the story"
    return f"{when}  {event.actor} {event.field}: {event.old or '—'} → {event.new or '—'}"


def _story_markdown(
    story: StoryView,
    facts: list[tuple[str, object]],
    warnings: list[str],
    history: list[EventView],
) -> str:
    from mlboard.cli.output import markdown_cell

    lines = [f"## {story.key}: {markdown_cell(story.title)}", ""]
    lines += [
        f"- **{label}**: {markdown_cell(value)}"
        for label, value in [*_story_rows(story), *facts]
        if value is not None and value != ""
    ]
    lines += [f"- ⚠ {markdown_cell(warning)}" for warning in warnings]
    if story.description:  # its lines kept, each inert
        lines += ["", *(markdown_cell(line) for line in story.description.split("\n"))]
    lines += ["", "### History", ""]
    lines += [f"- {markdown_cell(_event_line(event))}" for event in history]
    return "\n".join(lines) + "\n"


@app.command("list")
def list_(
    ctx: typer.Context,
    sprint: Annotated[str | None, typer.Option(help="Only this sprint.")] = None,
    backlog: Annotated[bool, typer.Option("--backlog", help="Only stories in no sprint.")] = False,
    status: Annotated[str | None, typer.Option(help="Only this status.")] = None,
    assignee: Annotated[str | None, typer.Option(help="Only this member's.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind.")] = None,
    fmt: FormatOption = Format.TEXT,
    wide: Wide = False,
) -> None:
    """List stories in rank order."""
    filters: dict[str, Any] = {
        "sprint": sprint, "backlog": backlog, "status": status, "assignee": assignee, "kind": kind
    }  # fmt: skip
    stories = ctx.obj.read_quickly(lambda reads: reads.list_stories(**filters))
    if stories is None:
        from mlboard.services.stories.records import list_stories

        stories = list_stories(ctx.obj.workspace(), **filters)
    if fmt is Format.JSON:
        print_json([story.as_json() for story in stories])
        return
    headers = ("key", "title", "kind", "status", "points", "assignee", "sprint", "target")
    rows = [
        (
            s.key,
            s.title + (f"  ⛔ {s.blocked_reason}" if s.blocked else ""),
            s.kind,
            s.status,
            s.points,
            s.assignee,
            s.sprint,
            s.target,
        )
        for s in stories
    ]
    print_table(f"Stories ({len(stories)})", headers, rows, fmt, free="title", wide=wide)
