"""The users page: add people, change their roles, disable and re-enable them, unlock their
sign-in, and hand them a password reset link; and the public page that link opens."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.auth.actor import Actor
from accord.auth.password_reset import ResetLink, issue_reset, reset_password, user_of_reset
from accord.auth.permissions import Action, can
from accord.auth.roles import Role
from accord.auth.users import (
    create_user,
    disable_user,
    enable_user,
    failed_sign_ins,
    last_sign_ins,
    list_departments,
    list_users,
    set_roles,
    unlock_user,
)
from accord.errors import NotAuthenticated, Problem, ValidationFailed
from accord.web.deps import DbSession, csrf_protect, public, require
from accord.web.forms import submit
from accord.web.pages.accounts import notice
from accord.web.render import render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
Manager = Annotated[Actor, Depends(require(Action.MANAGE_USERS))]


def _done(notice_key: str, username: str) -> Response:
    return RedirectResponse(f"/admin/users?notice={notice_key}#user-{username}", status_code=303)


@router.get("/admin/users")
def users_page(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.VIEW_USERS))],
) -> Response:
    return _users(request, session, actor)


def _users(
    request: Request,
    session: DbSession,
    actor: Actor,
    status: int = 200,
    problems: list[Problem] | None = None,
    form: Mapping[str, object] | None = None,
    reset: ResetLink | None = None,
    editing: str = "",
) -> Response:
    return render(
        request,
        "accounts/users.html",
        {
            "users": list_users(session, actor),
            "last_sign_in": last_sign_ins(session, actor),
            "failures": failed_sign_ins(session, actor) if can(actor, Action.MANAGE_USERS) else {},
            "departments": list_departments(session),
            "all_roles": list(Role),
            "notice": notice(request),
            "problems": problems or [],
            "form": form or {},
            "reset": reset,
            "reset_url": f"{str(request.base_url).rstrip('/')}{reset.path}" if reset else "",
            "editing": editing,
        },
        status_code=status,
    )


@router.post("/admin/users")
def users_create(
    request: Request,
    session: DbSession,
    actor: Manager,
    username: Annotated[str, Form()] = "",
    full_name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    department: Annotated[str, Form()] = "",
    roles: Annotated[list[str] | None, Form()] = None,
) -> Response:
    form = {
        "username": username,
        "full_name": full_name,
        "email": email,
        "department": department,
        "roles": roles or [],
    }
    return submit(
        session,
        lambda: create_user(
            session,
            actor,
            username=username,
            full_name=full_name,
            email=email,
            password=password,
            department_code=department,
            roles=roles or [],
        ),
        done=lambda user: _done("user_created", user.username),
        again=lambda exc: _users(request, session, actor, exc.status, exc.listed(), form),
    )


@router.post("/admin/users/{username}/roles")
def users_roles(
    request: Request,
    username: str,
    session: DbSession,
    actor: Manager,
    roles: Annotated[list[str] | None, Form()] = None,
) -> Response:
    return submit(
        session,
        lambda: set_roles(session, actor, username, roles or []),
        done=lambda user: _done("roles_changed", user.username),
        again=lambda exc: _users(
            request, session, actor, exc.status, exc.listed(), editing=username
        ),
    )


@router.post("/admin/users/{username}/disable")
def users_disable(request: Request, username: str, session: DbSession, actor: Manager) -> Response:
    return submit(
        session,
        lambda: disable_user(session, actor, username),
        done=lambda user: _done("user_disabled", user.username),
        again=lambda exc: _users(
            request, session, actor, exc.status, exc.listed(), editing=username
        ),
    )


@router.post("/admin/users/{username}/enable")
def users_enable(username: str, session: DbSession, actor: Manager) -> Response:
    user = enable_user(session, actor, username)
    return _done("user_enabled", user.username)


@router.post("/admin/users/{username}/unlock")
def users_unlock(username: str, session: DbSession, actor: Manager) -> Response:
    unlock_user(session, actor, username)
    return _done("user_unlocked", username)


@router.post("/admin/users/{username}/reset")
def users_reset(request: Request, username: str, session: DbSession, actor: Manager) -> Response:
    """Shows the link once, on this page; it is not kept anywhere to show again."""
    link = issue_reset(session, actor, username)
    return _users(request, session, actor, reset=link)


@router.get("/reset/{token}", dependencies=[Depends(public())])
def reset_page(request: Request, token: str, session: DbSession) -> Response:
    try:
        user = user_of_reset(session, token)
    except NotAuthenticated as exc:
        return render(request, "accounts/reset.html", {"error": exc.message}, exc.status)
    return render(request, "accounts/reset.html", {"token": token, "username": user.username})


@router.post("/reset/{token}", dependencies=[Depends(public())])
def reset_submit(
    request: Request,
    token: str,
    session: DbSession,
    password: Annotated[str, Form()] = "",
    again: Annotated[str, Form()] = "",
) -> Response:
    def change() -> object:
        if password != again:
            raise ValidationFailed([Problem("again", "The two passwords differ.")])
        return reset_password(session, token, password)

    try:
        user = user_of_reset(session, token)
    except NotAuthenticated as exc:
        return render(request, "accounts/reset.html", {"error": exc.message}, exc.status)
    return submit(
        session,
        change,
        done=lambda _: RedirectResponse("/login?notice=password_set", status_code=303),
        again=lambda exc: render(
            request,
            "accounts/reset.html",
            {"token": token, "username": user.username, "problems": exc.listed()},
            exc.status,
        ),
    )
