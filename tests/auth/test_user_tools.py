"""The administrator's tools on the users page: roles, re-enabling, password reset links."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accord.auth import password_reset
from accord.auth.password_reset import LIFETIME, issue_reset, reset_password, user_of_reset
from accord.auth.tokens import create_token, resolve_token, start_session
from accord.auth.users import (
    authenticate,
    disable_user,
    enable_user,
    get_user,
    last_sign_ins,
    set_roles,
)
from accord.config import Settings
from accord.db.base import utcnow
from accord.db.engine import transaction
from accord.errors import NotAuthenticated, ValidationFailed
from tests.factories import PASSWORD, make_user

NEW_PASSWORD = "a-brand-new-password"


def _sign_in(settings: Settings, username: str, password: str) -> None:
    with transaction(settings) as session:
        authenticate(session, username, password, client="t", max_failures=50, window_minutes=1)


def test_roles_are_replaced_and_an_admin_keeps_their_own(settings: Settings) -> None:
    admin = make_user(settings, "ana", "admin")
    make_user(settings, "bo", "requester")
    with transaction(settings) as session:
        assert set_roles(session, admin, "bo", ["steward", "legal"]).role_names == [
            "legal",
            "steward",
        ]
        with pytest.raises(ValidationFailed) as caught:
            set_roles(session, admin, "ana", ["auditor"])
        assert "your own administrator role" in caught.value.problems[0].message
        with pytest.raises(ValidationFailed):
            set_roles(session, admin, "bo", [])
        with pytest.raises(ValidationFailed):
            set_roles(session, admin, "bo", ["wizard"])
        assert set_roles(session, admin, "ana", ["admin", "auditor"]).role_names == [
            "admin",
            "auditor",
        ]


def test_a_disabled_user_is_enabled_again(settings: Settings) -> None:
    admin = make_user(settings, "ana", "admin")
    make_user(settings, "bo", "requester")
    with transaction(settings) as session:
        disable_user(session, admin, "bo")
    with pytest.raises(NotAuthenticated):
        _sign_in(settings, "bo", PASSWORD)
    with transaction(settings) as session:
        with pytest.raises(ValidationFailed):
            disable_user(session, admin, "ana")  # never oneself
        enable_user(session, admin, "bo")
    _sign_in(settings, "bo", PASSWORD)


def test_a_reset_link_works_once_and_ends_the_old_password(settings: Settings) -> None:
    admin = make_user(settings, "ana", "admin")
    make_user(settings, "bo", "requester")
    with transaction(settings) as session:
        bo = get_user(session, "bo")
        _, secret = create_token(session, admin, bo, name="cli", days=30)
        link = issue_reset(session, admin, "bo")
    token = link.path.removeprefix("/reset/")
    assert link.expires_at - utcnow() <= LIFETIME
    with pytest.raises(NotAuthenticated):
        _sign_in(settings, "bo", PASSWORD)  # the old password stopped working at once
    with transaction(settings) as session, pytest.raises(NotAuthenticated):
        resolve_token(session, secret, via="api")  # and so did their tokens
    with transaction(settings) as session, pytest.raises(ValidationFailed):
        reset_password(session, token, "short")
    with transaction(settings) as session:
        reset_password(session, token, NEW_PASSWORD)
    _sign_in(settings, "bo", NEW_PASSWORD)
    with transaction(settings) as session, pytest.raises(NotAuthenticated):
        reset_password(session, token, "another-new-password")  # used: it works once


def test_a_newer_link_replaces_the_older_and_links_expire(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = make_user(settings, "ana", "admin")
    make_user(settings, "bo", "requester")
    with transaction(settings) as session:
        first = issue_reset(session, admin, "bo").path.removeprefix("/reset/")
        second = issue_reset(session, admin, "bo").path.removeprefix("/reset/")
    with transaction(settings) as session:
        with pytest.raises(NotAuthenticated):
            user_of_reset(session, first)
        assert user_of_reset(session, second).username == "bo"
        for forged in ("", "x.y.z", second[:-1] + ("0" if second[-1] != "0" else "1")):
            with pytest.raises(NotAuthenticated):
                user_of_reset(session, forged)
    later = utcnow() + LIFETIME + timedelta(minutes=1)
    monkeypatch.setattr(password_reset, "utcnow", lambda: later)
    with transaction(settings) as session, pytest.raises(NotAuthenticated):
        user_of_reset(session, second)


def test_last_sign_in_is_the_newest_session(settings: Settings) -> None:
    admin = make_user(settings, "ana", "admin")
    make_user(settings, "bo", "requester")
    with transaction(settings) as session:
        bo = get_user(session, "bo")
        assert bo.id not in last_sign_ins(session, admin)
        start_session(session, bo, hours=1, client="t")
        start_session(session, bo, hours=1, client="t")
        seen = last_sign_ins(session, admin)
    assert bo.id in seen and utcnow() - seen[bo.id] < timedelta(minutes=1)


def test_a_single_sign_on_account_gets_no_reset_link(settings: Settings) -> None:
    """A link would give the account a password that bypasses its identity provider."""
    admin = make_user(settings, "ana", "admin")
    make_user(settings, "bo", "requester")
    with transaction(settings) as session:
        bo = get_user(session, "bo")
        bo.issuer, bo.subject, bo.password_hash = "https://id.example.gov", "bo-1", ""
    with transaction(settings) as session, pytest.raises(ValidationFailed, match="signs in"):
        issue_reset(session, admin, "bo")
    with transaction(settings) as session:
        assert get_user(session, "bo").password_hash == ""  # nothing changed
