"""The routers of the JSON API: each checks CSRF, and a change commits before its reply is built."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.routing import APIRoute
from sqlalchemy.orm import Session

from accord.web.deps import UNSAFE, csrf_protect


def api_router(tag: str, prefix: str = "/api/v1") -> APIRouter:
    return APIRouter(
        prefix=prefix,
        dependencies=[Depends(csrf_protect)],
        tags=[tag],
        route_class=CommitBeforeReply,
    )


class CommitBeforeReply(APIRoute):
    """A route that changes something commits in the thread that ran it.

    FastAPI checks a sync route's answer against its response model in a second trip through
    the thread pool, and the request's transaction stays open until that trip is over. That
    transaction holds SQLite's write lock (PostgreSQL's audit head row), so under load every
    other writer waited while the holder queued behind the readers for a thread: writes took
    2 s at the median in bench/load_bench.py. Committing first lets the next writer in.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        changes = UNSAFE & set(kwargs.get("methods") or ())
        if changes and not inspect.iscoroutinefunction(endpoint):
            endpoint = _committing(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _committing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    # functools.wraps keeps the signature FastAPI reads the parameters and response model from.
    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> Any:
        answer = endpoint(*args, **kwargs)
        for value in kwargs.values():
            # in_transaction: a route FastAPI wraps twice must not commit a closed transaction
            if isinstance(value, Session) and value.in_transaction():
                value.commit()
        return answer

    return run
