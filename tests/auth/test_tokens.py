from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from accord.auth.models import ApiToken
from accord.auth.tokens import create_token, resolve_token, revoke_token
from accord.auth.users import get_user
from accord.config import Settings
from accord.db.base import utcnow
from accord.db.engine import transaction
from accord.errors import NotAuthenticated, PermissionDenied, ValidationFailed
from tests.factories import make_user


def test_token_round_trip_and_stored_hashed(settings: Settings) -> None:
    actor = make_user(settings, "bo", "steward")
    with transaction(settings) as session:
        _, secret = create_token(session, actor, get_user(session, "bo"), name="ci", days=3)
    with transaction(settings) as session:
        assert resolve_token(session, secret, via="api").username == "bo"
        stored = session.scalars(select(ApiToken.token_hash)).all()
        assert secret not in stored and len(stored) == 1


def test_expired_and_revoked_tokens_refused(settings: Settings) -> None:
    actor = make_user(settings, "bo", "steward")
    with transaction(settings) as session:
        token, secret = create_token(session, actor, get_user(session, "bo"), name="ci", days=3)
        token.expires_at = utcnow() - timedelta(seconds=1)
    with transaction(settings) as session, pytest.raises(NotAuthenticated, match="expired"):
        resolve_token(session, secret, via="api")
    with transaction(settings) as session:
        token, secret = create_token(session, actor, get_user(session, "bo"), name="b", days=3)
        revoke_token(session, actor, token.id)
    with transaction(settings) as session, pytest.raises(NotAuthenticated, match="revoked"):
        resolve_token(session, secret, via="api")


def test_cannot_issue_or_revoke_for_someone_else(settings: Settings) -> None:
    bo = make_user(settings, "bo", "steward")
    cy = make_user(settings, "cy", "auditor")
    with transaction(settings) as session:
        token, _ = create_token(session, bo, get_user(session, "bo"), name="mine", days=3)
    with transaction(settings) as session, pytest.raises(PermissionDenied):
        create_token(session, cy, get_user(session, "bo"), name="theirs", days=3)
    with transaction(settings) as session, pytest.raises(PermissionDenied):
        revoke_token(session, cy, token.id)


def test_token_lifetime_validated(settings: Settings) -> None:
    bo = make_user(settings, "bo", "steward")
    with transaction(settings) as session, pytest.raises(ValidationFailed):
        create_token(session, bo, get_user(session, "bo"), name="", days=999)
