"""An HTTP receiver for OpenLineage run events, speaking the client's HTTP transport protocol.

`POST /api/v1/lineage` with one event as JSON (optionally `Content-Encoding: gzip`), exactly what
`openlineage-python`'s HttpTransport (and Airflow, Spark and dbt integrations through it) sends.
Standard library only (`http.server`), so serving adds no dependency.

Answers, always JSON:
* 200 `{"status": "ok", "events", "applied", "repeated"}` — stored; a repeated event is a 200
  that changes nothing, so a client's retries are harmless.
* 200 `{"status": "ignored"}` for a JobEvent or DatasetEvent (valid OpenLineage, but no run).
* 400 `{"error": reason}` for a body that is not JSON or not a valid run event (nothing stored);
  401 without the bearer token when one is set; 411/413 for a missing or too large body (the
  limit also applies after decompression); 415 for a Content-Type other than application/json
  or application/x-ndjson (parameters such as `; charset=utf-8` are fine), or an unknown content
  encoding; 404 for another path; 405 for another method. Requiring JSON's Content-Type keeps
  browsers out: a page on another site can send a "simple" cross-origin POST (text/plain, a
  form, a typeless blob) without asking first, but never one with application/json.
* 503 `{"error": ...}` when the database cannot take the write (locked, unreachable), or when
  all `max_connections` connections are busy: the client's retry policy resends. Bad input never
  gets a 5xx.

Connection limits, deadlines and the inert request log come from `guarded_http`.

Each request is its own short write transaction; write transactions take turns (see
`store.engine`), and the LineageEventSeen key makes repeats no-ops, so concurrent posts of the
same or different events lose and duplicate nothing.
"""

from __future__ import annotations

import hmac
import json
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from mlboard.errors import quoted
from mlboard.integrations.guarded_http import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_REQUEST_TIMEOUT,
    GuardedHandler,
    GuardedHTTPServer,
)

if TYPE_CHECKING:
    from mlboard.services.workspace import Workspace

PATH = "/api/v1/lineage"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5050
DEFAULT_MAX_BODY = 1 << 20  # 1 MiB: real events are a few KiB, Spark's largest tens of KiB
CONTENT_TYPES = ("application/json", "application/x-ndjson")
TOKEN_ENV = "MLBOARD_LINEAGE_TOKEN"
_DRAIN_MAX = 16 << 20  # an unwanted body up to this size is read and dropped, not reset


class BadRequest(Exception):
    """A request the client must change: status code and reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class LineageServer(GuardedHTTPServer):
    """One server, one workspace; a thread per connection, at most `max_connections`."""

    def __init__(
        self,
        ws: Workspace,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        *,
        token: str | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.ws = ws
        self.token = token or None
        self.max_body = max_body
        super().__init__(
            (host, port),
            _Handler,
            max_connections=max_connections,
            request_timeout=request_timeout,
            log=log,
        )


class _Handler(GuardedHandler):
    server: LineageServer
    server_version = "mlboard-lineage"

    def do_POST(self) -> None:
        self._unread = True
        try:
            if self.path.split("?", 1)[0].rstrip("/") != PATH:
                raise BadRequest(404, f"no such endpoint (events go to POST {PATH})")
            self._authorize()
            self._check_content_type()
            body = self._body()
            self._answer(*self._ingest(body))
        except BadRequest as error:
            if self._unread:
                self._drain()
            self._answer(error.status, {"error": error.reason})

    def _drain(self) -> None:
        """Read and drop an unread body, so the client sees our answer, not a reset connection.

        Closing a socket with unread data makes the kernel reset it, and the client then
        reports a connection error instead of the 401 or 413. Bodies beyond `_DRAIN_MAX` are
        not worth reading: the connection is closed instead.
        """
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= _DRAIN_MAX or self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 16))
            if not chunk:
                self.close_connection = True
                return
            length -= len(chunk)

    def _refuse(self) -> None:
        self._drain()
        if self.path.split("?", 1)[0].rstrip("/") == PATH:
            self._answer(405, {"error": f"use POST for {PATH}"}, {"Allow": "POST"})
        else:
            self._answer(404, {"error": f"no such endpoint (events go to POST {PATH})"})

    do_GET = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _refuse

    def do_HEAD(self) -> None:
        self._refuse()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None):
        """http.server's own refusals (bad request line, unknown method), as JSON like ours.

        An unknown method is the client's mistake: a 405, not http.server's 501.
        """
        if code == 501:
            code, message = 405, f"use POST for {PATH}"
        self.close_connection = True  # whatever follows on this connection cannot be trusted
        reason = message or self.responses.get(code, ("error",))[0]
        self._answer(code, {"error": reason}, {"Allow": "POST"} if code == 405 else None)

    def _authorize(self) -> None:
        token = self.server.token
        if token is None:
            return
        scheme, _, given = self.headers.get("Authorization", "").partition(" ")
        ok = scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), token.encode()
        )
        if not ok:
            raise BadRequest(401, "missing or wrong bearer token")

    def _check_content_type(self) -> None:
        """JSON only, the one thing a browser cannot send across origins without asking."""
        if self.headers.get_content_type() not in CONTENT_TYPES:
            given = self.headers.get("Content-Type")
            shown = f"Content-Type {quoted(given, 60)}" if given else "a missing Content-Type"
            raise BadRequest(415, f"{shown} is not accepted: send {' or '.join(CONTENT_TYPES)}")

    def _body(self) -> bytes:
        limit = self.server.max_body
        length_text = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding", "").lower() not in ("", "identity"):
            self.close_connection = True
            raise BadRequest(411, "send the body with a Content-Length, not chunked")
        if length_text is None:
            self.close_connection = True
            raise BadRequest(411, "missing Content-Length")
        try:
            length = int(length_text)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            raise BadRequest(400, f"invalid Content-Length {length_text[:40]!r}") from None
        if length > limit:
            raise BadRequest(413, f"body of {length} bytes is over the limit of {limit}")
        self._unread = False
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            raise BadRequest(400, f"body ended after {len(body)} of {length} bytes")
        encoding = self.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding in ("gzip", "x-gzip"):
            return _gunzip(body, limit)
        if encoding not in ("identity", ""):
            raise BadRequest(415, f"unsupported Content-Encoding {encoding[:40]!r} (use gzip)")
        return body

    def _ingest(self, body: bytes) -> tuple[int, dict[str, Any]]:
        from sqlalchemy.exc import SQLAlchemyError

        from mlboard.integrations.openlineage_payload import parse_payload
        from mlboard.services.data.lineage_ingest import ingest_events

        events, errors = parse_payload(body, "body")
        if errors:
            if len(errors) == 1 and not events and _is_static_event(body):
                return 200, {"status": "ignored", "reason": "not a run event"}
            reason = "; ".join(str(e) for e in errors[:5])
            more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
            raise BadRequest(400, reason + more)
        try:
            result = ingest_events(self.server.ws, events)
        except SQLAlchemyError as error:
            reason = str(getattr(error, "orig", None) or error).splitlines()[0][:200]
            return 503, {"error": f"database: {reason}"}
        return 200, {
            "status": "ok",
            "events": result.events,
            "applied": result.applied,
            "repeated": result.repeated,
        }

    def _answer(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None):
        data = json.dumps(payload, ensure_ascii=False).encode()
        self.start_answer()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Bearer realm="mlboard"')
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)


def _gunzip(body: bytes, limit: int) -> bytes:
    """Decompress with the same size limit as the raw body: a small bomb stays small."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as error:
        raise BadRequest(400, f"body is not valid gzip: {error}") from None
    if len(data) > limit:
        raise BadRequest(413, f"body is over the limit of {limit} bytes once decompressed")
    if not inflater.eof:
        raise BadRequest(400, "body is not valid gzip: truncated")
    return data


def _is_static_event(body: bytes) -> bool:
    """A JobEvent or DatasetEvent: valid OpenLineage without a run (no eventType, no run)."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return False
    return (
        isinstance(value, dict)
        and "run" not in value
        and "eventType" not in value
        and ("job" in value or "dataset" in value)
    )


def make_server(
    ws: Workspace,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    token: str | None = None,
    max_body: int = DEFAULT_MAX_BODY,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    log: Callable[[str], None] | None = None,
) -> LineageServer:
    """Bind (port 0 picks a free port; see `server.url`); call `serve_forever()` to run."""
    if max_body <= 0:
        raise ValueError("max_body must be positive")
    return LineageServer(
        ws,
        host,
        port,
        token=token,
        max_body=max_body,
        max_connections=max_connections,
        request_timeout=request_timeout,
        log=log,
    )
