"""Login sessions (for the browser) and API tokens (for the API and CLI).

Both are random secrets handed out once; only their SHA-256 is stored, so a copy of the
database does not let anyone sign in. (The secrets carry 256 bits of entropy, so a fast hash
is enough; argon2 is for the low-entropy passwords people choose.)
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from sqlalchemy import Executable, bindparam, select, update
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor, actor_for
from accord.auth.departments import is_home
from accord.auth.models import ApiToken, LoginSession, User, UserRole
from accord.auth.permissions import Action, can, check
from accord.auth.roles import Role
from accord.db.base import utcnow
from accord.errors import NotAuthenticated, NotFound, Problem, ValidationFailed

TOKEN_PREFIX = "acc_"  # noqa: S105 - a visible prefix, not a secret


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewSession:
    cookie: str
    csrf_token: str


def start_session(session: Session, user: User, *, hours: int, client: str) -> NewSession:
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            token_hash=_digest(cookie),
            user_id=user.id,
            csrf_token=csrf,
            expires_at=utcnow() + timedelta(hours=hours),
        )
    )
    session.flush()
    audit.record(session, actor_for(user), "auth.login", "user", user.id, after={"client": client})
    return NewSession(cookie, csrf)


@dataclass(frozen=True)
class SignedIn:
    """Who a session cookie belongs to, and the CSRF token of that session."""

    actor: Actor
    csrf_token: str


@cache
def _session_statement() -> Executable:
    # Built once: every request runs it, and building a statement and its cache key costs
    # more than running it.
    return (
        select(
            LoginSession.csrf_token,
            LoginSession.expires_at,
            LoginSession.ended_at,
            User.id,
            User.username,
            User.department_id,
            User.is_active,
            UserRole.role,
        )
        .join(User, User.id == LoginSession.user_id)
        .outerjoin(UserRole, UserRole.user_id == User.id)
        .where(LoginSession.token_hash == bindparam("digest"))
    )


def resolve_session(session: Session, cookie: str, *, via: str, request_id: str) -> SignedIn | None:
    """The signed-in user of a session cookie, in one statement of plain columns: every page
    asks (building the session, user, department and role objects for it cost a sixth of
    the catalog page's CPU)."""
    rows = session.execute(_session_statement(), {"digest": _digest(cookie)}).all()
    if not rows:
        return None
    first = rows[0]
    if first.ended_at is not None or first.expires_at <= utcnow() or not first.is_active:
        return None
    roles = frozenset(Role(row.role) for row in rows if row.role is not None)
    home = is_home(session, first.department_id)
    actor = Actor(first.id, first.username, roles, first.department_id, request_id, via, home)
    return SignedIn(actor, first.csrf_token)


def end_session(session: Session, actor: Actor, cookie: str) -> None:
    row = session.scalar(select(LoginSession).where(LoginSession.token_hash == _digest(cookie)))
    if row is None or row.ended_at is not None:
        return
    row.ended_at = utcnow()
    audit.record(session, actor, "auth.logout", "user", row.user_id)


def end_all_for(session: Session, user_id: int) -> None:
    now = utcnow()
    session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def create_token(
    session: Session, actor: Actor, user: User, *, name: str, days: int
) -> tuple[ApiToken, str]:
    """Issue a token for ``user``; the secret is returned once and never stored."""
    if not can(actor, Action.MANAGE_OWN_TOKENS, user):
        check(actor, Action.MANAGE_USERS)  # an administrator issues tokens for others
    problems = []
    if not name.strip():
        problems.append(Problem("name", "Name the token after what will use it."))
    if not 1 <= days <= 366:
        problems.append(Problem("days", "A token lives between 1 and 366 days."))
    if not user.is_active:
        problems.append(Problem("user", f"User {user.username} is disabled."))
    if problems:
        raise ValidationFailed(problems)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name.strip()[:100],
        token_hash=_digest(secret),
        expires_at=utcnow() + timedelta(days=days),
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor,
        "token.create",
        "api_token",
        token.id,
        after={
            "user": user.username,
            "name": token.name,
            "expires_at": token.expires_at.isoformat(),
        },
    )
    return token, secret


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    return list(
        session.scalars(
            select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
        )
    )


def expiring_tokens(session: Session, actor: Actor, *, within_days: int = 14) -> list[ApiToken]:
    """The actor's own live tokens that expire within ``within_days``, soonest first."""
    now = utcnow()
    return list(
        session.scalars(
            select(ApiToken)
            .where(
                ApiToken.user_id == actor.user_id,
                ApiToken.revoked_at.is_(None),
                ApiToken.expires_at > now,
                ApiToken.expires_at <= now + timedelta(days=within_days),
            )
            .order_by(ApiToken.expires_at)
        )
    )


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(f"No token {token_id}.")
    if not can(actor, Action.MANAGE_OWN_TOKENS, token):
        check(actor, Action.MANAGE_USERS)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(
            session,
            actor,
            "token.revoke",
            "api_token",
            token.id,
            after={"revoked_at": token.revoked_at.isoformat()},
        )
    return token


def resolve_token(session: Session, secret: str, *, via: str) -> Actor:
    """The actor behind a bearer token, or NotAuthenticated saying why not."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(secret)))
    if token is None:
        raise NotAuthenticated("Unknown API token.")
    if token.revoked_at is not None:
        raise NotAuthenticated("This API token has been revoked.")
    if token.expires_at <= utcnow():
        raise NotAuthenticated("This API token has expired; create a new one.")
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("The account of this API token is disabled.")
    return actor_for(user, via=via)
