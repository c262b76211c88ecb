"""Sign-in through an identity provider (the two redirects) and the group-to-role page."""

from __future__ import annotations

import hmac
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from accord.auth.actor import Actor
from accord.auth.group_roles import add_group_role, list_group_roles, remove_group_role
from accord.auth.permissions import Action
from accord.auth.roles import Role
from accord.auth.sso import ATTEMPT_LIFETIME, begin_sign_in, finish_sign_in
from accord.config import IdentityProvider
from accord.errors import (
    AccordError,
    Conflict,
    NotAuthenticated,
    NotFound,
    Problem,
    ValidationFailed,
)
from accord.web.deps import DbSession, RowId, csrf_protect, get_settings, public, require
from accord.web.forms import submit
from accord.web.pages.accounts import login_form, notice, safe_next, signed_in
from accord.web.render import render

log = logging.getLogger("accord.web.sso")
router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

# Holds the state of the browser's own attempt, so that an answer started in another browser
# (login CSRF: signing the victim in as the attacker) is refused. Lax, not Strict: the
# provider's redirect back is a cross-site top-level navigation.
STATE_COOKIE = "accord_sso_state"
STATE_COOKIE_PATH = "/login/sso"


def _provider(request: Request, name: str) -> IdentityProvider:
    provider = get_settings(request).identity_provider(name)
    if provider is None:
        raise NotFound(f"No identity provider named {name!r}.")
    return provider


def _redirect_uri(request: Request, provider: IdentityProvider) -> str:
    base = get_settings(request).public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return f"{base}/login/sso/{provider.name}/callback"


@router.get("/login/sso/{name}", dependencies=[Depends(public())])
def sso_start(request: Request, name: str, next: str = "/") -> Response:
    """Send the browser to the provider (a link, not a form: CSP's form-action is 'self')."""
    provider = _provider(request, name)
    try:
        authorization = begin_sign_in(
            get_settings(request),
            provider,
            redirect_uri=_redirect_uri(request, provider),
            next_path=safe_next(next),
        )
    except NotAuthenticated as exc:
        return _refused(request, provider, exc)
    response = RedirectResponse(authorization.url, status_code=303)
    response.set_cookie(
        STATE_COOKIE,
        authorization.state,
        max_age=int(ATTEMPT_LIFETIME.total_seconds()),
        path=STATE_COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=get_settings(request).secure_cookies,
    )
    return response


@router.get("/login/sso/{name}/callback", dependencies=[Depends(public())])
def sso_callback(
    request: Request,
    name: str,
    state: str = "",
    code: str = "",
    error: str = "",
) -> Response:
    """The provider's answer: checked, then the person is signed in or told why not."""
    settings = get_settings(request)
    provider = _provider(request, name)
    expected = request.cookies.get(STATE_COOKIE, "")
    try:
        if error and not state:  # some providers send their refusal without the state
            raise NotAuthenticated(f"{provider.label} did not sign you in ({error[:100]}).")
        if not state or not expected or not hmac.compare_digest(state, expected):
            raise NotAuthenticated(
                "This sign-in answer was not started in this browser, or has expired. "
                "Please sign in again."
            )
        done = finish_sign_in(
            settings,
            provider,
            state=state,
            code=code,
            error=error,
            redirect_uri=_redirect_uri(request, provider),
            client=request.client.host if request.client else "",
        )
    except NotAuthenticated as exc:
        response = _refused(request, provider, exc)
    else:
        response = signed_in(
            RedirectResponse(done.next_path, status_code=303), done.session.cookie, settings
        )
    response.delete_cookie(STATE_COOKIE, path=STATE_COOKIE_PATH)
    return response


def _refused(request: Request, provider: IdentityProvider, exc: NotAuthenticated) -> Response:
    log.warning("sign-in through %s refused: %s", provider.name, exc.message)
    return login_form(
        request,
        {"next": "/", "error": exc.message, "refused_by": provider.label},
        status_code=exc.status,
    )


@router.get("/admin/group-roles")
def group_roles_page(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.MAP_GROUPS))],
) -> Response:
    return _group_roles(request, session, actor)


def _group_roles(
    request: Request,
    session: DbSession,
    actor: Actor,
    status: int = 200,
    problems: list[Problem] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "accounts/group_roles.html",
        {
            "mappings": list_group_roles(session, actor),
            "providers": get_settings(request).identity_providers,
            "all_roles": list(Role),
            "notice": notice(request),
            "problems": problems or [],
            "form": form or {},
        },
        status_code=status,
    )


@router.post("/admin/group-roles")
def group_roles_add(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.MAP_GROUPS))],
    provider: Annotated[str, Form()] = "",
    group: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
) -> Response:
    names = [p.name for p in get_settings(request).identity_providers]
    form = {"provider": provider, "group": group, "role": role}
    return submit(
        session,
        lambda: add_group_role(
            session, actor, provider=provider, group=group, role=role, providers=names
        ),
        done=lambda _m: RedirectResponse("/admin/group-roles?notice=group_role_added", 303),
        again=lambda exc: _again(request, session, actor, exc, form),
        refused=(ValidationFailed, Conflict),
    )


def _again(
    request: Request, session: DbSession, actor: Actor, exc: AccordError, form: dict[str, str]
) -> Response:
    return _group_roles(request, session, actor, exc.status, exc.listed(), form)


@router.post("/admin/group-roles/{mapping_id}/remove")
def group_roles_remove(
    mapping_id: RowId,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.MAP_GROUPS))],
) -> Response:
    remove_group_role(session, actor, mapping_id)
    return RedirectResponse("/admin/group-roles?notice=group_role_removed", status_code=303)
