"""Launch a command in a pseudo-terminal and time it until its screen shows some text.

This is a first paint as a person sees it: the clock starts before the process is created and
stops when the bytes the program wrote to its terminal, escape sequences removed, contain the
text we wait for (a card's key, a run's name). Nothing inside the program is patched or polled.

    python benchmarks/terminal.py --wait 'ML-7  experiment' -- mlboard --db team.db
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import re
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SIZE = (160, 50)
ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[=>]")
QUIT_SECONDS = 5.0


@dataclass(frozen=True)
class Paint:
    seconds: float  # launch to the first frame showing the text
    rss_mb: float  # the process's peak resident memory over its whole life


class NeverShown(Exception):
    """The program exited, or showed nothing matching in time."""


def screen_text(output: bytes) -> bytes:
    """What a terminal would print of `output`, without colours, cursor moves or queries."""
    return ESCAPES.sub(b"", output)


def first_paint(
    argv: Sequence[str],
    wait_for: re.Pattern[bytes],
    *,
    size: tuple[int, int] = SIZE,
    timeout: float = 30.0,
    quit_keys: bytes = b"q",
    env: Mapping[str, str] | None = None,
) -> Paint:
    """Run `argv` in a `size` terminal; time launch → `wait_for` on screen; then quit it.

    `env` is added to the program's environment (the peers' config folders, a checkout on
    PYTHONPATH)."""
    columns, rows = size
    began = time.monotonic()
    pid, fd = os.forkpty()
    if pid == 0:  # the child: a terminal of the right size, then the program
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
            os.environ.update(env or {})
            os.environ["TERM"] = "xterm-256color"
            os.execvp(argv[0], list(argv))
        finally:
            os._exit(127)  # exec failed: never run the benchmark's own code twice
    output, shown = b"", None
    try:
        while shown is None:
            left = began + timeout - time.monotonic()
            ready, _, _ = select.select([fd], [], [], max(left, 0))
            if not ready:
                raise NeverShown(f"{wait_for.pattern!r} not shown after {timeout:.0f} s")
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:  # the child closed the terminal: it exited
                chunk = b""
            if not chunk:
                raise NeverShown(f"exited before showing {wait_for.pattern!r}: {output[-300:]!r}")
            output += chunk
            if wait_for.search(screen_text(output)):
                shown = time.monotonic() - began
        os.write(fd, quit_keys)
        return Paint(shown, _reap(pid, fd))
    finally:
        _reap(pid, fd, quietly=True)
        os.close(fd)


def _reap(pid: int, fd: int, *, quietly: bool = False) -> float:
    """Wait for the child to quit (draining its output), killing it if it takes too long;
    return its peak RSS in MB."""
    deadline = time.monotonic() + (0.1 if quietly else QUIT_SECONDS)
    while time.monotonic() < deadline:
        try:
            done, _, usage = os.wait4(pid, os.WNOHANG)
        except ChildProcessError:
            return 0.0
        if done:
            return usage.ru_maxrss / 1024
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            with contextlib.suppress(OSError):
                os.read(fd, 1 << 16)
    os.kill(pid, signal.SIGKILL)
    _, _, usage = os.wait4(pid, 0)
    return usage.ru_maxrss / 1024


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wait", required=True, help="regular expression to wait for")
    parser.add_argument("command", nargs="+")
    args = parser.parse_args(argv)
    paint = first_paint(args.command, re.compile(args.wait.encode()))
    print(f"{paint.seconds:.3f} s to first paint, peak {paint.rss_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
