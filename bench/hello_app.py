"""The baseline of load_bench: a bare Starlette route, served by uvicorn as `accord serve` is.

python -m uvicorn bench.hello_app:create --factory --workers 2
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def hello(_request: Request) -> PlainTextResponse:
    return PlainTextResponse("hello")


def create() -> Starlette:
    return Starlette(routes=[Route("/", hello)])
