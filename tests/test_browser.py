"""Browser mode end to end: `mlboard serve`, two tabs of headless Chromium, cards moved by keys.

The server runs as a subprocess on a free port; each browser tab gets its own board process on
the same SQLite file. Chromium is Debian's (`/usr/bin/chromium`), driven by Playwright with
`executable_path`: Playwright never downloads a browser here.

xterm.js paints the terminal on a canvas, so the page holds no text to read. The test exposes the
page's xterm.js `Terminal` (one hook added to textual-serve's script as the browser loads it) and
reads its buffer: the characters the board wrote, whichever renderer paints them.

Only the holder of the server's token gets in: the tests open the address `mlboard serve` printed,
and check that the page, its script and its websocket are refused without it, and that a page
from another origin cannot drive the board even though the browser hands it the cookie.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mlboard.services.board import load_board
from mlboard.services.stories import get_story, story_history

from processes import child_env

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page, Route

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]  # Playwright gives every launch a new empty profile (--user-data-dir) of its own
TIMEOUT = 60.0  # seconds for any one wait; a run on a quiet machine needs a few
# Where textual.js opens its xterm.js terminal; the hook keeps a reference for the test.
HOOK = re.compile(r"this\.terminal\.open\((\w+)\)")
EXPOSE = r"this.terminal.open(\1),(window.mlboardTerminals||=[]).push(this.terminal)"
SCREEN_TEXT = """() => {
    const terminal = (window.mlboardTerminals || [])[0];
    if (!terminal) return "";
    const buffer = terminal.buffer.active, lines = [];
    for (let y = 0; y < terminal.rows; y++) {
        const line = buffer.getLine(buffer.viewportY + y);
        lines.push(line ? line.translateToString(true) : "");
    }
    return lines.join("\\n");
}"""


# The background colour of each card (by key) on screen: the highlighted card has its own.
BACKGROUNDS = """keys => {
    const terminal = window.mlboardTerminals[0], buffer = terminal.buffer.active, found = {};
    for (let y = 0; y < terminal.rows; y++) {
        const line = buffer.getLine(buffer.viewportY + y), text = line.translateToString(true);
        for (const key of keys) {
            const x = text.indexOf(key + " ");
            if (x >= 0) found[key] = line.getCell(x).getBgColor();
        }
    }
    return found;
}"""
# Opens a websocket from the page it runs in; says whether the server took it.
TRY_WEBSOCKET = """url => new Promise(done => {
    const socket = new WebSocket(url);
    socket.onopen = () => { socket.close(); done("open"); };
    socket.onerror = () => done("refused");
})"""


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the browser test (.ci/run installs it)")
    pytest.skip(reason)


@pytest.fixture
def chromium() -> str:
    path = os.environ.get("MLBOARD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        unavailable("Chromium is not installed (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        unavailable("Playwright is not installed (pip install -e '.[test]')")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], object], what: str, detail: Callable[[], str]) -> None:
    """Poll `condition` until it holds; after TIMEOUT, fail with `detail()` to explain."""
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {TIMEOUT:g} s waiting for {what}\n{detail()}")
        time.sleep(0.1)


@contextlib.contextmanager
def mlboard_serve(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """Run `mlboard serve ARGS` (output to a log file); stop it and every tab's board after."""
    log = cwd / "serve.log"
    env = child_env(
        cwd,
        PATH=os.environ.get("PATH", "/usr/bin:/bin"),
        LANG="C.UTF-8",
        MLBOARD_USER="tester",
        TEXTUAL_ANIMATIONS="none",
        **(env or {}),
    )
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "mlboard", "serve", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its tabs' board processes share its process group
        )
    try:
        yield server, log
    finally:
        server.send_signal(signal.SIGTERM)  # graceful: each tab's board is told to quit
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)  # whatever is left of it, tabs included
        server.wait(timeout=10)


@dataclass
class Served:
    """A running `mlboard serve`: the address it printed (with its token) and its log."""

    url: str  # as printed: http://127.0.0.1:PORT/?token=…
    log: Path

    @property
    def base(self) -> str:
        return self.url.split("?")[0]

    @property
    def token(self) -> str:
        return self.url.split("?token=")[1]

    def said(self) -> str:
        return self.log.read_text()


@contextlib.contextmanager
def served(*args: str, database: str, cwd: Path) -> Iterator[Served]:
    """`mlboard serve ARGS` on `database`, answering HTTP (403 without the token)."""
    port = free_port()
    with mlboard_serve("--port", str(port), "--db", database, *args, cwd=cwd) as (server, log):

        def address() -> str | None:
            if server.poll() is not None:
                pytest.fail(f"mlboard serve exited with {server.returncode}\n{log.read_text()}")
            found = re.search(r"\(Ctrl-C stops\): (\S+)$", log.read_text(), re.MULTILINE)
            return found and found.group(1)

        def answers() -> bool:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
            except urllib.error.HTTPError as refused:
                return refused.code == 403
            except OSError:
                return False
            pytest.fail("mlboard serve let in a request without its token")

        wait_for(address, "mlboard serve to print its address", log.read_text)
        url = address() or ""
        assert url.startswith(f"http://127.0.0.1:{port}/?token="), log.read_text()
        assert f"serving the board on {database} (Ctrl-C stops): {url}\n" in log.read_text()
        wait_for(answers, f"mlboard serve to answer on port {port}", log.read_text)
        yield Served(url, log)


@pytest.fixture
def served_board(sample_workspace, tmp_path: Path) -> Iterator[Served]:
    """`mlboard serve` on the sample team's database."""
    with served(database=sample_workspace.settings.database, cwd=tmp_path) as board:
        yield board


@contextlib.contextmanager
def chromium_context(chromium: str) -> Iterator[BrowserContext]:
    """A fresh headless Chromium whose pages can read the board's terminal; nothing leaves the
    machine (the page asks a font host for Roboto Mono)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.route("**/static/js/textual.js", expose_terminal)
            context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda r: r.abort())
            yield context
        finally:
            browser.close()


@contextlib.contextmanager
def another_site() -> Iterator[str]:
    """A page on another port of this host, as any web page the user visits could be."""
    body = b"<!doctype html><title>elsewhere</title><p>another site</p>"

    class Page(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def expose_terminal(route: Route) -> None:
    response = route.fetch()
    if response.status != 200:  # refused: nothing to hook
        route.fulfill(response=response)
        return
    script, hooks = HOOK.subn(EXPOSE, response.text())
    assert hooks == 1, "textual-serve's textual.js no longer opens its terminal as HOOK expects"
    route.fulfill(response=response, body=script)


def screen(page: Page) -> str:
    return page.evaluate(SCREEN_TEXT)


def highlighted(page: Page, keys: list[str]) -> str | None:
    """Which of the cards `keys` (three or more, shown) the board highlights, if it shows it."""
    colors = page.evaluate(BACKGROUNDS, keys)
    odd = [key for key in keys if list(colors.values()).count(colors.get(key)) == 1]
    return odd[0] if len(colors) == len(keys) and len(odd) == 1 else None


def open_tab(context: BrowserContext, url: str, expected: str) -> Page:
    """A new tab on the board, waited for until the board shows `expected`."""
    page = context.new_page()
    page.goto(url)
    if page.evaluate("() => window.mlboardTerminals === undefined"):
        pytest.fail("the hook into textual-serve's textual.js did not apply: update HOOK")
    wait_for(
        lambda: "To Do" in (text := screen(page)) and expected in text,
        "the board to render in the browser",
        lambda: screen(page),
    )
    return page


def test_two_tabs_move_cards_on_the_shared_database(
    chromium: str, served_board: Served, sample_workspace
):
    def statuses() -> dict[str, str]:
        return {story.key: story.status for story in load_board(sample_workspace).stories}

    before = statuses()
    todo = [key for key, status in before.items() if status == "todo"]
    assert len(todo) >= 3, "the sample sprint should have three cards in To Do"
    first, second = todo[0], todo[1]  # the board opens with focus on To Do, first card lit
    in_progress = sum(1 for status in before.values() if status == "in_progress")

    with chromium_context(chromium) as context:
        tabs = [open_tab(context, served_board.url, first) for _ in range(2)]
        if os.environ.get("MLBOARD_BROWSER_SCREENSHOT"):
            tabs[0].screenshot(path=os.environ["MLBOARD_BROWSER_SCREENSHOT"])

        # Tab one moves its highlighted card; tab two, still showing the old board, moves
        # the card below it. The moves go out together: two processes write at once.
        for tab in tabs:
            tab.locator(".xterm-helper-textarea").focus()
        tabs[1].keyboard.press("ArrowDown")
        # Seen on tab two's screen first: a move by tab one, noticed by tab two's change poll
        # before the key arrived, would redraw its board and leave the key a card further.
        wait_for(
            lambda: highlighted(tabs[1], todo[:3]) == second,
            f"tab two to highlight {second}",
            lambda: screen(tabs[1]),
        )
        tabs[0].keyboard.press("]")
        tabs[1].keyboard.press("]")
        wait_for(
            lambda: (now := statuses())[first] == now[second] == "in_progress",
            f"{first} and {second} to be In Progress in the database",
            lambda: (
                f"{statuses()}\n--- tab 1 ---\n{screen(tabs[0])}\n--- tab 2 ---\n{screen(tabs[1])}"
            ),
        )
        # Each tab, refreshed (`r`), shows both moves: they share one database.
        for tab in tabs:
            tab.keyboard.press("r")
            wait_for(
                lambda tab=tab: f"In Progress {in_progress + 2} " in screen(tab),
                "a refreshed tab to show both moves",
                lambda tab=tab: screen(tab),
            )

    assert statuses() == {**before, first: "in_progress", second: "in_progress"}
    for key in first, second:
        assert get_story(sample_workspace, key).status == "in_progress"
        last = story_history(sample_workspace, key)[-1]
        assert (last.actor, last.field, last.old, last.new) == (
            "tester",
            "status",
            "todo",
            "in_progress",
        )


def test_only_the_holder_of_the_token_gets_in(chromium: str, served_board: Served):
    board, websocket = served_board, served_board.base.replace("http:", "ws:") + "ws"
    with chromium_context(chromium) as context, another_site() as elsewhere:
        page = context.new_page()
        for address in (board.base + "static/js/textual.js", board.base):
            response = page.goto(address)
            assert response is not None and response.status == 403, address
            assert "printed when it started" in page.content()
        # From the refused page itself (the server's own origin, no cookie yet).
        assert page.evaluate(TRY_WEBSOCKET, websocket) == "refused"
        wait_for(
            lambda: "refused GET /ws from 127.0.0.1: no token" in board.said(),
            "the server to say it refused the websocket",
            board.said,
        )

        # The printed address paints the board and leaves no token in the address bar; from
        # then on the cookie lets this browser in without it.
        tab = open_tab(context, board.url, "To Do")
        assert tab.url == board.base
        cookie = next(c for c in context.cookies() if c["name"].startswith("mlboard-serve-"))
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
        assert cookie["value"] != board.token
        open_tab(context, board.base, "To Do")
        assert page.evaluate(TRY_WEBSOCKET, websocket) == "open"  # the board's own page

        # A page of another site on this host gets the cookie (same site: ports do not count)
        # but not the websocket: the board refuses the page's origin.
        page.goto(elsewhere)
        assert page.evaluate(TRY_WEBSOCKET, websocket) == "refused"
        refusal = f"refused GET /ws from 127.0.0.1: a page from '{elsewhere.rstrip('/')}'"
        wait_for(lambda: refusal in board.said(), "the server to refuse the page", board.said)
    assert board.said().count(board.token) == 1  # only in the address printed at the start


def test_a_served_standup_saves_as_a_download_and_acts_as_the_named_user(
    chromium: str, sample_workspace, tmp_path: Path
):
    todo = next(s.key for s in load_board(sample_workspace).stories if s.status == "todo")
    database = sample_workspace.settings.database
    downloads: list[tuple[dict[str, str], str]] = []

    def keep_download(route: Route) -> None:
        response = route.fetch()
        downloads.append((response.headers, response.text()))
        route.fulfill(response=response)

    with (
        served("--user", "lead", database=database, cwd=tmp_path) as board,
        chromium_context(chromium) as context,
    ):
        context.route("**/download/*", keep_download)
        tab = open_tab(context, board.url, todo)
        tab.locator(".xterm-helper-textarea").focus()
        tab.keyboard.press("]")
        wait_for(
            lambda: get_story(sample_workspace, todo).status == "in_progress",
            f"{todo} to move",
            lambda: screen(tab),
        )
        tab.keyboard.press("u")
        wait_for(
            lambda: "Their cards in" in screen(tab),
            "the standup's digest to load",
            lambda: screen(tab),
        )
        tab.keyboard.press("S")
        wait_for(
            lambda: bool(screen(tab)) and bool(downloads),  # reading the screen lets routes run
            "the digest to arrive as a download",
            lambda: screen(tab),
        )
    [(headers, text)] = downloads
    assert re.fullmatch(
        r"attachment; filename=standup-\d{4}-\d{2}-\d{2}\.md", headers["content-disposition"]
    )
    assert text.startswith("## Standup since")
    assert not list(tmp_path.rglob("standup-*")), "the served board wrote the digest to a file"
    assert story_history(sample_workspace, todo)[-1].actor == "lead"


def test_serve_warns_when_the_board_is_reachable_from_the_network(tmp_path: Path):
    port = free_port()
    database = str(tmp_path / "team.db")
    token = "a-token-set-by-env"
    with mlboard_serve(
        "--host",
        "0.0.0.0",
        "--port",
        str(port),
        "--db",
        database,
        cwd=tmp_path,
        env={"MLBOARD_SERVE_TOKEN": token},
    ) as (server, log):
        wait_for(
            lambda: "warning:" in log.read_text() or server.poll() is not None,
            "the warning",
            log.read_text,
        )
        output = log.read_text()
    assert f"(Ctrl-C stops): http://{socket.gethostname()}:{port}/?token={token}\n" in output
    warning = " ".join(output.split())
    assert "reachable from the network. Its token keeps out whoever does not have it" in warning
    assert "plain HTTP" in warning
    assert Path(database).is_file()  # created once by `serve`, before any tab opens it


def test_serve_reports_a_port_in_use_in_one_line(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "mlboard", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=child_env(tmp_path, MLBOARD_DB="t.db"),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"error: cannot listen on 127.0.0.1:{port}: Address already in use"
    )
