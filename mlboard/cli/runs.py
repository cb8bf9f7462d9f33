"""`mlboard sync` and `mlboard story link|unlink`: runs from MLflow on the board."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from mlboard.cli.output import Format, console, error_console, print_json
from mlboard.wording import plural

RunArgument = Annotated[str, typer.Argument(help="MLflow run id.")]
KeyArgument = Annotated[str, typer.Argument(help="Story key, e.g. ML-12.")]
WriteTag = Annotated[
    bool | None,
    typer.Option(
        "--write-tag/--no-write-tag",
        help="Also set (or remove) the run's mlboard.story tag in MLflow (default: config).",
    ),
]

# The counts of `sync --format json` summed over the tracking URIs.
_TOTALS = (
    "runs_seen", "runs_added", "runs_updated", "links_added", "model_versions", "tags_pending"
)  # fmt: skip


def sync(
    ctx: typer.Context,
    tracking_uri: Annotated[
        list[str] | None,
        typer.Option(
            "--tracking-uri",
            help="MLflow tracking URI; repeat for several (else MLFLOW_TRACKING_URI, config).",
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="text or json.")] = Format.TEXT,
    history: Annotated[
        bool,
        typer.Option(
            "--history/--no-history",
            help="Also fetch the metric histories that charts and checks need.",
        ),
    ] = True,
) -> None:
    """Mirror MLflow runs, story links and registered models into the board."""
    from mlboard.errors import UserError
    from mlboard.services.metric_history import refresh_histories
    from mlboard.services.sync import sync as sync_store

    ctx.obj.tracking_uris = tuple(tracking_uri or ())
    uris = ctx.obj.settings().tracking_uris
    if not uris:
        raise UserError(
            "no tracking URI: pass --tracking-uri, set MLFLOW_TRACKING_URI, or set "
            "tracking_uri in [tool.mlboard]"
        )
    workspace = ctx.obj.workspace()
    quiet = fmt is Format.JSON
    results = []
    for uri in uris:
        with error_console().status(f"syncing {uri}") as status:

            def progress(message: str, uri: str = uri) -> None:
                status.update(f"{uri}: {message}")

            results.append(sync_store(workspace, uri, progress=None if quiet else progress))
    if history:
        with error_console().status("fetching metric histories") as status:
            fetched = refresh_histories(
                workspace,
                progress=None
                if quiet
                else lambda done, total: status.update(f"metric histories: {done}/{total}"),
            )
    if fmt is Format.JSON:
        totals = {key: sum(r.as_json()[key] for r in results) for key in _TOTALS}
        print_json(
            {
                **totals,
                "histories_fetched": fetched if history else 0,
                "tracking_uris": [r.as_json() for r in results],
            }
        )
        return
    for r in results:
        console().print(
            Text(
                f"{r.tracking_uri}: {plural(r.runs_seen, 'run')} seen, {r.runs_added} added, "
                f"{r.runs_updated} updated, {r.links_added} linked, "
                f"{plural(r.model_versions, 'model version')}"
            )
        )
        if r.tags_pending:
            console().print(
                Text(
                    f"{r.tracking_uri}: {plural(r.tags_pending, 'story tag')} not yet written to "
                    "MLflow (the next sync tries again)"
                )
            )


def link(
    ctx: typer.Context, key: KeyArgument, run_id: RunArgument, write_tag: WriteTag = None
) -> None:
    """Link an MLflow run to a story."""
    from mlboard.services.linking import link_run

    result = link_run(ctx.obj.workspace(), key, run_id, write_tag=write_tag)
    console().print(Text(f"linked run {run_id} to {key.upper()}"))
    _warn_tag(result.tag_warning)


def unlink(
    ctx: typer.Context, key: KeyArgument, run_id: RunArgument, write_tag: WriteTag = None
) -> None:
    """Unlink an MLflow run from a story."""
    from mlboard.services.linking import unlink_run

    result = unlink_run(ctx.obj.workspace(), key, run_id, write_tag=write_tag)
    console().print(Text(f"unlinked run {run_id} from {key.upper()}"))
    _warn_tag(result.tag_warning)


def _warn_tag(warning: str | None) -> None:
    """The link is made; the tag is not yet: one line on stderr, exit 0."""
    if warning:
        error_console().print(
            Text(f"warning: mlboard.story tag not written ({warning}); the next sync tries again"),
            soft_wrap=True,
        )
