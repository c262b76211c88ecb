"""The public request-data page in a real browser: a coordinator lists a dataset on its page,
and someone who has never signed in finds it from the sign-in page and searches for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from accord.auth.actor import Actor
from accord.catalog.datasets import Inventory, list_datasets, update_inventory
from accord.catalog.fields import classify_field, find_field
from accord.config import Settings
from accord.db.engine import transaction
from tests.browser.test_catalog import clinic_db, harvested  # noqa: F401
from tests.browser.test_navigation import sign_in
from tests.factories import make_user

pytestmark = pytest.mark.browser


def test_a_listed_dataset_reaches_the_public(
    settings: Settings,
    server: str,
    page: Page,
    harvested: Actor,  # noqa: F811
    shots: Path,
) -> None:
    coordinator = make_user(settings, "cas", "data_coordinator")
    security = make_user(settings, "sky", "security_officer")
    with transaction(settings) as session:
        client = next(
            r.dataset
            for r in list_datasets(session, coordinator)
            if r.dataset.name == "main.client"
        )
        update_inventory(session, coordinator, client.id, Inventory(program="Clinics"))
        birth = find_field(session, coordinator, "main.client", "birth_date")
        classify_field(session, security, birth.id, ["PII:date"])
    sign_in(page, server, "cas")
    page.goto(f"{server}/catalog/datasets/{client.id}")
    page.locator("summary", has_text="Edit the inventory attributes").click()
    page.get_by_label("Business description").fill("Everyone the county clinics served.")
    page.get_by_label("List it on the public request-data page").check()
    page.get_by_role("button", name="Save the inventory attributes").click()
    expect(page.get_by_text("The inventory attributes were saved.")).to_be_visible()
    expect(page.get_by_role("link", name="Listed")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    page.goto(f"{server}/login")
    page.get_by_role("link", name="What data can I ask for, and how?").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Request data from")
    listed = page.get_by_role("list").filter(has_text="Everyone the county clinics served.")
    expect(listed).to_contain_text("Holds personal information")  # birth_date, classified
    expect(page.get_by_text("visit", exact=False)).to_have_count(0)  # not listed
    page.get_by_label("Search titles and descriptions").fill("nothing like this")
    page.get_by_role("button", name="Show data").click()
    expect(page.get_by_text("Nothing listed matches this search.")).to_be_visible()
    page.get_by_label("Search titles and descriptions").fill("clinics served")
    page.get_by_label("Program").select_option("Clinics")
    page.get_by_role("button", name="Show data").click()
    expect(page.get_by_text("Everyone the county clinics served.")).to_be_visible()
    page.screenshot(path=str(shots / "request-data.png"), full_page=True)
    violations = Axe().run(page).response["violations"]
    assert not violations, [v["id"] for v in violations]
