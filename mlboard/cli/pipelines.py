"""`mlboard pipeline ...`: data pipelines and their runs."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from mlboard.cli.output import (
    Format,
    Wide,
    console,
    error_console,
    markdown_cell,
    plain,
    print_json,
    print_table,
)
from mlboard.wording import plural

if TYPE_CHECKING:
    from mlboard.services.data.lineage_ingest import IngestResult
    from mlboard.services.data.status import PipelineStatus, RunView

app = typer.Typer(help="Data pipelines: runs, freshness, lineage events.", no_args_is_help=True)

PipelineArgument = Annotated[
    str, typer.Argument(help="Pipeline: namespace/name, or name when unambiguous.")
]
FormatOption = Annotated[Format, typer.Option("--format", help="Output format.")]


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""


@app.command("ingest")
def ingest(
    ctx: typer.Context,
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Files of OpenLineage events (one, an array or JSON lines); - reads stdin.",
            show_default=False,
        ),
    ],
    fmt: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.TEXT,
) -> None:
    """Store OpenLineage run events from one or more files.

    Each file is stored in its own transaction, all its events or none: a file with any bad
    event (or that cannot be read) stores nothing, each bad event is reported on stderr as
    `where: reason` (the file, with the event's index or line), the other files are stored all
    the same, and the exit code is 2.
    """
    from mlboard.errors import UserError
    from mlboard.services.data.lineage_ingest import ingest_file, ingest_total

    if sources.count("-") > 1:
        raise UserError("- is given more than once: standard input can be read only once")
    workspace = ctx.obj.workspace()
    results = [
        ingest_file(workspace, "<stdin>", sys.stdin.buffer.read)
        if source == "-"
        else ingest_file(workspace, source, Path(source).read_bytes)
        for source in sources
    ]
    total = ingest_total(results)
    if fmt is Format.JSON:
        files = [{"file": r.source, "stored": r.stored, **r.as_json()} for r in results]
        print_json({**total.as_json(), "files": files})
    else:
        for error in total.errors:
            error_console().print(Text(f"error: {error}"), soft_wrap=True)
        out = console()
        for result in results:  # one bad file alone: its error lines say all there is
            if result.stored or len(results) > 1:
                out.print(Text(f"{result.source}: {_file_line(result)}"), soft_wrap=True)
        if len(results) > 1:
            stored = sum(result.stored for result in results)
            line = f"{stored} of {plural(len(results), 'file')} stored: {_applied(total)}"
            out.print(Text(line), soft_wrap=True)
    if total.errors:
        raise typer.Exit(2)


def _file_line(result: IngestResult) -> str:
    if not result.stored:
        return f"nothing stored ({plural(len(result.errors), 'error')})"
    return f"{plural(result.events, 'event')}: {_applied(result)}"


def _applied(result: IngestResult) -> str:
    return (
        f"{result.applied} applied, {result.repeated} already seen; "
        f"{plural(result.runs_added, 'run')} added, {result.runs_updated} updated, "
        f"{plural(result.pipelines_added, 'pipeline')} added"
    )


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to bind; 0.0.0.0 exposes it.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = 5050,
    token: Annotated[
        str | None,
        typer.Option(envvar="MLBOARD_LINEAGE_TOKEN", help="Require this bearer token."),
    ] = None,
    max_body: Annotated[int, typer.Option("--max-body", help="Largest body, in bytes.")] = 1 << 20,
    max_connections: Annotated[
        int,
        typer.Option(
            "--max-connections", help="Connections at once; one more is answered 503 at once."
        ),
    ] = 64,
    request_timeout: Annotated[
        float,
        typer.Option(
            "--request-timeout",
            metavar="SECONDS",
            help="Time for a whole request, and for an idle kept-alive connection.",
        ),
    ] = 30.0,
    quiet: Annotated[bool, typer.Option("--quiet", help="Do not log each request.")] = False,
) -> None:
    """Receive OpenLineage events over HTTP (POST /api/v1/lineage) until Ctrl-C."""
    from mlboard.errors import UserError
    from mlboard.integrations.guarded_http import MAX_REQUEST_TIMEOUT
    from mlboard.services.data.lineage_server import PATH, make_server

    if max_body <= 0:
        raise UserError("--max-body must be a positive number of bytes")
    if max_connections <= 0:
        raise UserError("--max-connections must be 1 or more")
    if not 0 < request_timeout <= MAX_REQUEST_TIMEOUT:
        raise UserError(f"--request-timeout must be above 0 and at most {MAX_REQUEST_TIMEOUT:g} s")
    log = None if quiet else (lambda line: error_console().print(Text(line), soft_wrap=True))
    try:
        server = make_server(
            ctx.obj.workspace(),
            host,
            port,
            token=token,
            max_body=max_body,
            max_connections=max_connections,
            request_timeout=request_timeout,
            log=log,
        )
    except OSError as error:
        raise UserError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    auth = "bearer token required" if token else "no token: anyone who can connect may post"
    console().print(Text(f"listening on {server.url}{PATH} ({auth}); Ctrl-C stops"))
    if not token and host not in ("127.0.0.1", "localhost", "::1"):
        error_console().print(
            Text(f"warning: {host} is reachable from other machines; set --token")
        )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    console().print(Text("stopped"))


@app.command("record")
def record(
    ctx: typer.Context,
    name: PipelineArgument,
    state: Annotated[str, typer.Option(help="running, success, failed or aborted.")],
    rows: Annotated[int | None, typer.Option(min=0, help="Rows written.")] = None,
    error: Annotated[str | None, typer.Option(help="Error message (failed runs).")] = None,
    run_id: Annotated[
        str | None, typer.Option("--run-id", help="Run id, to report the same run again.")
    ] = None,
    namespace: Annotated[
        str | None,
        typer.Option(help="Namespace of a new pipeline (default: look NAME up, else mlboard)."),
    ] = None,
) -> None:
    """Record a pipeline run from a script or CI job that does not speak OpenLineage."""
    from mlboard.services.data.pipelines import record_run

    run = record_run(
        ctx.obj.workspace(), name, state, rows=rows, error=error, run_id=run_id, namespace=namespace
    )
    console().print(Text(f"{run.pipeline}: run {run.run_id} is {run.state}"))


@app.command("list")
def list_(ctx: typer.Context, fmt: FormatOption = Format.TEXT, wide: Wide = False) -> None:
    """List pipelines with their last run, freshness against the SLA and failure streak."""
    from mlboard.services.data.status import pipeline_statuses

    statuses = pipeline_statuses(ctx.obj.workspace())
    if fmt is Format.JSON:
        print_json([status.as_json() for status in statuses])
        return
    headers = ("pipeline", "last state", "last run", "last success", "fresh", "failures", "rows")
    headers += ("owner", "SLA h")
    rows = [
        (
            s.full_name,
            s.last_state,
            _when(s.last_run_at),
            _when(s.last_success_at),
            _fresh(s),
            s.failures_in_row or None,
            s.rows_last,
            s.owner,
            s.sla_hours,
        )
        for s in statuses
    ]
    print_table(f"Pipelines ({len(statuses)})", headers, rows, fmt, wide=wide)


def _fresh(status: PipelineStatus) -> str:
    return {True: "fresh", False: "STALE", None: "no SLA"}[status.fresh]


@app.command("show")
def show(
    ctx: typer.Context,
    name: PipelineArgument,
    limit: Annotated[int, typer.Option(min=1, help="How many recent runs.")] = 10,
    fmt: FormatOption = Format.TEXT,
) -> None:
    """Show a pipeline and its recent runs, with the child runs (tasks) of each."""
    from mlboard.services.data.status import pipeline_detail

    status, runs = pipeline_detail(ctx.obj.workspace(), name, limit)
    if fmt is Format.JSON:
        print_json(
            {
                **status.as_json(),
                "owner": status.owner or None,
                "sla_hours": status.sla_hours,
                "sensitivity": status.sensitivity,
                "runs": [run.as_json() for run in runs],
            }
        )
        return
    lines = [f"{status.full_name}: {status.last_state or 'no runs'}, {_fresh(status)}"]
    lines.append(
        f"owner {status.owner or '—'}, SLA {plain(status.sla_hours) or '—'} h, "
        f"sensitivity {status.sensitivity}"
    )
    lines.append(f"recent runs ({len(runs)}):")
    for run in runs:
        lines += _run_lines(run, 1)
    if fmt is Format.MD:
        typer.echo(_show_markdown(lines))
        return
    for line in lines:
        console().print(Text(line), soft_wrap=True)


def _show_markdown(lines: list[str]) -> str:
    """A heading, two lines of facts, then the runs as a list, tasks and errors nested."""
    heading, about, recent, *runs = lines
    items = [_nested_item(line) for line in runs]
    parts = [f"### {markdown_cell(heading)}", markdown_cell(about), markdown_cell(recent)]
    return "\n\n".join(parts) + "\n\n" + "\n".join(items)


def _nested_item(line: str) -> str:
    """A run's line as a list item, nested as deep as the text indents it (two spaces a level)."""
    indent = len(line) - len(line.lstrip()) - 2
    return " " * indent + "- " + markdown_cell(line)


def _run_lines(run: RunView, depth: int) -> list[str]:
    state = (run.state or "unknown") + (" (from its tasks)" if run.derived else "")
    rows = f", {plural(run.rows_out, 'row')}" if run.rows_out is not None else ""
    text = f"{'  ' * depth}{run.run_id}  {state}  {_when(run.started_at)} → {_when(run.ended_at)}"
    lines = [text + rows]
    if run.error_message:
        lines.append(
            f"{'  ' * (depth + 1)}error: {run.error_message.strip().splitlines()[0][:160]}"
        )
    for child in run.children:
        lines += _run_lines(child, depth + 1)
    return lines


@app.command("set")
def set_(
    ctx: typer.Context,
    name: PipelineArgument,
    owner: Annotated[str | None, typer.Option(help="Who answers for it (member handle).")] = None,
    sla_hours: Annotated[
        str | None,
        typer.Option(
            "--sla-hours", help="Freshness SLA: a success at most H hours ago ('' clears)."
        ),
    ] = None,
    sensitivity: Annotated[
        str | None, typer.Option(help="none, internal, personal or special_category.")
    ] = None,
    create: Annotated[
        bool, typer.Option("--create", help="Add the pipeline if no run has named it yet.")
    ] = False,
) -> None:
    """Configure a pipeline: owner, freshness SLA, data sensitivity."""
    from mlboard.errors import UserError
    from mlboard.services.data.pipelines import set_pipeline

    if owner is None and sla_hours is None and sensitivity is None and not create:
        raise UserError("nothing to change: give --owner, --sla-hours or --sensitivity")
    full = set_pipeline(
        ctx.obj.workspace(), name, owner=owner, sla_hours=sla_hours, sensitivity=sensitivity,
        create=create,
    )  # fmt: skip
    console().print(Text(f"updated {full}"))


@app.command("depend")
def depend(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Story key, e.g. ML-12.")],
    pipeline: PipelineArgument,
    remove: Annotated[bool, typer.Option("--remove", help="Remove the dependency.")] = False,
) -> None:
    """Make a story depend on a pipeline: a failed or stale pipeline blocks it by data."""
    from mlboard.services.data.status import depend as depend_on

    story, name = depend_on(ctx.obj.workspace(), key, pipeline, remove=remove)
    verb = "no longer depends" if remove else "depends"
    console().print(Text(f"{story} {verb} on pipeline {name}"))
