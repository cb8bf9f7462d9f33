"""The `mlboard` commands. Thin: parse arguments, call a service, print the result.

Services (and through them SQLAlchemy) are imported inside commands, so `mlboard --help` stays
fast, and a command line registers only the command it runs (`app_for`). Errors are reported by
`mlboard.launcher`, the executable's entry point.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated

import typer

from mlboard.cli.state import CliState
from mlboard.errors import UserError
from mlboard.tui import SCREENS

app_root = typer.Typer(
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


@app_root.callback(invoke_without_command=True)
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
    ctx.obj = CliState(db=db, clock=ctx.obj.clock if isinstance(ctx.obj, CliState) else None)
    if ctx.invoked_subcommand is None:
        from mlboard.cli.board import open_board

        open_board(ctx.obj, screen or "board")
    elif screen is not None:
        raise UserError(f"--screen opens the TUI; it does not go with `{ctx.invoked_subcommand}`")


# Each command's module is imported, and its Typer commands built, only when that command runs
# (or for the full help): building every command's parameters takes longer than a simple
# command's own work. `app` (below) is the whole CLI, registered in this order.


def _members() -> None:
    from mlboard.cli import members

    app_root.add_typer(members.app, name="member")


def _sprints() -> None:
    from mlboard.cli import planning, sprints

    sprints.app.command("report")(planning.report)
    app_root.add_typer(sprints.app, name="sprint")


def _stories() -> None:
    from mlboard.cli import governance, run_reports, runs, stories

    stories.app.command("link")(runs.link)
    stories.app.command("unlink")(runs.unlink)
    stories.app.command("compare")(run_reports.story_compare)
    stories.app.command("check")(governance.check)
    stories.app.command("gates")(governance.gates)
    app_root.add_typer(stories.app, name="story")


def _import() -> None:
    from mlboard.cli import transfer

    app_root.add_typer(transfer.import_app, name="import")


def _export() -> None:
    from mlboard.cli import transfer

    app_root.command("export")(transfer.export)


def _pipelines() -> None:
    from mlboard.cli import pipelines

    app_root.add_typer(pipelines.app, name="pipeline")


def _drift() -> None:
    from mlboard.cli import monitoring

    app_root.add_typer(monitoring.drift_app, name="drift")


def _alerts() -> None:
    from mlboard.cli import monitoring

    app_root.add_typer(monitoring.alert_app, name="alert")


def _standup() -> None:
    from mlboard.cli import standup

    app_root.add_typer(standup.app, name="standup")


def _audit() -> None:
    from mlboard.cli import audit

    app_root.add_typer(audit.app, name="audit")


def _sync() -> None:
    from mlboard.cli import runs

    app_root.command("sync")(runs.sync)


def _plan() -> None:
    from mlboard.cli import planning

    app_root.command("plan")(planning.plan)


def _runs() -> None:
    from mlboard.cli import run_reports

    app_root.add_typer(run_reports.app, name="run")


def _models() -> None:
    from mlboard.cli import governance

    app_root.add_typer(governance.model_app, name="model")


def _datasets() -> None:
    from mlboard.cli import governance

    app_root.add_typer(governance.dataset_app, name="dataset")


def _workspace(name: str) -> Callable[[], None]:
    def register() -> None:
        from mlboard.cli import workspace

        app_root.command(name)(getattr(workspace, name))

    return register


def _config() -> None:
    from mlboard.cli import config

    app_root.add_typer(config.app, name="config")


def _serve() -> None:
    from mlboard.cli import serve

    app_root.command("serve")(serve.serve)


COMMANDS: dict[str, Callable[[], None]] = {
    "member": _members,
    "sprint": _sprints,
    "story": _stories,
    "import": _import,
    "export": _export,
    "pipeline": _pipelines,
    "drift": _drift,
    "alert": _alerts,
    "standup": _standup,
    "audit": _audit,
    "sync": _sync,
    "plan": _plan,
    "run": _runs,
    "model": _models,
    "dataset": _datasets,
    "init": _workspace("init"),
    "demo": _workspace("demo"),
    "where": _workspace("where"),
    "config": _config,
    "serve": _serve,
}
_registered: set[str] = set()
_ROOT_OPTIONS_WITH_VALUES = ("--db", "--screen")


def register(*names: str) -> typer.Typer:
    """Add the commands `names` (all of them if none is named) to the root app, once each."""
    for name in names or tuple(COMMANDS):
        if name not in _registered:
            _registered.add(name)
            COMMANDS[name]()
    return app_root


def command_name(args: Sequence[str]) -> str | None:
    """The command `args` run (`sprint` in `--db team.db sprint list`); None when that takes the
    full parser to say (help, --version, a typo it will suggest a fix for)."""
    rest = list(args)
    while rest:
        arg = rest.pop(0)
        if arg in _ROOT_OPTIONS_WITH_VALUES:
            if not rest:
                return None
            rest.pop(0)
        elif not arg.startswith(tuple(f"{option}=" for option in _ROOT_OPTIONS_WITH_VALUES)):
            return arg if arg in COMMANDS else None
    return None


def app_for(args: Sequence[str]) -> typer.Typer:
    """The root app with only the command `args` name registered (every one when it takes the
    full parser to say which)."""
    name = command_name(args)
    return register(*([name] if name else []))


def __getattr__(name: str) -> typer.Typer:
    """`mlboard.cli.app`: the whole CLI, every command registered (tests, the full help)."""
    if name == "app":
        return register()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
