"""Single sign-on in a real browser: Accord's button, the provider's page, and back signed in."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from accord.auth.group_roles import add_group_role
from accord.config import Settings
from accord.db.engine import transaction
from tests.auth.oidc_provider import Provider, running_provider
from tests.browser.test_accessibility import _violations
from tests.browser.test_navigation import sign_in
from tests.factories import make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def idp(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Provider]:
    """A provider on loopback, configured for the server (which reads the environment)."""
    with running_provider() as provider:
        config = {
            "name": "cdw-id",
            "label": "CDW ID",
            "issuer": provider.url,
            "client_id": "accord",
            "department": "CDW",
        }
        monkeypatch.setenv("ACCORD_IDENTITY_PROVIDERS", json.dumps([config]))
        root = make_user(settings, "root", "admin")
        with transaction(settings) as session:
            add_group_role(
                session,
                root,
                provider="cdw-id",
                group="stewards",
                role="steward",
                providers=["cdw-id"],
            )
        yield provider


def test_sign_in_through_the_provider(idp: Provider, server: str, page: Page) -> None:
    idp.set_user("ana-7f3a", preferred_username="ana", name="Ana López", groups=["stewards"])
    page.goto(f"{server}/catalog")
    expect(page).to_have_url(f"{server}/login?next=/catalog")
    assert not _violations(page, "sign-in with a provider")
    page.get_by_role("link", name="Sign in with CDW ID").click()
    # the provider's own page
    page.get_by_placeholder("sub").fill("ana-7f3a")
    page.get_by_role("button", name="Authorize").click()
    expect(page).to_have_url(f"{server}/catalog")
    page.goto(f"{server}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, ana")
    expect(page.get_by_text("Data steward")).to_be_visible()


def test_the_group_page_is_accessible(idp: Provider, server: str, page: Page) -> None:
    sign_in(page, server, "root")
    page.goto(f"{server}/admin/group-roles")
    expect(page.get_by_role("cell", name="stewards", exact=True)).to_be_visible()
    assert not _violations(page, "sign-in groups")
