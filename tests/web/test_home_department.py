"""The catalog is the home department's: people of other departments read what it describes
and ask for data through proposals, but change nothing in it and decide none of its
suggestions (issue 15, item 5). Before, a security officer of the department asking for data
could classify the provider's fields and decide its suggestions."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.auth.actor import Actor
from accord.auth.models import User
from accord.auth.permissions import PERMISSIONS, Action, can, check
from accord.auth.roles import Role
from accord.auth.tokens import create_token
from accord.auth.users import get_user
from accord.catalog.datasets import register_dataset
from accord.config import Settings
from accord.db.engine import transaction
from accord.errors import PermissionDenied
from tests.factories import make_user
from tests.web.helpers import csrf_of, sign_in

REFUSAL = "Only the department whose catalog this is may do this"


# Written from issue 15 item 5, not read from the permission table: the catalog's own work,
# and the installation's administration and audit log.
HOME_ONLY_ACTIONS = {
    "users.view",
    "users.manage",
    "users.groups.map",
    "audit.view",
    "audit.verify",
    "demo.seed",
    "catalog.sources.manage",
    "catalog.sources.connections",
    "catalog.harvest",
    "catalog.harvests.view",
    "catalog.drafts.view",
    "catalog.inventory.edit",
    "catalog.fields.describe",
    "catalog.fields.classify",
    "catalog.statutes.cite",
    "catalog.glossary.edit",
    "catalog.write_back",
    "catalog.stewards.assign",
    "catalog.descriptions.review",
    "catalog.suggestions.run",
    "catalog.suggestions.view",
}


def test_exactly_the_catalog_s_own_work_is_kept_to_the_home_department() -> None:
    # with every role, another department is refused these and nothing else (reading the
    # catalog, proposals, fulfillment for its own agreements, de-identifying its own tables)
    other = Actor(2, "other", frozenset(Role), department_id=2, home=False)
    assert {a.value for a in Action if not can(other, a)} == HOME_ONLY_ACTIONS


@pytest.mark.parametrize("action", sorted(HOME_ONLY_ACTIONS))
def test_only_the_home_department_changes_the_catalog(action: str) -> None:
    roles = PERMISSIONS[Action(action)].roles
    home = Actor(1, "home", roles, department_id=1)
    other = Actor(2, "other", roles, department_id=2, home=False)
    assert can(home, Action(action)) and not can(other, Action(action))
    with pytest.raises(PermissionDenied, match=REFUSAL):
        check(other, Action(action))


def test_the_first_department_set_up_is_home(settings: Settings) -> None:
    home = make_user(settings, "sky", "security_officer")  # CDW, set up first
    other = make_user(settings, "kevin", "security_officer", department="DCS")
    assert home.home and not other.home
    assert can(home, Action.CLASSIFY_FIELDS) and not can(other, Action.CLASSIFY_FIELDS)


def _bearer(settings: Settings, username: str) -> dict[str, str]:
    with transaction(settings) as session:
        user = get_user(session, username)
        secret = create_token(session, Actor.system(), user, name="t", days=1)[1]
    return {"Authorization": f"Bearer {secret}"}


def test_a_coordinator_of_another_department_cannot_change_a_dataset_over_the_api(
    settings: Settings, app_client: TestClient
) -> None:
    coordinator = make_user(settings, "cas", "data_coordinator")
    make_user(settings, "marisol", "data_coordinator", department="DCS")
    with transaction(settings) as session:
        dataset = register_dataset(session, coordinator, name="Visits", kind="report").id
    path = f"/api/v1/datasets/{dataset}"
    ours = app_client.patch(path, json={"description": "ours"}, headers=_bearer(settings, "cas"))
    assert ours.status_code == 200
    other = _bearer(settings, "marisol")
    answer = app_client.patch(path, json={"description": "theirs"}, headers=other)
    assert answer.status_code == 403 and REFUSAL in answer.json()["error"]["message"]
    assert app_client.get(path, headers=other).json()["description"] == "ours"


def test_a_security_officer_of_another_department_decides_no_suggestion(
    settings: Settings, app_client: TestClient
) -> None:
    make_user(settings, "sky", "security_officer")
    make_user(settings, "kevin", "security_officer", department="DCS")
    sign_in(app_client, "kevin")
    assert app_client.get("/catalog").status_code == 200  # the catalog is read by everyone
    # the classifier's open proposals are the home department's working notes
    for path in ("/catalog/suggestions", "/api/v1/suggestions"):
        refused = app_client.get(path)
        assert refused.status_code == 403 and REFUSAL in refused.text, path
    token = csrf_of(app_client, "/catalog")
    answer = app_client.post(
        "/catalog/suggestions/decide",
        data={"single": "1", "decision": "accept", "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 403 and REFUSAL in answer.text


def test_another_department_s_administrator_reads_no_audit_log_and_manages_no_one(
    settings: Settings, app_client: TestClient
) -> None:
    make_user(settings, "ada", "admin", "auditor")
    make_user(settings, "ola", "admin", "auditor", department="DCS")
    for username, allowed in (("ada", True), ("ola", False)):
        headers = _bearer(settings, username)
        for path in ("/api/v1/users", "/api/v1/audit/verify"):
            answer = app_client.get(path, headers=headers)
            assert (answer.status_code == 200) is allowed, (username, path, answer.status_code)
        if not allowed:
            made = app_client.post(
                "/api/v1/users",
                json={"username": "mole", "full_name": "Mole", "password": "x" * 16,
                      "department": "CDW", "roles": ["admin"]},
                headers=headers,
            )
            assert made.status_code == 403 and REFUSAL in made.json()["error"]["message"]
        app_client.cookies.clear()
        sign_in(app_client, username)
        for path in ("/audit", "/admin/users"):
            page = app_client.get(path)
            assert (page.status_code == 200) is allowed, (username, path)
    with transaction(settings) as session:
        assert session.scalar(select(User).where(User.username == "mole")) is None
