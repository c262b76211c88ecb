"""A ceiling on request bodies, enforced before anything is parsed or spooled to disk."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(HTTPException):
    """Raised while the body streams in; an HTTPException so that whichever layer is reading
    the body at that moment (a form parser, for one) answers 413 rather than 400."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            413, f"The request is larger than {max_bytes // 2**20} MB; nothing was saved."
        )


class BodySizeLimit:
    """Refuse (413) a body larger than ``max_bytes``: by its Content-Length if it says so,
    else by counting while it streams in."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        seen = 0

        async def counting() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise BodyTooLarge(self.max_bytes)
            return message

        try:
            await self.app(scope, counting, send)
        except BodyTooLarge:
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.max_bytes // 2**20
        response = PlainTextResponse(
            f"The request is larger than {limit} MB; nothing was saved.", status_code=413
        )
        await response(scope, receive, send)
