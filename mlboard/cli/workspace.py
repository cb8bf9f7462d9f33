"""`mlboard init`, `mlboard demo` and `mlboard where`: setting up and finding a workspace."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from mlboard.cli.output import console

if TYPE_CHECKING:
    from mlboard.config_trust import ConfigTrust


def init(ctx: typer.Context) -> None:
    """Create (or upgrade) the configured database, and its folder, and say where it is."""
    settings = ctx.obj.settings()
    ctx.obj.workspace(create_folder=True)
    console().print(Text(f"database ready: {settings.database} (from {settings.database_origin})"))


def where(ctx: typer.Context) -> None:
    """Print which database and config file this folder uses, why, and whether it is trusted."""
    from mlboard.config import load_settings

    settings = load_settings(ctx.obj.db, require_trust=False)
    lines = [
        f"database: {settings.database} (from {settings.database_origin})",
        f"config:   {settings.config_file or 'none found'}",
    ]
    if settings.config_trust is not None:
        lines.append(f"trust:    {trust_line(settings.config_trust)}")
    lines.append(f"actor:    {settings.actor}")
    out = console()
    for line in lines:
        out.print(Text(line), soft_wrap=True)


def trust_line(trust: ConfigTrust) -> str:
    """Whether the config file is trusted, and what that means for the commands run here."""
    from mlboard.config_trust import NEEDS_TRUST, TrustState, store_path

    state = trust.state()
    if state is TrustState.TRUSTED:
        return f"trusted (recorded in {store_path()})"
    if not trust.sets:
        return f"{state}; not needed: it sets none of {', '.join(NEEDS_TRUST)}"
    if not trust.needs:
        return f"{state}; not needed here: {', '.join(trust.sets)} overridden by flag or variable"
    return (
        f"{state}: it sets {', '.join(trust.needs)}, so commands here refuse it until "
        f"`{trust.command}`"
    )


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
    from datetime import UTC, datetime

    from mlboard.cli.board import open_board
    from mlboard.cli.state import CliState
    from mlboard.config import default_database
    from mlboard.services.demo import ensure_demo

    target = (folder or default_database().parent / "demo").expanduser().resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    settings = ctx.obj.settings()
    built = ensure_demo(target, settings, datetime.now(UTC))
    verb = "built" if built.created else "reusing"
    console().print(Text(f"{verb} demo workspace in {built.folder}"))
    if not no_open:
        open_board(CliState(db=str(built.database)))
