"""The `mlboard` commands. Thin: parse arguments, call a service, print the result.

Services (and through them SQLAlchemy) are imported inside commands, so `mlboard --help` stays
fast. Errors are reported by `mlboard.launcher`, the executable's entry point.
"""

from __future__ import annotations

from typing import Annotated

import typer

from mlboard.cli.state import CliState
from mlboard.errors import UserError
from mlboard.tui import SCREENS

app = typer.Typer(
    name="mlboard",
    help="A terminal sprint board for ML teams. Without a command, opens the board.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from mlboard import __version__

        typer.echo(f"mlboard {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="Database: a file path or SQLAlchemy URL (else MLBOARD_DB, config, default).",
        ),
    ] = None,
    screen: Annotated[
        str | None,
        typer.Option("--screen", help=f"Screen to open the TUI on: {', '.join(SCREENS)}."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print version.")
    ] = False,
) -> None:
    ctx.obj = CliState(db=db)
    if ctx.invoked_subcommand is None:
        from mlboard.cli.board import open_board

        open_board(ctx.obj, screen or "board")
    elif screen is not None:
        raise UserError(f"--screen opens the TUI; it does not go with `{ctx.invoked_subcommand}`")


def _register() -> None:
    from mlboard.cli import (
        audit,
        config,
        governance,
        members,
        monitoring,
        pipelines,
        planning,
        run_reports,
        runs,
        serve,
        sprints,
        standup,
        stories,
        transfer,
        workspace,
    )

    app.add_typer(members.app, name="member")
    app.add_typer(sprints.app, name="sprint")
    app.add_typer(stories.app, name="story")
    app.add_typer(transfer.import_app, name="import")
    app.command("export")(transfer.export)
    app.add_typer(pipelines.app, name="pipeline")
    app.add_typer(monitoring.drift_app, name="drift")
    app.add_typer(monitoring.alert_app, name="alert")
    app.add_typer(standup.app, name="standup")
    app.add_typer(audit.app, name="audit")
    app.command("sync")(runs.sync)
    app.command("plan")(planning.plan)
    sprints.app.command("report")(planning.report)
    stories.app.command("link")(runs.link)
    stories.app.command("unlink")(runs.unlink)
    stories.app.command("compare")(run_reports.story_compare)
    app.add_typer(run_reports.app, name="run")
    stories.app.command("check")(governance.check)
    stories.app.command("gates")(governance.gates)
    app.add_typer(governance.model_app, name="model")
    app.add_typer(governance.dataset_app, name="dataset")
    app.command("init")(workspace.init)
    app.command("demo")(workspace.demo)
    app.command("where")(workspace.where)
    app.add_typer(config.app, name="config")
    app.command("serve")(serve.serve)


_register()
