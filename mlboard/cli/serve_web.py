"""The web side of `mlboard serve`: textual-serve's server behind a gate that lets in only the
holder of the server's token, from the board's own page, a limited number of sessions at once.

Modelled on Jupyter Server's tokens. The address `serve` prints carries `?token=…`; that first
request sets a cookie and is redirected to the same address without the token, so the token does
not stay in the address bar or the history. The cookie is HttpOnly and SameSite=Strict, and named
after the port, so two servers on one host keep their cookies apart. Scripts may send an
`Authorization: token …` (or `Bearer …`) header instead. Every other request gets 403: the page,
its scripts, downloads and the websocket alike.

A page served on another port of the same host is "same-site" to a browser and gets the cookie
too, so the websocket that drives a board also checks where its page came from: the Origin header
must be this server (its public URL, or the Host the request was sent to). A websocket client that
sends no Origin is not a page in a browser (browsers always send one); it passes when it holds the
token, as Jupyter lets it.

textual-serve brings aiohttp and Jinja, so this module is imported only when `serve` runs.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import hdrs, web
from textual_serve.server import Server

from mlboard.text_safety import single_line

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

NO_TOKEN = (
    "403 Forbidden: this board lets in only the holder of its token.\n"
    "Open the address `mlboard serve` printed when it started (it ends in ?token=…).\n"
)
FOREIGN_PAGE = "403 Forbidden: the board's websocket answers only the board's own page.\n"


def origin_of(url: str) -> str:
    """`scheme://host[:port]` of `url`, as browsers write it in an Origin header."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def same(given: str, expected: str) -> bool:
    """Constant-time comparison, so the time a refusal takes tells nothing about the secret."""
    return hmac.compare_digest(given.encode(), expected.encode())


class Gate:
    """The middleware in front of every route of the board's web server.

    `sessions` counts the websockets that drive a board right now; the page and the websocket are
    turned away with 503 while `max_sessions` of them are open. `log` receives one line per
    refusal; no line holds the token or the query string that may carry it.
    """

    def __init__(
        self,
        token: str,
        *,
        port: int,
        public_url: str,
        max_sessions: int,
        log: Callable[[str], None],
    ) -> None:
        self.token = token
        self.cookie_name = f"mlboard-serve-{port}"
        # The cookie holds a value made from the token, not the token itself: it stays valid
        # across restarts with the same --token and is void once the token changes.
        self.cookie_value = hmac.new(
            token.encode(), b"mlboard serve cookie", hashlib.sha256
        ).hexdigest()
        self.scheme = urlsplit(public_url).scheme or "http"
        self.origin = origin_of(public_url)
        self.max_sessions = max_sessions
        self.sessions = 0
        self.log = log

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        websocket = request.headers.get(hdrs.UPGRADE, "").lower() == "websocket"
        given = request.query.get("token")
        if given is not None:
            if not same(given, self.token):
                return self._refuse(request, 403, NO_TOKEN, "a wrong token")
            if not websocket:
                return self._let_in(request)
        elif not self._holds_token(request):
            return self._refuse(request, 403, NO_TOKEN, "no token")
        if websocket and not self._own_page(request):
            origin = request.headers[hdrs.ORIGIN]
            return self._refuse(request, 403, FOREIGN_PAGE, f"a page from {single_line(origin)!r}")
        route = request.match_info.route.name
        if route in ("index", "websocket") and self.sessions >= self.max_sessions:
            return self._refuse(request, 503, self._full(), f"{self._open()} (--max-sessions)")
        if route != "websocket":
            return await handler(request)
        self.sessions += 1  # textual-serve's websocket handler returns when the tab closes
        try:
            return await handler(request)
        finally:
            self.sessions -= 1

    def _holds_token(self, request: web.Request) -> bool:
        scheme, _, given = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
        if scheme.lower() in ("token", "bearer") and same(given.strip(), self.token):
            return True
        cookie = request.cookies.get(self.cookie_name)
        return cookie is not None and same(cookie, self.cookie_value)

    def _own_page(self, request: web.Request) -> bool:
        origin = request.headers.get(hdrs.ORIGIN)
        if origin is None:
            return True  # not a page in a browser; its token was checked above
        origin = origin.lower()
        return origin in (self.origin, f"{self.scheme}://{request.host}".lower())

    def _let_in(self, request: web.Request) -> web.Response:
        """The cookie for the token, and the same address again without the token."""
        response = web.Response(
            status=303,
            headers={
                hdrs.LOCATION: str(request.rel_url.without_query_params("token")),
                hdrs.CACHE_CONTROL: "no-store",
            },
        )
        response.set_cookie(
            self.cookie_name,
            self.cookie_value,
            path="/",
            httponly=True,
            samesite="Strict",
            secure=self.scheme == "https" or None,
        )
        return response

    def _open(self) -> str:
        return f"{self.sessions} session{' is' if self.sessions == 1 else 's are'} open"

    def _full(self) -> str:
        return (
            f"503 Service Unavailable: {self._open()}, the limit of this server.\n"
            "Close a tab of the board, or restart `mlboard serve` with a higher "
            "--max-sessions.\n"
        )

    def _refuse(self, request: web.Request, status: int, text: str, why: str) -> web.Response:
        path = single_line(request.path)[:200]
        self.log(f"refused {request.method} {path} from {request.remote}: {why}")
        return web.Response(status=status, text=text)


class BoardServer(Server):
    """textual-serve's server with the gate in front; quiet, as `serve` prints the address."""

    def __init__(self, command: str, *, host: str, port: int, public_url: str, gate: Gate) -> None:
        super().__init__(command, host=host, port=port, title="mlboard", public_url=public_url)
        self.gate = gate

    def initialize_logging(self) -> None:
        super().initialize_logging()  # keeps textual-serve's own errors (a tab failing)
        # The access log would write the first request's `?token=…`: it stays off.
        logging.getLogger("aiohttp.access").setLevel(logging.WARNING)

    async def on_startup(self, app: web.Application) -> None:
        return None  # no banner

    async def _make_app(self) -> web.Application:
        # textual-serve 1.1 has no public hook for middleware: this method of its Server builds
        # the aiohttp application, so the gate goes onto what it returns. The access tests
        # build the application through it and fail if a new textual-serve renames it.
        app = await super()._make_app()
        app.middlewares.append(self.gate.middleware)
        return app
