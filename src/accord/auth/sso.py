"""Sign-in through a department's identity provider: the services behind the two redirects.

``begin_sign_in`` records what the provider's answer must match (state, nonce, PKCE verifier)
and returns where to send the browser. ``finish_sign_in`` takes that record back once, so an
answer cannot be replayed, exchanges the code outside any database transaction (a slow
provider must not hold SQLite's write lock), and then finds the person by the provider's
(issuer, subject), never by e-mail, refuses a disabled account whatever the provider says,
sets their roles from the group-to-role table and starts a session.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.auth import audit, oidc
from accord.auth.actor import Actor
from accord.auth.group_roles import roles_for_groups
from accord.auth.models import Department, SignInAttempt, User, UserRole
from accord.auth.tokens import NewSession, start_session
from accord.auth.users import USERNAME, describe
from accord.config import IdentityProvider, Settings
from accord.db.base import utcnow
from accord.db.engine import transaction
from accord.errors import NotAuthenticated

ATTEMPT_LIFETIME = timedelta(minutes=10)  # time to sign in at the provider and come back


@dataclass(frozen=True)
class SignedIn:
    user_id: int
    username: str
    session: NewSession
    next_path: str


def begin_sign_in(
    settings: Settings, provider: IdentityProvider, *, redirect_uri: str, next_path: str
) -> oidc.Authorization:
    """Record a new attempt and return the provider's authorization request for it."""
    authorization = oidc.authorize(provider, redirect_uri)
    with transaction(settings) as session:
        # attempts never answered (the person gave up) are forgotten after their lifetime
        session.execute(
            delete(SignInAttempt).where(SignInAttempt.created_at < utcnow() - ATTEMPT_LIFETIME)
        )
        session.add(
            SignInAttempt(
                state_hash=_digest(authorization.state),
                provider=provider.name,
                nonce=authorization.nonce,
                code_verifier=authorization.code_verifier,
                next_path=next_path[:2000],
            )
        )
    return authorization


def finish_sign_in(
    settings: Settings,
    provider: IdentityProvider,
    *,
    state: str,
    code: str,
    error: str,
    redirect_uri: str,
    client: str,
) -> SignedIn:
    """Check the provider's answer and sign its person in.

    Raises NotAuthenticated when the attempt is unknown, used or stale (a replayed answer),
    when the provider refused, when the ID token fails any check (``oidc.validate_id_token``),
    when the account is disabled, or when the person's groups give them no role.
    """
    with transaction(settings) as session:
        attempt = _take_attempt(session, provider, state)
    if error:
        raise NotAuthenticated(f"{provider.label} did not sign you in ({error[:100]}).")
    if not code:
        raise NotAuthenticated(f"{provider.label} sent no authorization code.")
    identity = oidc.exchange(
        provider,
        code=code,
        code_verifier=attempt.code_verifier,
        nonce=attempt.nonce,
        redirect_uri=redirect_uri,
    )
    signed_in = None
    with transaction(settings) as session:
        user = sign_in_as(session, provider, identity)
        if user.role_rows:
            new = start_session(session, user, hours=settings.session_hours, client=client[:64])
            signed_in = SignedIn(user.id, user.username, new, attempt.next_path)
    if signed_in is None:  # refused after committing the roles taken away
        raise NotAuthenticated(_NO_ROLE.format(provider=provider.label))
    return signed_in


@dataclass(frozen=True)
class _Attempt:
    nonce: str
    code_verifier: str
    next_path: str


def _take_attempt(session: Session, provider: IdentityProvider, state: str) -> _Attempt:
    """The attempt ``state`` names, deleted so that it can be used once only."""
    refused = NotAuthenticated(
        "This sign-in answer is unknown, was already used, or came too late. Please sign in again."
    )
    if not state:
        raise refused
    # One statement finds and deletes: of two requests replaying the same answer at once,
    # only one gets the row back.
    row = session.execute(
        delete(SignInAttempt)
        .where(SignInAttempt.state_hash == _digest(state))
        .returning(
            SignInAttempt.provider,
            SignInAttempt.created_at,
            SignInAttempt.nonce,
            SignInAttempt.code_verifier,
            SignInAttempt.next_path,
        )
    ).first()
    if row is None:
        raise refused
    if row.provider != provider.name or row.created_at < utcnow() - ATTEMPT_LIFETIME:
        raise refused
    return _Attempt(row.nonce, row.code_verifier, row.next_path)


def sign_in_as(session: Session, provider: IdentityProvider, identity: oidc.Identity) -> User:
    """The user ``identity`` names, created on first sign-in, roles set from their groups.

    Raises NotAuthenticated for a disabled account, and for a newcomer none of whose groups
    is mapped to a role. An existing user whose groups give no role any more is returned
    with their roles taken away (and audited): the caller refuses them a session.
    """
    by_provider = Actor(None, f"sso:{provider.name}", frozenset(), via="web")
    groups = identity.groups(provider.groups_claim)
    roles = sorted(r.value for r in roles_for_groups(session, provider.name, groups))
    user = _find(session, identity)
    if user is not None and not user.is_active:
        raise NotAuthenticated(
            "Your Accord account is disabled. Ask an administrator if you need it again."
        )
    if user is None:
        if not roles:
            raise NotAuthenticated(_NO_ROLE.format(provider=provider.label))
        return _create(session, provider, identity, roles, by_provider)
    before = describe(user)
    user.full_name = _full_name(identity) or user.full_name
    user.email = identity.text("email")[:254]
    if sorted(user.role_names) != roles:
        user.role_rows = [UserRole(role=role) for role in roles]
    session.flush()
    after = describe(user)
    if after != before:
        audit.record(session, by_provider, "user.sync", "user", user.id, before=before, after=after)
    return user


_NO_ROLE = (
    "{provider} signed you in, but none of your groups there is given a role in Accord. "
    "Ask an administrator to map one of your groups."
)


def _find(session: Session, identity: oidc.Identity) -> User | None:
    return session.scalar(
        select(User).where(User.issuer == identity.issuer, User.subject == identity.subject)
    )


def _create(
    session: Session,
    provider: IdentityProvider,
    identity: oidc.Identity,
    roles: list[str],
    by_provider: Actor,
) -> User:
    department = session.scalar(select(Department).where(Department.code == provider.department))
    if department is None:
        raise NotAuthenticated(
            f"Accord has no department {provider.department!r} for {provider.label}'s users: "
            "ask an administrator to create it."
        )
    base = _username_from(provider, identity)
    fallback = f"{base[:55]}-{_digest(identity.issuer + ' ' + identity.subject)[:8]}"
    for username in (base, fallback):
        if username == base and session.scalar(select(User.id).where(User.username == base)):
            continue
        user = User(
            username=username,
            full_name=_full_name(identity) or username,
            email=identity.text("email")[:254],
            password_hash="",  # never a password: this person signs in at their provider
            department_id=department.id,
            issuer=identity.issuer,
            subject=identity.subject,
            role_rows=[UserRole(role=role) for role in roles],
        )
        try:
            with session.begin_nested():
                session.add(user)
                session.flush()
        except IntegrityError:
            # Another request signed the same person in first (same issuer and subject): use
            # their row. Otherwise someone else took the username meanwhile: try the fallback.
            existing = _find(session, identity)
            if existing is not None:
                return sign_in_as(session, provider, identity)
            continue
        audit.record(
            session, by_provider, "user.create", "user", user.id, after=describe(user, department)
        )
        return user
    raise NotAuthenticated("No username could be given to this person; please try again.")


def _full_name(identity: oidc.Identity) -> str:
    name = identity.text("name") or " ".join(
        part for part in (identity.text("given_name"), identity.text("family_name")) if part
    )
    return name[:200]


def _username_from(provider: IdentityProvider, identity: oidc.Identity) -> str:
    """A readable username from the provider's claims; only a suggestion, never the key."""
    suggested = identity.text(provider.username_claim) or identity.text("email")
    local = suggested.split("@", 1)[0].lower()
    cleaned = re.sub(r"[^a-z0-9._-]+", "-", local).strip("-._")[:50]
    return cleaned if USERNAME.match(cleaned) else f"{provider.name}-user"


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
