from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from accord.auth.models import ApiToken
from accord.auth.tokens import create_token
from accord.auth.users import get_user
from accord.config import Settings
from accord.db.base import utcnow
from accord.db.engine import transaction
from tests.factories import make_user
from tests.web.helpers import sign_in


def _token(settings: Settings, username: str, *roles: str) -> str:
    actor = make_user(settings, username, *roles)
    with transaction(settings) as session:
        return create_token(session, actor, get_user(session, username), name="t", days=2)[1]


def test_openapi_document(app_client: TestClient) -> None:
    doc = app_client.get("/openapi.json").json()
    assert doc["openapi"].startswith("3.") and "/api/v1/users" in doc["paths"]
    assert "/login" not in doc["paths"]


def test_bearer_token_and_roles(settings: Settings, app_client: TestClient) -> None:
    secret = _token(settings, "ana", "admin", "auditor")
    headers = {"Authorization": f"Bearer {secret}"}
    assert app_client.get("/api/v1/me", headers=headers).json()["roles"] == ["admin", "auditor"]
    created = app_client.post(
        "/api/v1/users",
        headers=headers,
        json={
            "username": "bo",
            "full_name": "Bo",
            "password": "long-enough-pw",
            "department": "CDW",
            "roles": ["steward"],
        },
    )
    assert created.status_code == 201 and created.json()["roles"] == ["steward"]
    verified = app_client.get("/api/v1/audit/verify", headers=headers).json()
    assert verified["ok"] is True and verified["anchored"] == verified["checked"] > 0
    assert verified["warning"] == ""


def test_api_errors_have_one_shape(settings: Settings, app_client: TestClient) -> None:
    secret = _token(settings, "ana", "admin")
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    assert app_client.get("/api/v1/me").json()["error"]["code"] == "not_authenticated"
    bad = app_client.post("/api/v1/users", headers=headers, content=b"{not json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "malformed_json"
    invalid = app_client.post("/api/v1/users", headers=headers, json={"username": "x"})
    assert invalid.status_code == 422
    assert {p["field"] for p in invalid.json()["error"]["problems"]} >= {"full_name", "password"}
    refused = app_client.post(
        "/api/v1/users",
        headers=headers,
        json={"username": "x", "full_name": "", "password": "s", "department": "CDW", "roles": []},
    )
    assert refused.status_code == 422 and len(refused.json()["error"]["problems"]) == 4


def test_steward_forbidden_on_admin_api(settings: Settings, app_client: TestClient) -> None:
    secret = _token(settings, "sam", "steward")
    response = app_client.get("/api/v1/audit", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"


def test_expired_token_401(settings: Settings, app_client: TestClient) -> None:
    secret = _token(settings, "sam", "steward")
    with transaction(settings) as session:
        for token in session.query(ApiToken):
            token.expires_at = utcnow() - timedelta(minutes=1)
    response = app_client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401 and "expired" in response.json()["error"]["message"]


def test_cookie_session_api_write_needs_csrf_header(
    settings: Settings, app_client: TestClient
) -> None:
    from tests.web.helpers import csrf_of, sign_in

    make_user(settings, "ana", "admin")
    sign_in(app_client, "ana")
    body = {"name": "laptop"}
    assert app_client.post("/api/v1/tokens", json=body).status_code == 403
    token = csrf_of(app_client, "/")
    created = app_client.post("/api/v1/tokens", json=body, headers={"X-CSRF-Token": token})
    assert created.status_code == 201 and created.json()["token"].startswith("acc_")


def test_ids_beyond_what_a_key_can_hold_are_a_clear_422(
    settings: Settings, app_client: TestClient
) -> None:
    headers = {"Authorization": f"Bearer {_token(settings, 'sam', 'steward')}"}
    for path in ("/api/v1/suggestions?dataset_id=", "/api/v1/datasets/"):
        response = app_client.get(f"{path}{2**64}", headers=headers)
        assert response.status_code == 422, path
        assert response.json()["error"]["code"] == "validation_failed"
    sign_in(app_client, "sam")
    assert app_client.get(f"/catalog/suggestions?dataset={2**64}").status_code == 422
    assert app_client.get(f"/catalog/glossary?edit={2**64}").status_code == 422
