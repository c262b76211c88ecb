"""The home page's waiting work, the users page's tools and the audit log, through the web."""

from __future__ import annotations

import csv
import io
import re

from fastapi.testclient import TestClient

from accord.auth.tokens import create_token
from accord.auth.users import get_user
from accord.config import Settings
from accord.db.engine import transaction
from tests.factories import make_user
from tests.web.helpers import csrf_of, sign_in


def _post(client: TestClient, path: str, data: dict[str, object] | None = None) -> object:
    token = csrf_of(client, "/admin/users")
    return client.post(path, data={**(data or {}), "csrf_token": token}, follow_redirects=False)


def test_home_says_what_waits_and_what_to_do_when_nothing_does(
    settings: Settings, app_client: TestClient
) -> None:
    sam = make_user(settings, "sam", "steward")
    with transaction(settings) as session:
        create_token(session, sam, get_user(session, "sam"), name="nightly", days=3)
    sign_in(app_client, "sam")
    home = app_client.get("/").text
    assert "What waits for you" in home and "What you can do here" not in home
    assert "No field is assigned to you" in home  # the empty state says what to do next
    assert '<a href="/catalog/my-work">Describe your fields</a>' in home
    assert re.search(r'<a href="/account/tokens"><strong>1</strong> API token of yours', home)
    assert "nightly: expires" in home
    assert 'data-kind="audit"' not in home and 'data-kind="sign_ins"' not in home


def test_admin_changes_roles_but_never_their_own_admin_role(
    settings: Settings, app_client: TestClient
) -> None:
    make_user(settings, "ana", "admin")
    make_user(settings, "bo", "requester")
    sign_in(app_client, "ana")
    changed = _post(app_client, "/admin/users/bo/roles", {"roles": ["steward", "legal"]})
    assert changed.status_code == 303  # type: ignore[attr-defined]
    page = app_client.get(changed.headers["location"]).text  # type: ignore[attr-defined]
    assert "The user&#39;s roles were changed." in page or "roles were changed" in page
    with transaction(settings) as session:
        assert get_user(session, "bo").role_names == ["legal", "steward"]
    refused = _post(app_client, "/admin/users/ana/roles", {"roles": ["auditor"]})
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "cannot remove your own administrator role" in refused.text  # type: ignore[attr-defined]
    forged = app_client.post("/admin/users/bo/roles", data={"roles": ["admin"]})
    assert forged.status_code == 403 and "CSRF" in forged.text
    with transaction(settings) as session:
        assert get_user(session, "bo").role_names == ["legal", "steward"]


def test_only_an_admin_changes_users(settings: Settings, app_client: TestClient) -> None:
    make_user(settings, "cy", "data_coordinator")  # may read the users page, not change it
    make_user(settings, "bo", "requester")
    sign_in(app_client, "cy")
    page = app_client.get("/admin/users").text
    assert "Change roles" not in page and "Last sign-in" in page
    for action in ("roles", "disable", "enable", "reset"):
        assert _post(app_client, f"/admin/users/bo/{action}").status_code == 403  # type: ignore[attr-defined]


def test_disable_then_enable_and_never_oneself(settings: Settings, app_client: TestClient) -> None:
    make_user(settings, "ana", "admin")
    make_user(settings, "bo", "requester")
    sign_in(app_client, "ana")
    assert _post(app_client, "/admin/users/ana/disable").status_code == 422  # type: ignore[attr-defined]
    _post(app_client, "/admin/users/bo/disable")
    assert "Re-enable bo" in app_client.get("/admin/users").text
    _post(app_client, "/admin/users/bo/enable")
    with transaction(settings) as session:
        assert get_user(session, "bo").is_active


def test_reset_link_is_shown_once_and_sets_a_password_once(
    settings: Settings, app_client: TestClient
) -> None:
    make_user(settings, "ana", "admin")
    make_user(settings, "bo", "requester")
    sign_in(app_client, "ana")
    shown = _post(app_client, "/admin/users/bo/reset")
    assert shown.status_code == 200  # type: ignore[attr-defined]
    match = re.search(r"http://testserver(/reset/[0-9a-f.]+)", shown.text)  # type: ignore[attr-defined]
    assert match, "the link is shown to hand over"
    link = match.group(1)
    assert link not in app_client.get("/admin/users").text  # not kept to show again

    app_client.cookies.clear()
    form = app_client.get(link)
    assert form.status_code == 200 and "For the account <strong>bo</strong>" in form.text
    token = csrf_of(app_client, link)
    differ = app_client.post(
        link, data={"password": "new-password-1", "again": "new-password-2", "csrf_token": token}
    )
    assert differ.status_code == 422 and "The two passwords differ" in differ.text
    done = app_client.post(
        link,
        data={"password": "new-password-1", "again": "new-password-1", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.headers["location"] == "/login?notice=password_set"
    sign_in(app_client, "bo", "new-password-1")
    app_client.cookies.clear()
    again = app_client.get(link)
    assert again.status_code == 401 and "not valid" in again.text


def test_audit_log_names_filters_pages_and_exports(
    settings: Settings, app_client: TestClient
) -> None:
    make_user(settings, "ana", "admin")
    make_user(settings, "bo", "requester")
    sign_in(app_client, "ana")
    _post(app_client, "/admin/users/bo/disable")
    page = app_client.get("/audit?person=ana").text
    rows = page.split("<tbody>")[1]
    assert "disabled a user" in rows and "user.disable" not in rows
    assert ">Bo (bo)</a>" in rows and ">Ana</a>" in rows
    assert "signed in" in rows and "created a user" not in rows  # the system created them
    assert 'href="/audit.csv?person=ana"' in page
    exported = app_client.get("/audit.csv?person=ana&action=user.disable")
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["person"], r["in_words"], r["object"]) for r in rows] == [
        ("ana", "disabled a user", "Bo (bo)")
    ]
    empty = app_client.get("/audit?person=bo&since=2001-01-01&until=2001-01-02").text
    assert "No entry matches these filters" in empty
    assert app_client.get("/audit?since=not-a-day").status_code == 422
    # what the filter form sends with its dates left empty
    assert app_client.get("/audit?person=ana&since=&until=").status_code == 200
