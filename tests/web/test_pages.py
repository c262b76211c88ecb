from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.auth.models import AuditEntry, User
from accord.config import Settings
from accord.db.engine import transaction
from tests.factories import PASSWORD, make_user
from tests.web.helpers import csrf_of, sign_in


def _count(settings: Settings, model: type) -> int:
    with transaction(settings) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_health_and_login_page_are_public(app_client: TestClient) -> None:
    assert app_client.get("/health").json() == {"status": "ok"}
    page = app_client.get("/login")
    assert page.status_code == 200 and '<label for="password">' in page.text


def test_pages_redirect_to_login(app_client: TestClient) -> None:
    response = app_client.get("/admin/users", follow_redirects=False)
    assert (
        response.status_code == 303 and response.headers["location"] == "/login?next=/admin/users"
    )


def test_sign_in_sets_secure_cookie_and_shows_role_navigation(
    settings: Settings, app_client: TestClient
) -> None:
    make_user(settings, "ana", "admin")
    token = csrf_of(app_client, "/login")
    response = app_client.post(
        "/login",
        data={"username": "ana", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    cookie = response.headers["set-cookie"]
    assert "accord_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = app_client.get("/")
    assert 'href="/admin/users"' in home.text and 'href="/audit"' in home.text


def test_steward_is_refused_admin_pages(settings: Settings, app_client: TestClient) -> None:
    make_user(settings, "sam", "steward")
    sign_in(app_client, "sam")
    assert 'href="/admin/users"' not in app_client.get("/").text
    refused = app_client.get("/audit")
    assert refused.status_code == 403 and "Not allowed" in refused.text


def test_wrong_password_is_401_and_throttled(settings: Settings, app_client: TestClient) -> None:
    make_user(settings, "ana", "admin")
    token = csrf_of(app_client, "/login")
    codes = [
        app_client.post(
            "/login", data={"username": "ana", "password": "bad-password!", "csrf_token": token}
        ).status_code
        for _ in range(settings.login_max_failures + 1)
    ]
    assert codes[:-1] == [401] * settings.login_max_failures and codes[-1] == 429
    right = app_client.post(
        "/login", data={"username": "ana", "password": PASSWORD, "csrf_token": token}
    )
    assert right.status_code == 429
    assert "ask an administrator to unlock" in right.text

    make_user(settings, "root", "admin")
    sign_in(app_client, "root")
    users = app_client.get("/admin/users").text
    assert "Unlock sign-in for ana (5 failed)" in users
    assert "Unlock sign-in for root" not in users  # only accounts that failed are offered
    unlocked = app_client.post(
        "/admin/users/ana/unlock",
        data={"csrf_token": csrf_of(app_client, "/admin/users")},
        follow_redirects=False,
    )
    assert unlocked.headers["location"] == "/admin/users?notice=user_unlocked#user-ana"
    app_client.cookies.clear()
    token = csrf_of(app_client, "/login")
    again = app_client.post(
        "/login", data={"username": "ana", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert again.status_code == 303


def test_missing_csrf_token_is_refused_and_nothing_written(
    settings: Settings, app_client: TestClient
) -> None:
    make_user(settings, "ana", "admin")
    sign_in(app_client, "ana")
    users, entries = _count(settings, User), _count(settings, AuditEntry)
    form = {
        "username": "eve",
        "full_name": "Eve",
        "password": "long-enough-pw",
        "department": "CDW",
        "roles": ["steward"],
    }
    response = app_client.post("/admin/users", data=form)
    assert response.status_code == 403 and "CSRF" in response.text
    response = app_client.post("/admin/users", data={**form, "csrf_token": "forged"})
    assert response.status_code == 403
    assert (_count(settings, User), _count(settings, AuditEntry)) == (users, entries)
    ok = app_client.post(
        "/admin/users", data={**form, "csrf_token": csrf_of(app_client, "/admin/users")}
    )
    assert ok.status_code == 200 and "The user was created." in ok.text
    assert _count(settings, User) == users + 1


def test_admin_form_errors_are_listed(settings: Settings, app_client: TestClient) -> None:
    make_user(settings, "ana", "admin")
    sign_in(app_client, "ana")
    response = app_client.post(
        "/admin/users",
        data={
            "username": "x",
            "full_name": "",
            "password": "short",
            "department": "CDW",
            "csrf_token": csrf_of(app_client, "/admin/users"),
        },
    )
    assert response.status_code == 422
    assert "Please correct the following" in response.text and "at least 10" in response.text


def test_logout_ends_session(settings: Settings, app_client: TestClient) -> None:
    make_user(settings, "ana", "admin")
    sign_in(app_client, "ana")
    app_client.post("/logout", data={"csrf_token": csrf_of(app_client, "/")})
    assert app_client.get("/", follow_redirects=False).status_code == 303


def test_unknown_route_is_friendly(app_client: TestClient) -> None:
    page = app_client.get("/no/such/page")
    assert (
        page.status_code == 404 and "Page not found" in page.text and "Traceback" not in page.text
    )
    api = app_client.get("/api/v1/nothing")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"


def test_security_headers(app_client: TestClient) -> None:
    headers = app_client.get("/login").headers
    assert (
        headers["x-frame-options"] == "DENY"
        and "default-src 'self'" in headers["content-security-policy"]
        and headers["x-request-id"]
    )


def test_oversized_body_refused_before_parsing(settings: Settings, app_client: TestClient) -> None:
    big = b"x" * (settings.max_request_mb * 2**20 + 1)
    response = app_client.post("/login", content=big,
                               headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413 and "nothing was saved" in response.text


def test_oversized_streamed_body_refused(settings: Settings, app_client: TestClient) -> None:
    chunk = b"x" * 2**20
    stream = (chunk for _ in range(settings.max_request_mb + 2))
    response = app_client.post("/login", content=stream,
                               headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 413


def test_token_page_shows_a_new_secret_once_and_a_refused_form_with_its_problems(
    settings: Settings, app_client: TestClient
) -> None:
    make_user(settings, "sam", "steward")
    sign_in(app_client, "sam")
    token = csrf_of(app_client, "/account/tokens")
    refused = app_client.post(
        "/account/tokens", data={"name": " ", "days": "400", "csrf_token": token}
    )
    assert refused.status_code == 422 and 'role="alert"' in refused.text
    assert "Name the token" in refused.text and "between 1 and 366 days" in refused.text
    assert "No tokens yet." in refused.text
    made = app_client.post(
        "/account/tokens", data={"name": "laptop", "days": "30", "csrf_token": token}
    )
    assert made.status_code == 200 and "shown only now" in made.text
    assert "<td>laptop</td>" in made.text
    assert "shown only now" not in app_client.get("/account/tokens").text
