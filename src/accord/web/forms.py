"""The one way a page's form POST makes a change: validate, or show the form again.

Every form handler does the same three things: call a service inside a savepoint, answer a
redirect (or a page) when it succeeds, and when the service refuses the input show the page
the form came from again, with the refusal's status and its problems, so the person fixes
everything at once where they typed it. ``submit`` is that pattern, written once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi.responses import Response
from sqlalchemy.orm import Session

from accord.errors import AccordError, ValidationFailed
from accord.lifecycle import InvalidTransition

T = TypeVar("T")

# Refusals shown on the form itself. Anything else (not found, not allowed, a conflict the
# form cannot fix) goes to the app's one error page through the error handlers.
REFUSED: tuple[type[AccordError], ...] = (ValidationFailed, InvalidTransition)


def submit(
    session: Session,
    change: Callable[[], T],
    *,
    done: Callable[[T], Response],
    again: Callable[[AccordError], Response],
    refused: tuple[type[AccordError], ...] = REFUSED,
) -> Response:
    """Run ``change`` in a savepoint and answer ``done(result)``.

    If ``change`` raises one of ``refused``, the savepoint is rolled back (nothing it wrote is
    kept, the request's transaction goes on) and the answer is ``again(error)``: the page
    shown again, which takes its status from ``error.status`` and its problems from
    ``error.listed()``. Other errors propagate to the app's error handlers.
    """
    try:
        with session.begin_nested():
            result = change()
    except refused as exc:
        return again(exc)
    return done(result)
