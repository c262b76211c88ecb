"""The JSON API under /api/v1, described by /openapi.json. Same services as the pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.models import ApiToken, AuditEntry
from accord.auth.permissions import Action
from accord.auth.tokens import create_token, list_tokens, revoke_token
from accord.auth.users import create_user, disable_user, get_user, list_users
from accord.web.api.routing import api_router
from accord.web.api.schemas.accounts import (
    AuditEntryPublic,
    Me,
    TokenCreate,
    TokenCreated,
    TokenPublic,
    UserCreate,
    UserPublic,
    VerificationPublic,
)
from accord.web.deps import (
    DbSession,
    OptionalQueryId,
    RowId,
    get_settings,
    require,
)

router = api_router("accounts")


@router.get("/me")
def me(actor: Annotated[Actor, Depends(require(Action.VIEW_HOME))]) -> Me:
    return Me(username=actor.username, roles=sorted(actor.roles), department_id=actor.department_id)


@router.get("/users")
def api_list_users(
    session: DbSession, actor: Annotated[Actor, Depends(require(Action.VIEW_USERS))]
) -> list[UserPublic]:
    return [UserPublic.of(u) for u in list_users(session, actor)]


@router.post("/users", status_code=201)
def api_create_user(
    body: UserCreate,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.MANAGE_USERS))],
) -> UserPublic:
    user = create_user(
        session,
        actor,
        username=body.username,
        full_name=body.full_name,
        password=body.password,
        department_code=body.department,
        roles=body.roles,
        email=body.email,
    )
    return UserPublic.of(user)


@router.post("/users/{username}/disable")
def api_disable_user(
    username: str,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.MANAGE_USERS))],
) -> UserPublic:
    return UserPublic.of(disable_user(session, actor, username))


@router.get("/tokens")
def api_list_tokens(
    session: DbSession, actor: Annotated[Actor, Depends(require(Action.MANAGE_OWN_TOKENS))]
) -> list[TokenPublic]:
    assert actor.user_id is not None
    return [TokenPublic.model_validate(t) for t in list_tokens(session, actor.user_id)]


@router.post("/tokens", status_code=201)
def api_create_token(
    body: TokenCreate,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.MANAGE_OWN_TOKENS))],
) -> TokenCreated:
    token, secret = create_token(
        session, actor, get_user(session, actor.username), name=body.name, days=body.days
    )
    return TokenCreated(token=secret, **TokenPublic.model_validate(token).model_dump())


@router.delete("/tokens/{token_id}")
def api_revoke_token(
    token_id: RowId,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.MANAGE_OWN_TOKENS))],
) -> TokenPublic:
    token: ApiToken = revoke_token(session, actor, token_id)
    return TokenPublic.model_validate(token)


@router.get("/audit")
def api_audit(
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.VIEW_AUDIT))],
    before: OptionalQueryId = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[AuditEntryPublic]:
    entries: list[AuditEntry] = audit.list_entries(session, actor, before=before, limit=limit)
    return [AuditEntryPublic.model_validate(e) for e in entries]


@router.get("/audit/verify")
def api_audit_verify(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.VERIFY_AUDIT))],
) -> VerificationPublic:
    result = audit.verify(session, actor, get_settings(request))
    return VerificationPublic(
        ok=result.ok,
        checked=result.checked,
        broken_seq=result.broken_seq,
        reason=result.reason,
        anchored=result.anchored,
        warning=result.warning,
    )
