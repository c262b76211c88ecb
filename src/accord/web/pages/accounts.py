"""HTML pages. Handlers only translate between forms and services; rules live in services."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.auth.tokens import create_token, end_session, list_tokens, revoke_token, start_session
from accord.auth.users import (
    authenticate,
    get_user,
)
from accord.config import Settings
from accord.db.base import utcnow
from accord.db.engine import transaction
from accord.errors import NotAuthenticated, TooManyAttempts
from accord.home.waiting import what_waits
from accord.web.deps import (
    SESSION_COOKIE,
    DbSession,
    csrf_protect,
    get_settings,
    public,
    require,
)
from accord.web.forms import submit
from accord.web.pages.proposals.elsewhere import home_work
from accord.web.render import render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

NOTICES = {
    "user_created": "The user was created.",
    "user_disabled": "The user was disabled; their sessions and tokens were ended.",
    "user_enabled": "The user was enabled: they can sign in again.",
    "user_unlocked": "The user's failed sign-ins were forgotten: they can sign in at once.",
    "roles_changed": "The user's roles were changed.",
    "password_set": "Your new password is set: sign in with it.",
    "token_revoked": "The token was revoked.",
    "signed_out": "You are signed out.",
    "group_role_added": "The group now gives that role, from its members' next sign-in.",
    "group_role_removed": "The group no longer gives that role, from its members' next sign-in.",
}


def notice(request: Request) -> str | None:
    return NOTICES.get(request.query_params.get("notice", ""))


def safe_next(target: str) -> str:
    """Only same-site paths, so the login page cannot be used to redirect elsewhere."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


@router.get("/health", dependencies=[Depends(public())])
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/login", dependencies=[Depends(public())])
def login_page(request: Request, next: str = "/") -> Response:
    return login_form(request, {"next": safe_next(next), "notice": notice(request)})


def login_form(request: Request, context: dict[str, object], status_code: int = 200) -> Response:
    """The sign-in page: a button per identity provider, and the password form."""
    settings = get_settings(request)
    return render(
        request,
        "accounts/login.html",
        {
            "providers": settings.identity_providers,
            "break_glass_only": settings.password_allowed_only_for is not None,
            **context,
        },
        status_code=status_code,
    )


@router.post("/login", dependencies=[Depends(public())])
def login(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    settings = get_settings(request)
    client = request.client.host if request.client else ""
    error = None
    # Its own transaction: a failed attempt must be kept (for throttling) while we answer 401.
    with transaction(settings) as session:
        try:
            user = authenticate(
                session,
                username,
                password,
                client=client,
                max_failures=settings.login_max_failures,
                window_minutes=settings.login_window_minutes,
                max_client_failures=settings.login_max_client_failures,
                break_glass_only=settings.password_allowed_only_for,
            )
            new = start_session(session, user, hours=settings.session_hours, client=client)
        except (NotAuthenticated, TooManyAttempts) as exc:
            error = exc
    if error is not None:
        return login_form(
            request,
            {"next": safe_next(next), "error": error.message, "username": username},
            status_code=error.status,
        )
    return signed_in(RedirectResponse(safe_next(next), status_code=303), new.cookie, settings)


def signed_in(response: Response, cookie: str, settings: Settings) -> Response:
    """``response`` carrying the new session's cookie."""
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


@router.post("/logout")
def logout(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.VIEW_HOME))],
) -> Response:
    end_session(session, actor, request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login?notice=signed_out", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/")
def home(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.VIEW_HOME))],
) -> Response:
    return render(
        request,
        "accounts/home.html",
        {
            "roles": sorted(r.value for r in actor.roles),
            "waiting": what_waits(session, actor, utcnow().date()),
            **home_work(session, actor),
        },
    )


@router.get("/account/tokens")
def tokens_page(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.MANAGE_OWN_TOKENS))],
) -> Response:
    assert actor.user_id is not None
    return render(
        request,
        "accounts/tokens.html",
        {"tokens": list_tokens(session, actor.user_id), "notice": notice(request)},
    )


@router.post("/account/tokens")
def tokens_create(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.MANAGE_OWN_TOKENS))],
    name: Annotated[str, Form()] = "",
    days: Annotated[int, Form()] = 30,
) -> Response:
    user = get_user(session, actor.username)
    return submit(
        session,
        lambda: create_token(session, actor, user, name=name, days=days),
        done=lambda created: render(
            request,
            "accounts/tokens.html",
            {"tokens": list_tokens(session, user.id), "new_secret": created[1]},
        ),
        again=lambda exc: render(
            request,
            "accounts/tokens.html",
            {"tokens": list_tokens(session, user.id), "problems": exc.listed()},
            status_code=exc.status,
        ),
    )


@router.post("/account/tokens/{token_id}/revoke")
def tokens_revoke(
    token_id: int,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.MANAGE_OWN_TOKENS))],
) -> Response:
    revoke_token(session, actor, token_id)
    return RedirectResponse("/account/tokens?notice=token_revoked", status_code=303)
