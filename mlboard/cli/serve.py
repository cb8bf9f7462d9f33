"""`mlboard serve`: the board in a web browser, for remote planning sessions.

textual-serve runs one board process per browser tab (`python -m mlboard`) and relays its
screen over a websocket to xterm.js in the page. Every tab opens the same database — the one this
command resolved, handed down as `MLBOARD_DB` so that a database URL's password never shows in a
process list — so several people can plan together: each tab is its own process, and the store's
WAL mode, busy timeout and one write transaction per action keep them from clobbering each other.

Only the holder of the server's token gets in (serve_web.py has the gate); the default address
is loopback only all the same. A tab knows it is served (`MLBOARD_SERVED=1`) and writes no file on
the server: what a terminal would save to a path reaches the browser as a download instead.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import shlex
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote

import typer
from rich.text import Text

from mlboard.cli.output import console, error_console

if TYPE_CHECKING:
    from mlboard.cli.serve_web import BoardServer

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
    token: Annotated[
        str | None,
        typer.Option(
            envvar="MLBOARD_SERVE_TOKEN",
            show_envvar=True,
            help="Token browsers need to get in (default: a new random one at every start).",
        ),
    ] = None,
    max_sessions: Annotated[
        int, typer.Option("--max-sessions", min=1, help="Tabs open at once; more are turned away.")
    ] = 8,
    user: Annotated[
        str | None,
        typer.Option(help="Who every tab acts as in history and audit (default: yours)."),
    ] = None,
) -> None:
    """Serve the board to web browsers (one board process per tab, one shared database)."""
    from mlboard.cli.state import CliState
    from mlboard.errors import UserError

    if token is not None and not token.strip():
        raise UserError("--token is empty: leave it out for a random one")
    if user is not None and not user.strip():
        raise UserError("--user is empty: give a name, or leave it out to act as yourself")
    state = CliState(db=db) if db else ctx.obj
    settings = state.settings()
    # Create or upgrade the database once, here, so no tab races a migration and a bad
    # database (or a keymap that would fail every tab's board) is one error line now rather
    # than a broken page in every tab.
    from mlboard.tui.keys import check_keymap

    check_keymap(settings)
    state.workspace().close()
    database = absolute_database(settings.database)
    _check_can_listen(host, port)

    token = token or secrets.token_urlsafe(32)
    # Every tab's board inherits the server's environment: the database, who acts, and that it
    # runs in a browser. The boards need no token, so it is not handed down.
    os.environ.pop("MLBOARD_SERVE_TOKEN", None)
    os.environ.update(
        MLBOARD_DB=database, MLBOARD_USER=(user or settings.actor).strip(), MLBOARD_SERVED="1"
    )
    server = _server(host, port, (url or public_url(host, port)).rstrip("/"), token, max_sessions)
    # The one place the token is written: the address to open, whole, on one line.
    console().print(
        Text(
            f"serving the board on {shown(database)} (Ctrl-C stops): "
            f"{server.public_url}/?token={quote(token, safe='')}"
        ),
        soft_wrap=True,
    )
    if not is_loopback(host):
        error_console().print(
            Text(
                f"warning: bound to {host or 'all interfaces'}, so the board is reachable from "
                "the network. Its token keeps out whoever does not have it, but the traffic is "
                "plain HTTP: anyone on the way can read the token and the board (put HTTPS in "
                "front and pass --public-url)"
            ),
            soft_wrap=True,
        )
    server.serve()
    console().print(Text("stopped"))


def _server(host: str, port: int, url: str, token: str, max_sessions: int) -> BoardServer:
    """The board's web server, behind its gate.

    textual-serve (aiohttp, Jinja) is imported here so that `mlboard --help` does not load it.
    """
    from mlboard.cli.serve_web import BoardServer, Gate

    def log(line: str) -> None:
        error_console().print(Text(line), soft_wrap=True)

    gate = Gate(token, port=port, public_url=url, max_sessions=max_sessions, log=log)
    return BoardServer(BOARD_COMMAND, host=host, port=port, public_url=url, gate=gate)
