"""Password resets: a one-time link an administrator hands to the person who forgot theirs.

The link carries the user, an expiry and an HMAC (keyed with the installation's secret key)
over both and over the user's current password hash. Issuing a link replaces the password by
an unusable one, so the old password stops working and every earlier link dies; using the link
sets a new password hash, so the link works once. Nothing is stored: a copy of the database
holds no link that could be replayed, and nothing needs cleaning up.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor, actor_for
from accord.auth.models import User
from accord.auth.passwords import hash_password, password_problems
from accord.auth.permissions import Action, check
from accord.auth.tokens import end_all_for
from accord.auth.users import get_user
from accord.db.base import utcnow
from accord.errors import NotAuthenticated, Problem, ValidationFailed

LIFETIME = timedelta(hours=24)
UNUSABLE = "!reset:"  # not an argon2 hash: no password verifies against it
REFUSED = "This reset link is not valid: it was used, replaced by a newer one, or it expired."


@dataclass(frozen=True)
class ResetLink:
    username: str
    path: str  # the site-relative address to hand over, e.g. /reset/12.1767225600.ab12…
    expires_at: datetime


def _signature(key: bytes, user: User, expires: int) -> str:
    material = f"password-reset\x00{user.id}\x00{expires}\x00{user.password_hash}"
    return hmac.new(key, material.encode(), hashlib.sha256).hexdigest()


def issue_reset(session: Session, actor: Actor, username: str) -> ResetLink:
    """Replace the user's password by an unusable one, end their sessions and tokens, and
    return a link (valid once, for 24 hours) with which they choose a new password."""
    check(actor, Action.MANAGE_USERS)
    user = get_user(session, username)
    if user.issuer:
        # a link would give a single sign-on account a password that bypasses its provider
        message = f"{username} signs in through {user.issuer}: their password is kept there."
        raise ValidationFailed([Problem("username", message)], message)
    user.password_hash = UNUSABLE + secrets.token_hex(16)
    end_all_for(session, user.id)
    expires_at = (utcnow() + LIFETIME).replace(microsecond=0)
    expires = int(expires_at.timestamp())
    token = f"{user.id}.{expires}.{_signature(session.info[audit.KEY_INFO], user, expires)}"
    session.flush()
    audit.record(
        session,
        actor,
        "user.password_reset",
        "user",
        user.id,
        after={"expires_at": expires_at.isoformat()},
    )
    return ResetLink(user.username, f"/reset/{token}", expires_at)


def user_of_reset(session: Session, token: str) -> User:
    """The user a reset link is for; NotAuthenticated if it is used, replaced or expired."""
    user_part, _, rest = token.partition(".")
    expires_part, _, signature = rest.partition(".")
    if not (user_part.isdigit() and expires_part.isdigit()):
        raise NotAuthenticated(REFUSED)
    user = session.get(User, int(user_part))
    expires = int(expires_part)
    if (
        user is None
        or not user.is_active
        or expires < utcnow().timestamp()
        or not hmac.compare_digest(
            signature, _signature(session.info[audit.KEY_INFO], user, expires)
        )
    ):
        raise NotAuthenticated(REFUSED)
    return user


def reset_password(session: Session, token: str, password: str) -> User:
    """Set the new password through a reset link, which then no longer works."""
    user = user_of_reset(session, token)
    problems = password_problems(password)
    if problems:
        raise ValidationFailed(problems)
    user.password_hash = hash_password(password)
    session.flush()
    audit.record(session, actor_for(user), "user.password_set", "user", user.id)
    return user
