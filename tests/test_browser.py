"""Browser mode end to end: `mlboard serve`, two tabs of headless Chromium, cards moved by keys.

The server runs as a subprocess on a free port; each browser tab gets its own board process on
the same SQLite file. Chromium is Debian's (`/usr/bin/chromium`), driven by Playwright with
`executable_path`: Playwright never downloads a browser here.

xterm.js paints the terminal on a canvas, so the page holds no text to read. The test exposes the
page's xterm.js `Terminal` (one hook added to textual-serve's script as the browser loads it) and
reads its buffer: the characters the board wrote, whichever renderer paints them.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
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
def mlboard_serve(*args: str, cwd: Path) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """Run `mlboard serve ARGS` (output to a log file); stop it and every tab's board after."""
    log = cwd / "serve.log"
    env = child_env(
        cwd,
        PATH=os.environ.get("PATH", "/usr/bin:/bin"),
        LANG="C.UTF-8",
        MLBOARD_USER="tester",
        TEXTUAL_ANIMATIONS="none",
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


@pytest.fixture
def served_board(sample_workspace, tmp_path: Path) -> Iterator[str]:
    """`mlboard serve` on the sample team's database, answering HTTP; yields its URL."""
    port = free_port()
    database = sample_workspace.settings.database
    with mlboard_serve("--port", str(port), "--db", database, cwd=tmp_path) as (server, log):
        url = f"http://127.0.0.1:{port}/"

        def answers() -> bool:
            if server.poll() is not None:
                pytest.fail(f"mlboard serve exited with {server.returncode}\n{log.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=1) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_for(answers, f"mlboard serve to answer on {url}", log.read_text)
        assert f"serving the board on {database} at {url.rstrip('/')}" in log.read_text()
        yield url


def expose_terminal(route: Route) -> None:
    response = route.fetch()
    script, hooks = HOOK.subn(EXPOSE, response.text())
    assert hooks == 1, "textual-serve's textual.js no longer opens its terminal as HOOK expects"
    route.fulfill(response=response, body=script)


def screen(page: Page) -> str:
    return page.evaluate(SCREEN_TEXT)


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
    chromium: str, served_board: str, sample_workspace
):
    from playwright.sync_api import sync_playwright

    def statuses() -> dict[str, str]:
        return {story.key: story.status for story in load_board(sample_workspace).stories}

    before = statuses()
    todo = [key for key, status in before.items() if status == "todo"]
    assert len(todo) >= 3, "the sample sprint should have three cards in To Do"
    first, second = todo[0], todo[1]  # the board opens with focus on To Do, first card lit
    in_progress = sum(1 for status in before.values() if status == "in_progress")

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            context.route("**/static/js/textual.js", expose_terminal)
            # Nothing leaves the machine (the page asks a font host for Roboto Mono).
            context.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda r: r.abort())
            tabs = [open_tab(context, served_board, first) for _ in range(2)]
            if os.environ.get("MLBOARD_BROWSER_SCREENSHOT"):
                tabs[0].screenshot(path=os.environ["MLBOARD_BROWSER_SCREENSHOT"])

            # Tab one moves its highlighted card; tab two, still showing the old board, moves
            # the card below it. The keys go out together: two processes write at once.
            for tab in tabs:
                tab.locator(".xterm-helper-textarea").focus()
            tabs[1].keyboard.press("ArrowDown")
            tabs[0].keyboard.press("]")
            tabs[1].keyboard.press("]")
            wait_for(
                lambda: (now := statuses())[first] == now[second] == "in_progress",
                f"{first} and {second} to be In Progress in the database",
                lambda: (
                    f"{statuses()}\n--- tab 1 ---\n{screen(tabs[0])}\n--- tab 2 ---\n"
                    f"{screen(tabs[1])}"
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
        finally:
            browser.close()

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


def test_serve_warns_when_the_board_is_reachable_from_the_network(tmp_path: Path):
    port = free_port()
    database = str(tmp_path / "team.db")
    with mlboard_serve(
        "--host", "0.0.0.0", "--port", str(port), "--db", database, cwd=tmp_path
    ) as (
        server,
        log,
    ):
        wait_for(
            lambda: "warning:" in log.read_text() or server.poll() is not None,
            "the warning",
            log.read_text,
        )
        output = log.read_text()
    assert f"at http://{socket.gethostname()}:{port};" in output
    assert "reachable from the network with no authentication" in " ".join(output.split())
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
