"""Accounts under /api/v1: who am I, users, API tokens and the audit log."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from accord.auth.models import User


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
    anchored: int
    warning: str
