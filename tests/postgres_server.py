"""A real PostgreSQL server for the tests: the one in MLBOARD_TEST_POSTGRES_URL, or a private
cluster started here with Debian's `initdb`/`pg_ctl` in a temporary folder, on 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ENV = "MLBOARD_TEST_POSTGRES_URL"


def _bin_dir() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    return versions[-1] if versions else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_server_user(command: list[str]) -> list[str]:
    """initdb refuses to run as root: run the server as the `postgres` system user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


@contextmanager
def postgres_server() -> Iterator[str | None]:
    """Yield a SQLAlchemy URL of a server the tests may create databases on (None: none)."""
    if os.environ.get(ENV):
        yield os.environ[ENV]
        return
    binaries = _bin_dir()
    if binaries is None:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="mlboard-pg-"))
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(sockets, "postgres")
    port = _free_port()

    def run(program: str, *args: str) -> None:
        subprocess.run(
            _as_server_user([str(binaries / program), *args]),
            check=True,
            capture_output=True,
            text=True,
        )

    run("initdb", "-D", str(data), "-A", "trust", "-U", "mlboard", "--no-sync")
    run(
        "pg_ctl", "-D", str(data), "-l", str(folder / "server.log"), "-w", "start",
        "-o", f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off",
    )  # fmt: skip
    try:
        yield f"postgresql+psycopg://mlboard@127.0.0.1:{port}/postgres"
    finally:
        run("pg_ctl", "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def created_database(server_url: str) -> Iterator[str]:
    """A fresh database on the server for one test, dropped afterwards."""
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    name = f"mlboard_test_{uuid.uuid4().hex[:12]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
