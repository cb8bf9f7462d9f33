"""Who gets into `mlboard serve`, without a browser: the server's own aiohttp application (the
gate in front of textual-serve's routes), served on 127.0.0.1 and asked with aiohttp's client.

Each websocket let in starts the server's per-tab command. Here that is a stand-in for the board
(a Python process that says it is a Textual app and quits when told), so that a session costs
milliseconds; tests/test_browser.py drives the real board in Chromium.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import shlex
import socket
import sys
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from mlboard.cli.serve_web import BoardServer, Gate
from mlboard.errors import UserError

from cli_runs import mlboard_in

TOKEN = "s3cret-token-for-tests"
# Says it is a Textual app (textual-serve waits for that line), then lives until the first byte
# on stdin: the "quit" textual-serve sends when the tab closes.
STAND_IN = shlex.join(
    [
        sys.executable,
        "-c",
        "import sys; print('__GANGLION__', flush=True); sys.stdin.buffer.read(1)",
    ]
)


class Served:
    def __init__(self, client: TestClient, gate: Gate, log: list[str]) -> None:
        self.client, self.gate, self.log = client, gate, log
        self.origin = f"http://127.0.0.1:{client.port}"

    def get(self, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
        return self.client.get(path, allow_redirects=False, **kwargs)

    def websocket(self, **headers: str):  # type: ignore[no-untyped-def]
        return self.client.ws_connect("/ws", headers=headers)

    async def until_sessions(self, count: int) -> None:
        """Wait for the server to count `count` open sessions (a closed tab's board quits)."""
        while self.gate.sessions != count:
            await asyncio.sleep(0.01)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.asynccontextmanager
async def serve(max_sessions: int = 8) -> AsyncIterator[Served]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log: list[str] = []
    gate = Gate(TOKEN, port=port, public_url=url, max_sessions=max_sessions, log=log.append)
    server = BoardServer(STAND_IN, host="127.0.0.1", port=port, public_url=url, gate=gate)
    client = TestClient(TestServer(await server._make_app(), host="127.0.0.1", port=port))
    await client.start_server()
    try:
        yield Served(client, gate, log)
    finally:
        await client.close()
        # textual-serve never closes a finished tab's subprocess transport; collected after the
        # event loop closed, it would complain that the loop is closed.
        gc.collect()


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    async with serve() as served:
        yield served


@pytest.fixture
async def one_seat() -> AsyncIterator[Served]:
    async with serve(max_sessions=1) as served:
        yield served


@pytest.mark.parametrize("path", ["/", "/static/js/textual.js", "/download/anything", "/nowhere"])
async def test_without_the_token_everything_is_forbidden(served, path):
    async with served.get(path) as response:
        assert response.status == 403
        text = await response.text()
    assert "token" in text and "mlboard serve" in text
    assert served.log == [f"refused GET {path} from 127.0.0.1: no token"]


async def test_a_websocket_without_the_token_is_forbidden(served):
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await served.websocket(Origin=served.origin)
    assert refused.value.status == 403
    assert served.gate.sessions == 0
    assert served.log == ["refused GET /ws from 127.0.0.1: no token"]


async def test_a_wrong_token_or_a_wrong_cookie_is_forbidden(served):
    for request in (
        served.get("/?token=guess"),
        served.get("/", headers={"Authorization": "token guess"}),
        served.get("/", cookies={served.gate.cookie_name: "guess"}),
        served.get("/", cookies={served.gate.cookie_name: TOKEN}),  # the cookie is not the token
        served.get("/", cookies={"mlboard-serve-1": served.gate.cookie_value}),  # another port's
        served.get("/", headers={"Authorization": "Basic " + TOKEN}),
    ):
        async with request as response:
            assert response.status == 403
    assert all(TOKEN not in line and "guess" not in line for line in served.log)


async def test_the_token_sets_a_cookie_and_leaves_the_address(served):
    async with served.get(f"/?fontsize=20&token={TOKEN}") as response:
        assert response.status == 303
        assert response.headers["Location"] == "/?fontsize=20"
        assert response.headers["Cache-Control"] == "no-store"
        cookie = response.cookies[f"mlboard-serve-{served.client.port}"]
    assert cookie.value != TOKEN
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/"
    assert not cookie["secure"]  # plain HTTP: a Secure cookie would never come back

    # The client's cookie jar now holds it: the page and its assets answer without the token.
    async with served.get("/") as page, served.get("/static/js/textual.js") as script:
        assert page.status == 200 and script.status == 200
        assert "textual-terminal" in await page.text()
    assert served.log == []


async def test_a_script_may_send_the_token_in_a_header(served):
    for scheme in ("token", "Bearer"):
        async with served.get("/", headers={"Authorization": f"{scheme} {TOKEN}"}) as response:
            assert response.status == 200
    async with served.get("/nowhere", headers={"Authorization": f"token {TOKEN}"}) as response:
        assert response.status == 404  # let in, and then not found


async def test_the_websocket_answers_only_the_boards_own_page(served):
    async with served.get(f"/?token={TOKEN}"):
        pass
    foreign = "http://127.0.0.1:1"  # same site (host), another origin (port)
    for origin in (foreign, "null", "http://evil.example"):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await served.websocket(Origin=origin)
        assert refused.value.status == 403
    assert served.log[0] == f"refused GET /ws from 127.0.0.1: a page from '{foreign}'"
    assert served.gate.sessions == 0

    # The served page's own origin, and a client that is no browser page, are let in.
    for headers in ({"Origin": served.origin}, {}):
        websocket = await served.websocket(**headers)
        await served.until_sessions(1)
        await websocket.close()
        await served.until_sessions(0)


async def test_a_websocket_with_the_token_in_its_address_needs_no_cookie(served):
    websocket = await served.client.ws_connect(f"/ws?token={TOKEN}")
    await served.until_sessions(1)
    await websocket.close()
    await served.until_sessions(0)
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await served.client.ws_connect("/ws?token=guess")


async def test_the_next_session_past_the_limit_gets_a_clear_page(one_seat):
    headers = {"Authorization": f"token {TOKEN}"}
    first = await one_seat.websocket(Origin=one_seat.origin, **headers)
    await one_seat.until_sessions(1)

    async with one_seat.get("/", headers=headers) as page:
        assert page.status == 503
        assert "1 session is open, the limit of this server" in await page.text()
        assert "--max-sessions" in await page.text()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await one_seat.websocket(Origin=one_seat.origin, **headers)
    assert refused.value.status == 503
    async with one_seat.get("/static/js/textual.js", headers=headers) as script:
        assert script.status == 200  # the open tab keeps working

    await first.close()  # a tab closes: its place is free again
    await one_seat.until_sessions(0)
    async with one_seat.get("/", headers=headers) as page:
        assert page.status == 200


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        ("--token", "--token is empty: leave it out for a random one"),
        ("--user", "--user is empty: give a name, or leave it out to act as yourself"),
    ],
)
def test_an_empty_token_or_user_is_refused_before_anything_listens(
    tmp_path, monkeypatch, flag, message
):
    result = mlboard_in(tmp_path, monkeypatch)("serve", flag, " ")
    assert isinstance(result.exception, UserError)
    assert result.exception.message == message
    assert not (tmp_path / "cli.db").exists()
