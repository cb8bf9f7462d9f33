"""An `http.server` that a crowd, a slow client or a hostile request line cannot take over.

`GuardedHTTPServer` and `GuardedHandler` add to the standard library's threading server:
* At most `max_connections` connections at once, a thread each. One more is answered 503 at
  once and closed by the accepting thread, without a thread of its own: the connections already
  admitted keep their slots and keep working, and a flood costs one short write per connection
  instead of a thread each. (Leaving it in the listen queue instead would keep well-behaved
  clients waiting behind the flood, and the OpenLineage client retries a 503 by itself.)
* A request must arrive whole within `request_timeout` seconds of its first byte, and a kept-alive
  connection waits as long for the next one: a client that trickles a byte at a time (slowloris)
  holds its slot for that long at most, not for as long as it keeps trickling.
* A client that hangs up mid-request or mid-response, or stalls, is one log line; a fault of ours
  is one log line too. Never a traceback on the terminal.
* The log is inert: control characters (ESC, BEL, C1 controls, bidi and other invisible format
  characters) and backslashes are escaped as `repr()` writes them, as `http.server`'s own log
  does from Python 3.12 on. The request line comes straight from the client.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from mlboard.text_safety import escaped

DEFAULT_MAX_CONNECTIONS = 64
DEFAULT_REQUEST_TIMEOUT = 30.0  # seconds for a whole request, and for an idle keep-alive
MAX_REQUEST_TIMEOUT = 86_400.0  # a day: longer defeats the point (and overflows socket timeouts)


class GuardedHTTPServer(ThreadingHTTPServer):
    """A thread per connection (daemon: Ctrl-C stops it at once), at most `max_connections`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[GuardedHandler],
        *,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        log: Callable[[str], None] | None = None,
    ) -> None:
        if max_connections <= 0:
            raise ValueError("max_connections must be positive")
        if not 0 < request_timeout <= MAX_REQUEST_TIMEOUT:
            raise ValueError(f"request_timeout must be above 0 and at most {MAX_REQUEST_TIMEOUT}")
        self.max_connections = max_connections
        self.request_timeout = request_timeout
        self.log = log
        self._slots = threading.BoundedSemaphore(max_connections)
        super().__init__(address, handler)

    def verify_request(self, request: Any, client_address: Any) -> bool:
        """Admit a connection while a slot is free; else answer 503 now and close it."""
        if self._slots.acquire(blocking=False):
            return True
        _answer_busy(request, self.max_connections)
        self.write_log(f"{client_address[0]} refused: all {self.max_connections} connections busy")
        return False

    def finish_request(self, request: Any, client_address: Any) -> None:
        try:
            super().finish_request(request, client_address)
        finally:
            self._slots.release()  # before the socket closes: a client that saw it close may retry

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A fault of ours while serving a connection: one log line, not a traceback."""
        error = sys.exc_info()[1]
        self.write_log(f"{client_address[0]} internal error: {type(error).__name__}: {error}")

    def write_log(self, line: str) -> None:
        if self.log is not None:
            self.log(escaped(line))

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}"


class GuardedHandler(BaseHTTPRequestHandler):
    """Reads within the server's deadlines; hang-ups and stalls end the connection quietly."""

    server: GuardedHTTPServer
    protocol_version = "HTTP/1.1"  # keep-alive: clients' sessions reuse connections
    disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # http.server's reader: replaced by one that keeps the deadline
        self._clock = _DeadlineReader(self.connection, self.server.request_timeout)
        self.rfile = io.BufferedReader(self._clock)

    def handle(self) -> None:
        """Requests until the client or a refusal closes the connection. Waiting for the next
        request on a kept-alive connection ends quietly; a client that hangs up or stalls in
        the middle of a request is one log line."""
        self.close_connection = False
        while not self.close_connection:
            self._clock.restart()
            try:
                if not self.rfile.peek(1):
                    return  # the client closed its idle connection
            except (ConnectionError, TimeoutError):
                return
            self._clock.restart()  # the request's own time starts with its first byte
            try:
                self.handle_one_request()  # logs and closes on TimeoutError by itself
            except ConnectionError:
                self.log_message("client hung up in the middle of a request or its answer")
                return

    def start_answer(self) -> None:
        """Writing an answer gets the full timeout, whatever the request left of it."""
        self.connection.settimeout(self.server.request_timeout)

    def log_message(self, format: str, *args: Any) -> None:
        self.server.write_log(f"{self.address_string()} {format % args}")


class _DeadlineReader(io.RawIOBase):
    """The connection's bytes, each read given only the time left until the deadline: a client
    that sends a byte every few seconds runs out of time as surely as one that sends nothing."""

    def __init__(self, connection: socket.socket, seconds: float) -> None:
        super().__init__()
        self._connection = connection
        self._seconds = seconds
        self.restart()

    def restart(self) -> None:
        self._deadline = time.monotonic() + self._seconds

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"not complete within {self._seconds:g} seconds")
        self._connection.settimeout(left)
        return self._connection.recv_into(buffer)


def _answer_busy(connection: socket.socket, limit: int) -> None:
    """503 and close, from the accepting thread: never blocks, never raises.

    What the client already sent is read first (as much as is there): closing a socket with
    unread data resets the connection, and the client would see the reset instead of the 503.
    """
    body = json.dumps({"error": f"all {limit} connections are busy; retry shortly"}).encode()
    head = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nRetry-After: 1\r\nConnection: close\r\n\r\n"
    )
    with contextlib.suppress(OSError):  # BlockingIOError: nothing more to read now
        connection.setblocking(False)
        for _ in range(16):
            if not connection.recv(1 << 16):
                break
    with contextlib.suppress(OSError):
        connection.send(head.encode() + body)
