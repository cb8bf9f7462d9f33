"""`mlboard serve` names the database every tab will open, never with its password."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys

import pytest
from sqlalchemy.engine import make_url

from mlboard.cli.serve import shown

from processes import child_env

BACKENDS = ("postgresql",)  # a URL with a password: the store suite's PostgreSQL


@pytest.mark.parametrize(
    ("database", "printed"),
    [
        ("postgresql+psycopg://ana:s3cret@db.internal:5432/mlboard",
         "postgresql+psycopg://ana:***@db.internal:5432/mlboard"),
        ("postgresql://ana:p%40ss%2Fw0rd@db/mlboard", "postgresql://ana:***@db/mlboard"),
        ("postgresql+psycopg://mlboard@db.internal/mlboard",
         "postgresql+psycopg://mlboard@db.internal/mlboard"),
        ("/srv/boards/team.db", "/srv/boards/team.db"),
        ("not a url :// at all", "not a url :// at all"),
    ],
    ids=["password", "escaped-password", "no-password", "file", "unparsable"],
)  # fmt: skip
def test_a_database_is_shown_without_its_password(database, printed):
    assert shown(database) == printed


def test_serve_prints_the_database_without_its_password(backend, database, tmp_path):
    url = make_url(database).set(password="s3cret-pass")  # the test server trusts any password
    with_password = url.render_as_string(hide_password=False)
    with socket.socket() as probe:  # a port free now (the command refuses port 0)
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    server = subprocess.Popen(
        [sys.executable, "-m", "mlboard", "serve", "--port", port, "--db", with_password],
        cwd=tmp_path,
        env=child_env(tmp_path, MLBOARD_USER="tester"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        first = server.stdout.readline() if server.stdout else ""
    finally:
        server.send_signal(signal.SIGINT)
        _, errors = server.communicate(timeout=60)
    hidden = url.render_as_string(hide_password=True)
    assert first.startswith(f"serving the board on {hidden} "), errors
    assert "s3cret-pass" not in first + errors
