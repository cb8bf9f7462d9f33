"""`mlboard serve`: the board in a web browser, for remote planning sessions.

textual-serve runs one board process per browser tab (`python -m mlboard`) and relays its
screen over a websocket to xterm.js in the page. Every tab opens the same database — the one this
command resolved, handed down as `MLBOARD_DB` so that a database URL's password never shows in a
process list — so several people can plan together: each tab is its own process, and the store's
WAL mode, busy timeout and one write transaction per action keep them from clobbering each other.
There is no authentication, so the default address is loopback only.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import shlex
import socket
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from mlboard.cli.output import console, error_console

WILDCARD = ("0.0.0.0", "::", "")
# What one browser tab runs; the database comes from MLBOARD_DB, set by `serve`.
BOARD_COMMAND = shlex.join([sys.executable, "-m", "mlboard"])


def is_loopback(host: str) -> bool:
    """Whether only this machine can reach `host` (localhost, 127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def absolute_database(database: str) -> str:
    """A file path made absolute, so every tab opens the same file; URLs are kept as given."""
    if "://" in database:
        return database
    return str(Path(database).expanduser().resolve())


def shown(database: str) -> str:
    """The database as printed: a URL's password hidden."""
    if "://" not in database:
        return database
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(database).render_as_string(hide_password=True)
    except ArgumentError:
        return database


def public_url(host: str, port: int) -> str:
    """The address browsers are told to use (the page's websocket points there too)."""
    if host in WILDCARD:
        host = socket.gethostname()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def _check_can_listen(host: str, port: int) -> None:
    """Fail with one clear line before starting, rather than in the middle of the server's log."""
    from mlboard.errors import UserError

    try:
        infos = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        family, kind, proto, _, address = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:
        reason = getattr(error, "strerror", None) or error
        raise UserError(f"cannot listen on {host}:{port}: {reason}") from None


def serve(
    ctx: typer.Context,
    host: Annotated[
        str, typer.Option(help="Address to bind; anything but loopback exposes the board.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database for every tab (else the global --db, env, config)."),
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            help="Address browsers use to reach this server (behind a proxy or on 0.0.0.0).",
        ),
    ] = None,
) -> None:
    """Serve the board to web browsers (one board process per tab, one shared database)."""
    from mlboard.cli.state import CliState

    state = CliState(db=db) if db else ctx.obj
    settings = state.settings()
    # Create or upgrade the database once, here, so no tab races a migration and a bad
    # database is one error line now rather than a broken page in every tab.
    state.workspace().close()
    database = absolute_database(settings.database)
    _check_can_listen(host, port)

    os.environ["MLBOARD_DB"] = database  # every tab's board inherits the server's environment
    server = _server(BOARD_COMMAND, host, port, url or public_url(host, port))
    console().print(
        Text(f"serving the board on {shown(database)} at {server.public_url}; Ctrl-C stops"),
        soft_wrap=True,
    )
    if not is_loopback(host):
        error_console().print(
            Text(
                f"warning: bound to {host or 'all interfaces'}, so the board is reachable from "
                "the network with no authentication: anyone who can connect can change it"
            ),
            soft_wrap=True,
        )
    server.serve()
    console().print(Text("stopped"))


def _server(command: str, host: str, port: int, url: str):  # type: ignore[no-untyped-def]
    """A textual-serve server without its banner and access log (`serve` prints the URL).

    textual-serve (aiohttp, Jinja) is imported here so that `mlboard --help` does not load it.
    """
    from textual_serve.server import Server

    class QuietServer(Server):
        def initialize_logging(self) -> None:
            super().initialize_logging()  # keeps textual-serve's own errors (a tab failing)
            logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

        async def on_startup(self, app: object) -> None:
            return None

    return QuietServer(command, host=host, port=port, title="mlboard", public_url=url.rstrip("/"))
