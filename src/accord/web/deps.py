"""Request-scoped dependencies: the database session, the caller, the permission check, CSRF.

``require(action)`` is the one dependency that guards every page and API route; ``public()``
marks the few routes anyone may reach. A test walks the routes and fails on any route with
neither.
"""

from __future__ import annotations

import dataclasses
import hmac
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import Annotated

import anyio
from fastapi import Depends, Form, Path, Query, Request
from pydantic import Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from accord.auth.actor import Actor
from accord.auth.permissions import Action, check
from accord.auth.tokens import resolve_session, resolve_token
from accord.config import Settings
from accord.db.engine import is_sqlite, transaction
from accord.errors import NotAuthenticated, PermissionDenied

SESSION_COOKIE = "accord_session"
CSRF_COOKIE = "accord_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class LoginRequired(NotAuthenticated):
    """A page needs a signed-in user: the browser is sent to the login page."""


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _write_turns(request: Request) -> anyio.Semaphore:
    """What a request that may write waits for, in the event loop: one of half the threads.

    A writer's transaction holds SQLite's write lock (or PostgreSQL's row locks) until it
    commits. Were every thread taken by writers waiting for that lock while the holder needed
    one more trip through the pool to commit, the server would hang (it did, when the API's
    changes committed after FastAPI built their reply in another thread:
    tests/web/test_serving.py; they now commit first, ``api.routing``). Waiting here holds
    no thread, and the other half of the threads stay free for readers.
    """
    state = request.app.state
    turns: anyio.Semaphore | None = getattr(state, "write_turns", None)
    if turns is None:  # made in the event loop, on first use
        turns = state.write_turns = anyio.Semaphore(
            max(1, get_settings(request).threads_per_worker // 2)
        )
    return turns


async def db_session(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work, opened in the event loop and ended in a thread; a request
    that may write first waits for its turn (``_write_turns``).

    Opening does no I/O (the session connects at its first statement, in the handler's
    thread), so it needs no trip through the thread pool. Ending commits or rolls back: in a
    thread that waits for no pool token (the transaction may hold the write lock), shielded so
    that a client hanging up cannot leave the connection open. Ending a read on SQLite only
    lets go of its snapshot, a local call of microseconds: it ends in the event loop, since
    the trip through a thread cost the loop more.
    """
    settings = get_settings(request)
    reading = request.method not in UNSAFE  # a GET changes nothing, so it never queues
    turn = None if reading else _write_turns(request)
    if turn is not None:
        await turn.acquire()
    try:
        unit = transaction(settings, read_only=reading)
        session = unit.__enter__()
        failure: BaseException | None = None
        try:
            yield session
        except BaseException as error:
            failure = error
            raise
        finally:
            end = partial(
                unit.__exit__,
                type(failure) if failure else None,
                failure,
                failure.__traceback__ if failure else None,
            )
            if reading and is_sqlite(settings.resolved_database_url):
                end()
            else:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(end, limiter=anyio.CapacityLimiter(1))
    finally:
        if turn is not None:
            turn.release()


# scope="function": commit before the response is sent, so a redirect never outruns its write.
MAX_ID = 2**31 - 1  # keys are INTEGER columns (32 bits on PostgreSQL): larger ids cannot exist
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
FormId = Annotated[int, Form(ge=1, le=MAX_ID)]
OptionalQueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]

DbSession = Annotated[Session, Depends(db_session, scope="function")]


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def optional_actor(request: Request) -> Actor | None:
    """The caller: a bearer token on the API, else the session cookie; None if neither.

    Read in a transaction of its own, so that the request's own (which, for a change, holds
    SQLite's write lock from its first statement) begins only when the handler needs it: a
    handler that first works in transactions of its own then waits for nobody.
    """
    with transaction(get_settings(request), read_only=True) as session:
        return _identify(request, session)


def _identify(request: Request, session: Session) -> Actor | None:
    request_id: str = request.state.request_id
    header = request.headers.get("authorization", "")
    if is_api(request) and header.lower().startswith("bearer "):
        actor = resolve_token(session, header[7:].strip(), via="api")
        return dataclasses.replace(actor, request_id=request_id, via="api")
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    via = "api" if is_api(request) else "web"
    found = resolve_session(session, cookie, via=via, request_id=request_id)
    if found is None:
        return None
    request.state.csrf_token = found.csrf_token
    return found.actor


def require(action: Action) -> Callable[..., Awaitable[Actor]]:
    """The permission check of one route: the caller must be signed in and allowed ``action``."""

    # async: a check without I/O runs in the event loop, saving each request a trip through
    # the thread pool.
    async def dependency(
        request: Request, actor: Annotated[Actor | None, Depends(optional_actor)]
    ) -> Actor:
        if actor is None:
            if is_api(request):
                raise NotAuthenticated("Sign in or send an API token (Authorization: Bearer …).")
            raise LoginRequired("Please sign in.")
        request.state.actor = actor  # so that even a refusal page shows the user's navigation
        check(actor, action)
        return actor

    dependency.accord_action = action  # type: ignore[attr-defined]
    return dependency


def public() -> Callable[..., Awaitable[None]]:
    """Marks a route anyone may reach (login, health, the public pages)."""

    async def dependency() -> None:
        return None

    dependency.accord_public = True  # type: ignore[attr-defined]
    return dependency


async def csrf_protect(request: Request) -> None:
    """Refuse an unsafe request whose CSRF token does not match.

    Signed-in browsers must echo their session's token (form field or header); the sign-in
    form, before any session exists, uses a double-submit cookie. Bearer-token API calls carry
    no ambient credentials and need no token.
    """
    if request.method not in UNSAFE:
        return
    if is_api(request) and request.headers.get("authorization", "").lower().startswith("bearer "):
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and not is_api(request):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected = await _session_csrf(request) if SESSION_COOKIE in request.cookies else None
    if expected is None:
        expected = request.cookies.get(CSRF_COOKIE)
    if not sent or not expected or not hmac.compare_digest(sent, expected):
        raise PermissionDenied(
            "This form has expired or did not come from Accord (CSRF check). Reload the page "
            "and try again."
        )


async def _session_csrf(request: Request) -> str | None:
    cookie = request.cookies.get(SESSION_COOKIE, "")
    request_id: str = request.state.request_id

    def lookup() -> str | None:
        with transaction(get_settings(request), read_only=True) as session:
            found = resolve_session(session, cookie, via="web", request_id=request_id)
            return found.csrf_token if found else None

    return await run_in_threadpool(lookup)


def anonymous_csrf(request: Request) -> str:
    """The double-submit token for forms shown before sign-in (set as a cookie by the page)."""
    token = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    request.state.new_csrf_cookie = token
    return token
