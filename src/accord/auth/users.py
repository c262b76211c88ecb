"""Services for departments and users: the only door through which they change."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from accord.auth import audit, throttle
from accord.auth.actor import Actor
from accord.auth.models import Department, LoginFailure, LoginSession, User, UserRole
from accord.auth.passwords import hash_password, password_problems, verify_password
from accord.auth.permissions import Action, check
from accord.auth.roles import Role, parse_roles
from accord.auth.tokens import end_all_for
from accord.errors import (
    Conflict,
    NotAuthenticated,
    NotFound,
    Problem,
    ValidationFailed,
)

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def create_department(session: Session, actor: Actor, code: str, name: str) -> Department:
    check(actor, Action.MANAGE_USERS)
    problems = []
    if not re.fullmatch(r"[A-Z0-9-]{2,32}", code):
        problems.append(Problem("code", "Use 2–32 capital letters, digits or hyphens."))
    if not name.strip():
        problems.append(Problem("name", "Give the department's name."))
    if problems:
        raise ValidationFailed(problems)
    if session.scalar(select(Department).where(Department.code == code)):
        raise Conflict(f"Department {code} already exists.")
    department = Department(code=code, name=name.strip())
    session.add(department)
    session.flush()
    audit.record(
        session,
        actor,
        "department.create",
        "department",
        department.id,
        after={"code": code, "name": department.name},
    )
    return department


def list_departments(session: Session) -> list[Department]:
    return list(session.scalars(select(Department).order_by(Department.name)))


def create_user(
    session: Session,
    actor: Actor,
    *,
    username: str,
    full_name: str,
    password: str,
    department_code: str,
    roles: list[str],
    email: str = "",
) -> User:
    """Create a user; every problem with the input is reported together."""
    check(actor, Action.MANAGE_USERS)
    problems: list[Problem] = []
    username = username.strip().lower()
    if not USERNAME.match(username):
        problems.append(
            Problem("username", "Use 2–64 lower-case letters, digits, '.', '_' or '-'.")
        )
    if not full_name.strip():
        problems.append(Problem("full_name", "Give the person's name."))
    problems += password_problems(password)
    role_set, unknown = parse_roles(roles)
    if unknown:
        problems.append(Problem("roles", f"Unknown roles: {', '.join(unknown)}."))
    elif not role_set:
        problems.append(Problem("roles", "Give at least one role."))
    department = session.scalar(select(Department).where(Department.code == department_code))
    if department is None:
        problems.append(Problem("department", f"No department with code {department_code!r}."))
    if problems:
        raise ValidationFailed(problems)
    assert department is not None
    if session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"User {username} already exists.")
    user = User(
        username=username,
        full_name=full_name.strip(),
        email=email.strip(),
        password_hash=hash_password(password),
        department_id=department.id,
        role_rows=[UserRole(role=r.value) for r in sorted(role_set)],
    )
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", user.id, after=describe(user, department))
    return user


def describe(user: User, department: Department | None = None) -> dict[str, object]:
    """The audit-log view of a user: never the password hash."""
    view: dict[str, object] = {
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "department": (department or user.department).code,
        "roles": sorted(r.role for r in user.role_rows),
        "active": user.is_active,
    }
    if user.issuer:  # signs in through an identity provider
        view["issuer"], view["subject"] = user.issuer, user.subject
    return view


def list_users(session: Session, actor: Actor) -> list[User]:
    check(actor, Action.VIEW_USERS)
    return list(session.scalars(select(User).order_by(User.username)))


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    return user


def disable_user(session: Session, actor: Actor, username: str) -> User:
    """Disable a user and end their sessions and tokens; their history stays."""
    check(actor, Action.MANAGE_USERS)
    user = get_user(session, username)
    if user.id == actor.user_id:
        raise ValidationFailed([Problem("username", "You cannot disable your own account.")])
    if not user.is_active:
        return user
    before = describe(user)
    user.is_active = False
    end_all_for(session, user.id)
    session.flush()
    audit.record(
        session, actor, "user.disable", "user", user.id, before=before, after=describe(user)
    )
    return user


def enable_user(session: Session, actor: Actor, username: str) -> User:
    """Let a disabled user sign in again (with their old password, or a reset link)."""
    check(actor, Action.MANAGE_USERS)
    user = get_user(session, username)
    if user.is_active:
        return user
    before = describe(user)
    user.is_active = True
    session.flush()
    audit.record(
        session, actor, "user.enable", "user", user.id, before=before, after=describe(user)
    )
    return user


def set_roles(session: Session, actor: Actor, username: str, roles: list[str]) -> User:
    """Replace a user's roles. An administrator keeps their own admin role, so that the
    installation is never left without someone who can manage users by their own hand."""
    check(actor, Action.MANAGE_USERS)
    user = get_user(session, username)
    role_set, unknown = parse_roles(roles)
    problems = []
    if unknown:
        problems.append(Problem("roles", f"Unknown roles: {', '.join(unknown)}."))
    elif not role_set:
        problems.append(Problem("roles", "Give at least one role."))
    if user.id == actor.user_id and Role.ADMIN not in role_set:
        problems.append(Problem("roles", "You cannot remove your own administrator role."))
    if problems:
        raise ValidationFailed(problems)
    wanted = sorted(r.value for r in role_set)
    if wanted == user.role_names:
        return user
    before = describe(user)
    user.role_rows = [UserRole(role=r) for r in wanted]
    session.flush()
    audit.record(session, actor, "user.roles", "user", user.id, before=before, after=describe(user))
    return user


def last_sign_ins(session: Session, actor: Actor) -> dict[int, datetime]:
    """When each user last signed in (user id → time), in one query."""
    check(actor, Action.VIEW_USERS)
    rows = session.execute(
        select(LoginSession.user_id, func.max(LoginSession.created_at)).group_by(
            LoginSession.user_id
        )
    ).all()
    return {int(user_id): at for user_id, at in rows}


def authenticate(
    session: Session,
    username: str,
    password: str,
    *,
    client: str,
    max_failures: int,
    window_minutes: int,
    max_client_failures: int = 50,
    break_glass_only: Collection[str] | None = None,
) -> User:
    """Check a password; repeated failures make the next try wait (``auth.throttle``).

    With ``break_glass_only``, only the administrators named there may use a password (the
    installation signs everyone else in through identity providers). Users created by an
    identity provider have no password and are always refused here. Raises NotAuthenticated
    or TooManyAttempts.
    """
    name = username.strip().lower()[:64]
    client = client[:64]
    limits = throttle.Limits(max_failures, timedelta(minutes=window_minutes), max_client_failures)
    throttle.serialize(session, name)
    throttle.refuse_if_waiting(session, name, client, limits)
    user = session.scalar(select(User).where(User.username == name))
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        session.add(LoginFailure(username=name, client=client))
        raise NotAuthenticated("Wrong username or password.")
    session.execute(delete(LoginFailure).where(LoginFailure.username == name))
    if break_glass_only is not None and not (
        user.username in break_glass_only and Role.ADMIN.value in user.role_names
    ):
        # the password was right, so saying why it is refused tells nothing to a guesser
        raise NotAuthenticated(
            "Passwords are kept for break-glass administrators: sign in through your "
            "department's identity provider."
        )
    return user


def failed_sign_ins(session: Session, actor: Actor) -> dict[str, int]:
    """Recent failed sign-ins per username, so an administrator sees whom to unlock."""
    check(actor, Action.MANAGE_USERS)
    rows = session.execute(
        select(LoginFailure.username, func.count()).group_by(LoginFailure.username)
    ).all()
    return {name: int(count) for name, count in rows}


def unlock_user(session: Session, actor: Actor, username: str) -> int:
    """Forget an account's failed sign-ins, so its owner need not wait; returns how many."""
    check(actor, Action.MANAGE_USERS)
    user = get_user(session, username)
    forgotten = session.execute(delete(LoginFailure).where(LoginFailure.username == user.username))
    count = int(forgotten.rowcount or 0)  # type: ignore[attr-defined]
    audit.record(session, actor, "user.unlock", "user", user.id, after={"failures_cleared": count})
    return count
