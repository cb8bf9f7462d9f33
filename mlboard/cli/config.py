"""`mlboard config trust|untrust`: the user's say over a repository's config file.

Light on purpose: trusting a file reads TOML and writes one small JSON file, nothing more.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from mlboard.cli.output import console
from mlboard.errors import UserError

if TYPE_CHECKING:
    from mlboard.config import ConfigFile

app = typer.Typer(
    help="Trust or stop trusting a config file found in a repository.", no_args_is_help=True
)

FileArgument = Annotated[
    Path | None,
    typer.Argument(
        help="mlboard.toml or pyproject.toml (default: the one found from this folder).",
        show_default=False,
    ),
]


@app.command("trust")
def trust(file: FileArgument = None) -> None:
    """Obey this config file's database, tracking_uri and user, as its content is now.

    The file's place and a hash of its content are recorded in your config folder; after an
    edit the file must be trusted again.
    """
    from mlboard.config_trust import NEEDS_TRUST, record_trust

    found = _config_file(file)
    store = record_trust(found.path, found.digest)
    out = console()
    out.print(Text(f"trusted {found.path}"))
    for key in found.sets:
        out.print(Text(f"  {key} = {json.dumps(found.table[key], ensure_ascii=False)}"))
    if not found.sets:
        out.print(Text(f"  (it sets none of {', '.join(NEEDS_TRUST)}: it needed no trust)"))
    out.print(Text(f"recorded in {store}"))


@app.command("untrust")
def untrust(file: FileArgument = None) -> None:
    """Stop obeying a config file's database, tracking_uri and user until it is trusted again."""
    from mlboard.config_trust import forget_trust, location

    path = location(file) if file is not None else _config_file(None).path
    if forget_trust(path):
        console().print(Text(f"no longer trusted: {path}"))
    else:
        console().print(Text(f"{path} was not trusted"))


def _config_file(file: Path | None) -> ConfigFile:
    """The file named, or the one mlboard would use here; refused if it holds no settings."""
    from mlboard.config import CONFIG_NAMES, find_config_file, read_config_file
    from mlboard.config_trust import location

    if file is None:
        here = Path.cwd().resolve()
        found = find_config_file(here)
        if found is None:
            raise UserError(
                f"no mlboard.toml or pyproject.toml with [tool.mlboard] in {here} or above: "
                "nothing to trust"
            )
        return found
    path = location(file)
    if path.is_dir():
        raise UserError(f"{file} is a folder: name its mlboard.toml or pyproject.toml")
    if not path.is_file():
        raise UserError(f"{file}: no such file")
    if path.name not in CONFIG_NAMES:
        raise UserError(f"{file}: mlboard reads only mlboard.toml or pyproject.toml")
    found = read_config_file(path)
    if found is None:
        raise UserError(f"{file} has no [tool.mlboard] table: nothing to trust")
    return found
