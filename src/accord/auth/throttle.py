"""Slowing password guessing without locking the owner out.

The policy (README, "Signing in"):
- failures are counted per account *and address*: after ``max_failures`` wrong passwords for
  one account from one address within the window, that address waits before its next try
  for that account, 30 seconds doubled with each further failure, at most the window. The
  owner signing in from elsewhere is not held back by someone else's guessing;
- an account guessed at from many addresses (ten times ``max_failures`` in the window) waits
  the same way from everywhere, so a spread-out attack is slowed too;
- one address failing across many accounts (password spraying) waits as well;
- an administrator can unlock an account (``accord user unlock``, the Users page);
- a success clears the account's failures.
Counting is atomic: the check and the record happen under a lock per account (PostgreSQL
advisory lock; on SQLite the sign-in transaction holds the write lock from its start), so of
forty guesses at once exactly five are checked and recorded, and the rest wait.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from accord.auth.models import LoginFailure
from accord.db.base import utcnow
from accord.errors import TooManyAttempts

FIRST_WAIT = timedelta(seconds=30)
SPREAD = 10  # an account guessed at from many addresses: this many times the limit


@dataclass(frozen=True)
class Limits:
    max_failures: int
    window: timedelta
    max_client_failures: int


def serialize(session: Session, username: str) -> None:
    """Hold the account's lock until the transaction ends (PostgreSQL; SQLite holds its
    write lock already)."""
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(username.encode())  # any bigint names the lock
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})


def refuse_if_waiting(session: Session, username: str, client: str, limits: Limits) -> None:
    now = utcnow()
    since = now - limits.window
    recent = select(func.count(), func.max(LoginFailure.at)).where(LoginFailure.at >= since)
    checks = [
        (
            recent.where(LoginFailure.username == username, LoginFailure.client == client),
            limits.max_failures,
            "for this account from this address",
        ),
        (
            recent.where(LoginFailure.username == username),
            limits.max_failures * SPREAD,
            "for this account",
        ),
    ]
    if client:
        checks.append(
            (
                recent.where(LoginFailure.client == client),
                limits.max_client_failures,
                "from this address",
            )
        )
    for query, limit, where in checks:
        count, last = session.execute(query).one()
        wait = _wait(int(count or 0), limit, limits.window)
        if wait and last is not None and now < last + wait:
            left = last + wait - now
            raise TooManyAttempts(
                f"Too many failed sign-ins {where}. Try again in {_words(left)}, "
                "or ask an administrator to unlock the account."
            )


def _wait(failures: int, limit: int, window: timedelta) -> timedelta | None:
    if failures < limit:
        return None
    doubled: timedelta = FIRST_WAIT * 2 ** min(failures - limit, 20)
    return min(doubled, window)


def _words(left: timedelta) -> str:
    seconds = max(1, int(left.total_seconds() + 0.999))
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{(seconds + 59) // 60} minutes"
