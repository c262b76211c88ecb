"""The JSON API under /api/v1, described by /openapi.json. Same services as the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.models import ApiToken, AuditEntry, User
from accord.auth.permissions import Action
from accord.auth.tokens import create_token, list_tokens, revoke_token
from accord.auth.users import create_user, disable_user, get_user, list_users
from accord.web.deps import (
    DbSession,
    OptionalQueryId,
    RowId,
    csrf_protect,
    get_settings,
    require,
)

router = APIRouter(prefix="/api/v1", dependencies=[Depends(csrf_protect)], tags=["accounts"])


class Me(BaseModel):
    username: str
    roles: list[str]
    department_id: int | None


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    username: str
    full_name: str
    email: str
    department: str
    roles: list[str]
    active: bool

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(
            username=user.username,
            full_name=user.full_name,
            email=user.email,
            department=user.department.code,
            roles=user.role_names,
            active=user.is_active,
        )


class UserCreate(BaseModel):
    username: str
    full_name: str
    password: str = Field(description="At least 10 characters; stored as an argon2 hash.")
    department: str = Field(description="Department code, e.g. CDW.")
    roles: list[str]
    email: str = ""


class TokenCreate(BaseModel):
    name: str
    days: int = 30


class TokenPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class TokenCreated(TokenPublic):
    token: str = Field(description="Shown once; store it now.")


class AuditEntryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    seq: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    before: str | None
    after: str | None
    request_id: str
    hash: str


class VerificationPublic(BaseModel):
    ok: bool
    checked: int
    broken_seq: int | None
    reason: str


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
    result = audit.verify(session, actor, get_settings(request).key)
    return VerificationPublic(
        ok=result.ok, checked=result.checked, broken_seq=result.broken_seq, reason=result.reason
    )
