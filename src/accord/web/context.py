"""What every response carries: its request id, the security headers, a new CSRF cookie.

Plain ASGI rather than ``@app.middleware("http")``: Starlette's BaseHTTPMiddleware runs each
request's response through an extra task and memory stream, a cost every page paid for adding
a few headers. Here the headers are added to the response's start message as it passes.
"""

from __future__ import annotations

import uuid

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from accord.web.deps import CSRF_COOKIE

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
}


class RequestContext:
    """Gives each request ``request.state.request_id`` and its response the headers above
    (a route's own value of one wins), ``X-Request-ID``, and the CSRF cookie a page asked for
    (``request.state.new_csrf_cookie``) unless the browser holds it already."""

    def __init__(self, app: ASGIApp, *, secure_cookies: bool) -> None:
        self.app, self.secure_cookies = app, secure_cookies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                new_csrf = state.get("new_csrf_cookie")
                if new_csrf and Request(scope).cookies.get(CSRF_COOKIE) != new_csrf:
                    headers.append("set-cookie", self._cookie(new_csrf))
            await send(message)

        await self.app(scope, receive, with_headers)

    def _cookie(self, value: str) -> str:
        """The Set-Cookie value, formatted by Starlette as a response would set it."""
        cookie = Response()
        cookie.set_cookie(
            CSRF_COOKIE, value, httponly=True, samesite="strict", secure=self.secure_cookies
        )
        return cookie.headers["set-cookie"]
