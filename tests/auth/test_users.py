from __future__ import annotations

import pytest
from sqlalchemy import func, select

from accord.auth.actor import Actor
from accord.auth.models import AuditEntry, LoginFailure, User
from accord.auth.tokens import create_token, resolve_session, resolve_token, start_session
from accord.auth.users import authenticate, create_user, disable_user, get_user
from accord.config import Settings
from accord.db.engine import transaction
from accord.errors import (
    Conflict,
    NotAuthenticated,
    PermissionDenied,
    TooManyAttempts,
    ValidationFailed,
)
from tests.factories import PASSWORD, make_user


def _count(settings: Settings, model: type) -> int:
    with transaction(settings) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_password_is_stored_as_argon2(settings: Settings) -> None:
    make_user(settings, "ana", "admin")
    with transaction(settings) as session:
        user = get_user(session, "ana")
        assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


def test_invalid_user_lists_every_problem_and_writes_nothing(settings: Settings) -> None:
    make_user(settings, "ana", "admin")
    users, entries = _count(settings, User), _count(settings, AuditEntry)
    with pytest.raises(ValidationFailed) as caught, transaction(settings) as session:
        create_user(
            session,
            Actor.system(),
            username="Bad Name!",
            full_name=" ",
            password="short",
            department_code="NOPE",
            roles=["wizard"],
        )
    fields = {p.field for p in caught.value.problems}
    assert fields == {"username", "full_name", "password", "roles", "department"}
    assert (_count(settings, User), _count(settings, AuditEntry)) == (users, entries)


def test_duplicate_username_conflicts(settings: Settings) -> None:
    make_user(settings, "ana", "admin")
    with pytest.raises(Conflict):
        make_user(settings, "ana", "steward")


def test_non_admin_cannot_create_users(settings: Settings) -> None:
    steward = make_user(settings, "sam", "steward")
    with pytest.raises(PermissionDenied), transaction(settings) as session:
        create_user(
            session,
            steward,
            username="eve",
            full_name="Eve",
            password=PASSWORD,
            department_code="CDW",
            roles=["admin"],
        )


def test_user_with_several_roles(settings: Settings) -> None:
    actor = make_user(settings, "multi", "steward", "security_officer")
    assert {r.value for r in actor.roles} == {"steward", "security_officer"}


def test_throttle_after_repeated_failures(settings: Settings) -> None:
    make_user(settings, "ana", "admin")
    kwargs = {"client": "1.2.3.4", "max_failures": 3, "window_minutes": 15}
    for _ in range(3):
        with transaction(settings) as session, pytest.raises(NotAuthenticated):
            authenticate(session, "ana", "wrong-password", **kwargs)  # type: ignore[arg-type]
    with transaction(settings) as session, pytest.raises(TooManyAttempts):
        authenticate(session, "ana", PASSWORD, **kwargs)  # type: ignore[arg-type]
    assert _count(settings, LoginFailure) == 3


def test_throttle_per_address_across_usernames(settings: Settings) -> None:
    """One guess per account from one address: the per-account limit never trips, this does."""
    make_user(settings, "ana", "admin")
    for name in ("bo", "cy", "di"):
        with transaction(settings) as session, pytest.raises(NotAuthenticated):
            authenticate(
                session, name, "guess", client="5.6.7.8", max_failures=3, window_minutes=15,
                max_client_failures=3,
            )
    with transaction(settings) as session, pytest.raises(TooManyAttempts, match="address"):
        authenticate(
            session, "ana", PASSWORD, client="5.6.7.8", max_failures=3, window_minutes=15,
            max_client_failures=3,
        )
    with transaction(settings) as session:  # another address is not held back
        user = authenticate(
            session, "ana", PASSWORD, client="9.9.9.9", max_failures=3, window_minutes=15,
            max_client_failures=3,
        )
        assert user.username == "ana"


def test_success_clears_failures(settings: Settings) -> None:
    make_user(settings, "ana", "admin")
    kwargs = {"client": "", "max_failures": 3, "window_minutes": 15}
    with transaction(settings) as session, pytest.raises(NotAuthenticated):
        authenticate(session, "ana", "nope-nope-nope", **kwargs)  # type: ignore[arg-type]
    with transaction(settings) as session:
        assert authenticate(session, "ANA", PASSWORD, **kwargs).username == "ana"  # type: ignore[arg-type]
    assert _count(settings, LoginFailure) == 0


def test_disable_ends_sessions_and_tokens(settings: Settings) -> None:
    admin = make_user(settings, "ana", "admin")
    make_user(settings, "bo", "steward")
    with transaction(settings) as session:
        bo = get_user(session, "bo")
        cookie = start_session(session, bo, hours=1, client="").cookie
        _, secret = create_token(session, admin, bo, name="script", days=5)
    with transaction(settings) as session:
        disable_user(session, admin, "bo")
    with transaction(settings) as session:
        assert resolve_session(session, cookie, via="web", request_id="t") is None
        with pytest.raises(NotAuthenticated, match="revoked"):
            resolve_token(session, secret, via="api")
        with pytest.raises(NotAuthenticated):
            authenticate(session, "bo", PASSWORD, client="", max_failures=5, window_minutes=1)
