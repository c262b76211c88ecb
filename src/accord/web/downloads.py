"""The one way the web answers with a file to save: pages and the API alike."""

from __future__ import annotations

import re

from fastapi.responses import Response

UNSAFE_NAME = re.compile(r"[^A-Za-z0-9 ._()-]+")


def download(body: bytes, media_type: str, filename: str) -> Response:
    """A file to save, never to render in Accord's origin: ``attachment`` for the browser and
    a sandbox should one open it anyway; the name cannot break out of its header."""
    safe = UNSAFE_NAME.sub("_", filename).strip(" .") or "file"
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{safe}"',
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
