"""`mlboard init`, `mlboard demo` and `mlboard where`: setting up and finding a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from mlboard.cli.output import console


def init(ctx: typer.Context) -> None:
    """Create (or upgrade) the configured database and say where it is."""
    settings = ctx.obj.settings()
    ctx.obj.workspace()
    console().print(Text(f"database ready: {settings.database} (from {settings.database_origin})"))


def where(ctx: typer.Context) -> None:
    """Print which database and config file this folder uses, and why."""
    settings = ctx.obj.settings()
    out = console()
    out.print(Text(f"database: {settings.database} (from {settings.database_origin})"))
    out.print(Text(f"config:   {settings.config_file or 'none found'}"))
    out.print(Text(f"actor:    {settings.actor}"))


def demo(
    ctx: typer.Context,
    folder: Annotated[
        Path | None, typer.Option("--dir", help="Folder for the demo (default: user data dir).")
    ] = None,
    no_open: Annotated[
        bool, typer.Option("--no-open", help="Build it and print where, without opening.")
    ] = False,
) -> None:
    """Build a demo workspace from the sample team (once) and open its board."""
    from datetime import date

    from mlboard.cli.board import open_board
    from mlboard.cli.state import CliState
    from mlboard.config import default_database
    from mlboard.services.demo import ensure_demo

    target = (folder or default_database().parent / "demo").expanduser().resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    settings = ctx.obj.settings()
    built = ensure_demo(target, settings, date.today())
    verb = "built" if built.created else "reusing"
    console().print(Text(f"{verb} demo workspace in {built.folder}"))
    if not no_open:
        open_board(CliState(db=str(built.database)))
