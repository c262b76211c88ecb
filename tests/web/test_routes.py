"""Every route declares its permission; the table and the routes agree."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from accord.auth.permissions import PERMISSIONS, Action
from accord.auth.roles import Role
from accord.config import Settings
from accord.web.app import create_app

# a reset link is its own credential
PUBLIC = {
    "/login",
    "/health",
    "/login/sso/{name}",
    "/login/sso/{name}/callback",
    "/reset/{token}",
    "/download/{token}",  # a download link too
    "/request-data",  # what the department shares, for anyone (accord.catalog.public_listing)
}


def _api_routes(routes: list[object]) -> list[APIRoute]:
    """Flatten the app's routes, looking inside included routers whatever FastAPI wraps them in."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        inner = getattr(route, "original_router", None) or getattr(route, "routes", None)
        if inner is not None:
            found += _api_routes(list(getattr(inner, "routes", inner)))
    return found


def _guards(dependant: Dependant) -> tuple[set[Action], bool]:
    actions: set[Action] = set()
    public = False
    for dep in dependant.dependencies:
        call = dep.call
        if hasattr(call, "accord_action"):
            actions.add(call.accord_action)
        public = public or bool(getattr(call, "accord_public", False))
        sub_actions, sub_public = _guards(dep)
        actions |= sub_actions
        public = public or sub_public
    return actions, public


def _unguarded(app: FastAPI) -> tuple[list[str], list[str]]:
    routes = _api_routes(list(app.routes))
    assert len(routes) > 10
    missing, wrongly_public = [], []
    for route in routes:
        actions, public = _guards(route.dependant)
        if public and route.path not in PUBLIC:
            wrongly_public.append(route.path)
        if not actions and not public:
            missing.append(f"{sorted(route.methods)} {route.path}")
    return missing, wrongly_public


def test_every_route_declares_a_permission(tmp_path: Path) -> None:
    missing, wrongly_public = _unguarded(create_app(Settings(data_dir=tmp_path, _env_file=None)))
    assert not missing, f"routes without a declared permission: {missing}"
    assert not wrongly_public, f"routes marked public but not in the public list: {wrongly_public}"


def test_walk_finds_an_unguarded_route(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, _env_file=None))
    app.add_api_route("/forgotten", lambda: {"x": 1})
    assert _unguarded(app)[0] == ["['GET'] /forgotten"]


def test_every_action_is_granted_to_someone_and_admin_cannot_be_locked_out() -> None:
    assert set(PERMISSIONS) == set(Action)
    assert all(PERMISSIONS[a].roles for a in Action)
    assert Role.ADMIN in PERMISSIONS[Action.MANAGE_USERS].roles


def test_auditor_reads_but_changes_nothing() -> None:
    changing = {Action.MANAGE_USERS, Action.SEED_DEMO}
    for action in changing:
        assert Role.AUDITOR not in PERMISSIONS[action].roles
