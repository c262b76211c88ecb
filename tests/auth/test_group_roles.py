"""The group-to-role table: edited on its page and by `accord group-roles`, every change
audited, administrators only."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from accord.auth.models import AuditEntry, GroupRole
from accord.cli import app as cli
from accord.config import IdentityProvider, Settings
from accord.db.engine import transaction
from accord.web.app import create_app
from tests.factories import make_user
from tests.web.helpers import csrf_of, sign_in

PROVIDER = IdentityProvider(
    name="cdw-id",
    label="CDW ID",
    issuer="https://login.example.gov",
    client_id="accord",
    department="CDW",
)


@pytest.fixture
def configured(settings: Settings) -> Settings:
    with_provider = Settings(
        database_url=settings.database_url,
        data_dir=settings.data_dir,
        secret_key=settings.secret_key,
        identity_providers=(PROVIDER,),
        _env_file=None,  # type: ignore[call-arg]
    )
    make_user(with_provider, "root", "admin")
    make_user(with_provider, "sam", "steward")
    return with_provider


@pytest.fixture
def admin(configured: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(configured), raise_server_exceptions=False) as client:
        sign_in(client, "root")
        yield client


def _mappings(settings: Settings) -> list[tuple[str, str, str]]:
    with transaction(settings, read_only=True) as session:
        rows = session.scalars(select(GroupRole).order_by(GroupRole.id))
        return [(m.provider, m.group_name, m.role) for m in rows]


def _audited(settings: Settings, action: str) -> list[tuple[str, object, object]]:
    with transaction(settings, read_only=True) as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == action))
        return [
            (e.actor, json.loads(e.before) if e.before else None, json.loads(e.after or "null"))
            for e in entries
        ]


def test_an_admin_maps_and_unmaps_a_group_on_the_page(
    configured: Settings, admin: TestClient
) -> None:
    assert "Sign-in groups" in admin.get("/admin/users").text
    token = csrf_of(admin, "/admin/group-roles")
    added = admin.post(
        "/admin/group-roles",
        data={
            "provider": "cdw-id",
            "group": "CDW Stewards",
            "role": "steward",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    page = admin.get(added.headers["location"])
    assert "CDW Stewards" in page.text and "next sign-in" in page.text
    assert _mappings(configured) == [("cdw-id", "CDW Stewards", "steward")]
    mapping = {"provider": "cdw-id", "group": "CDW Stewards", "role": "steward"}
    assert _audited(configured, "group_role.add") == [("root", None, mapping)]

    with transaction(configured, read_only=True) as session:
        mapping_id = session.scalar(select(GroupRole.id))
    removed = admin.post(
        f"/admin/group-roles/{mapping_id}/remove",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert removed.status_code == 303 and _mappings(configured) == []
    assert _audited(configured, "group_role.remove") == [("root", mapping, None)]


def test_the_page_lists_every_problem_and_refuses_a_duplicate(
    configured: Settings, admin: TestClient
) -> None:
    token = csrf_of(admin, "/admin/group-roles")
    bad = admin.post(
        "/admin/group-roles",
        data={"provider": "okta", "group": " ", "role": "overlord", "csrf_token": token},
    )
    assert bad.status_code == 422
    for said in ("No identity provider", "group", "Unknown role"):
        assert said in bad.text
    form = {"provider": "cdw-id", "group": "g", "role": "legal", "csrf_token": token}
    assert admin.post("/admin/group-roles", data=form, follow_redirects=False).status_code == 303
    again = admin.post("/admin/group-roles", data=form)
    assert again.status_code == 409 and "already gives" in again.text
    assert _mappings(configured) == [("cdw-id", "g", "legal")]


def test_only_administrators_see_or_change_the_table(configured: Settings) -> None:
    with TestClient(create_app(configured), raise_server_exceptions=False) as steward:
        sign_in(steward, "sam")
        assert steward.get("/admin/group-roles").status_code == 403
        token = csrf_of(steward, "/")
        refused = steward.post(
            "/admin/group-roles",
            data={"provider": "cdw-id", "group": "g", "role": "admin", "csrf_token": token},
        )
        assert refused.status_code == 403
    assert _mappings(configured) == []


@pytest.fixture
def cli_env(configured: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("ACCORD_DATABASE_URL", configured.resolved_database_url)
    monkeypatch.setenv("ACCORD_DATA_DIR", str(configured.data_dir))
    monkeypatch.setenv("ACCORD_SECRET_KEY", configured.key.decode())
    monkeypatch.setenv("ACCORD_IDENTITY_PROVIDERS", json.dumps([PROVIDER.model_dump(mode="json")]))
    monkeypatch.delenv("ACCORD_TOKEN", raising=False)
    monkeypatch.delenv("ACCORD_USER", raising=False)
    return configured


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_the_cli_lists_adds_and_removes(cli_env: Settings) -> None:
    code, out = _run(
        "group-roles", "add", "cdw-id", "CDW Coordinators", "data_coordinator", "--as", "root"
    )
    assert code == 0 and "now gives data_coordinator" in out, out
    code, out = _run("group-roles", "list", "--as", "root")
    assert code == 0 and "CDW Coordinators" in out
    code, out = _run("group-roles", "add", "okta", "x", "steward", "--as", "root")
    assert code == 2 and "No identity provider" in out
    code, out = _run("group-roles", "list", "--as", "sam")
    assert code == 3
    mapping_id = _mappings_ids(cli_env)[0]
    code, out = _run("group-roles", "remove", str(mapping_id), "--as", "sam")
    assert code == 3 and _mappings(cli_env)
    code, out = _run("group-roles", "remove", str(mapping_id), "--as", "root")
    assert code == 0 and _mappings(cli_env) == []
    code, out = _run("group-roles", "remove", str(mapping_id), "--as", "root")
    assert code == 4
    actions = [a for a in ("group_role.add", "group_role.remove") if _audited(cli_env, a)]
    assert actions == ["group_role.add", "group_role.remove"]


def _mappings_ids(settings: Settings) -> list[int]:
    with transaction(settings, read_only=True) as session:
        return list(session.scalars(select(GroupRole.id)))
