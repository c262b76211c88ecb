"""Describing and classifying in a real browser: a coordinator assigns a dataset, a steward
writes definitions guided by the hints and submits them, another steward publishes one and
sends one back; a security officer runs the classifier and decides its suggestions, one at a
time and by field-name pattern after a preview."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accord.catalog.harvest.runs import harvest_now
from accord.catalog.sources import add_source
from accord.config import Settings
from accord.db.engine import transaction
from tests.browser.test_navigation import go, sign_in
from tests.catalog.sample import make_sqlite_source
from tests.factories import make_user

pytestmark = pytest.mark.browser

SSN_DEFINITION = "The client's Social Security number, nine digits, as issued to the client."


@pytest.fixture
def clinic(settings: Settings, tmp_path: Path) -> None:
    """The sample clinic source (client and visit tables), harvested once."""
    engineer = make_user(settings, "eli", "data_engineer")
    with transaction(settings) as session:
        add_source(session, engineer, settings.key, name="clinic",
                   location=make_sqlite_source(tmp_path / "clinic.sqlite"))
    harvest_now(settings, engineer, "clinic")


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()


def test_steward_describes_and_reviewer_decides(
    settings: Settings, server: str, page: Page, clinic: None, shots: Path
) -> None:
    make_user(settings, "cas", "data_coordinator")
    make_user(settings, "sam", "steward")
    make_user(settings, "sue", "steward")

    sign_in(page, server, "cas")
    go(page, "Catalog")
    page.get_by_role("link", name="Client", exact=True).click()
    page.get_by_text("Assign fields to a steward").click()
    page.get_by_label("Steward").select_option("sam")
    expect(page.get_by_label("All 5 current fields")).to_be_checked()
    page.get_by_role("button", name="Assign to the steward").click()
    expect(page.get_by_role("status")).to_contain_text("The fields were assigned to the steward")
    expect(page.get_by_text("steward sam", exact=True)).to_have_count(5)
    sign_out(page)

    sign_in(page, server, "sam")
    go(page, "My work")
    expect(page.get_by_role("heading", name="Fields assigned to you (5)")).to_be_visible()
    page.get_by_role("link", name="ssn", exact=True).click()
    page.get_by_label("Definition").fill("The ssn.")
    page.get_by_role("button", name="Save the description").click()
    checks = page.get_by_role("complementary", name="Hints")
    expect(checks).to_contain_text("It restates the name; say what the element is.")
    page.get_by_label("Definition").fill(SSN_DEFINITION)
    page.get_by_role("button", name="Save the description").click()
    expect(checks).to_contain_text("It follows the guidance")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_role("status")).to_have_text("The description was submitted for review.")
    expect(page.locator(".workflow-line")).to_contain_text("In review")

    page.get_by_role("link", name="Client", exact=True).first.click()
    page.get_by_role("link", name="full_name").click()
    page.get_by_label("Definition").fill("The client's name.")
    page.get_by_role("button", name="Save the description").click()
    expect(page.locator(".workflow-line")).to_contain_text("Steward: sam")
    page.get_by_role("link", name="Client", exact=True).first.click()
    ready = page.locator("form.submit-ready")
    expect(ready.get_by_role("button")).to_have_text("Submit the described field for review")
    expect(ready).to_contain_text("not in review: full_name.")  # ssn is in review already
    page.screenshot(path=str(shots / "dataset-ready-to-submit.png"), full_page=True)
    go(page, "My work")
    page.get_by_label("Submit full_name of main.client for review").check()
    page.get_by_role("button", name="Submit the ticked fields for review").click()
    expect(page.get_by_role("status")).to_have_text("1 description was submitted for review.")
    expect(page.get_by_role("heading", name="Waiting for your review (0)")).to_be_visible()
    sign_out(page)

    sign_in(page, server, "sue")
    go(page, "My work")
    expect(page.get_by_role("heading", name="Waiting for your review (2)")).to_be_visible()
    page.get_by_role("button", name="Publish ssn").click()
    expect(page.get_by_role("status")).to_have_text("The description was published.")
    page.get_by_role("button", name="Send back full_name").click()
    expect(page.get_by_role("alert")).to_contain_text("Say what should change.")
    page.get_by_label("Note on full_name").fill("Say whether it holds the legal name.")
    page.get_by_role("button", name="Send back full_name").click()
    expect(page.get_by_role("status")).to_have_text(
        "The description was sent back to its author with your note.")
    expect(page.get_by_role("heading", name="Waiting for your review (0)")).to_be_visible()
    sign_out(page)

    sign_in(page, server, "sam")
    go(page, "My work")
    # ssn is published, so it leaves the list; full_name comes back with the note.
    expect(page.get_by_role("heading", name="Fields assigned to you (4)")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="full_name")
    expect(row).to_contain_text("Sent back: Say whether it holds the legal name.")
    row.get_by_role("link", name="full_name").click()
    expect(page.get_by_text("Sent back by the reviewer")).to_be_visible()


def test_security_officer_decides_suggestions(
    settings: Settings, server: str, page: Page, clinic: None
) -> None:
    make_user(settings, "sky", "security_officer")
    sign_in(page, server, "sky")
    go(page, "Catalog")
    page.get_by_role("link", name="Client", exact=True).click()
    expect(page.get_by_text("0 of 5 fields are classified")).to_be_visible()

    go(page, "Suggestions")
    expect(page.get_by_text("No open suggestion.")).to_be_visible()
    page.get_by_label("Source", exact=True).select_option("clinic")
    page.get_by_label("Values to sample per column").fill("20")
    page.get_by_role("button", name="Run the classifier").click()
    expect(page.get_by_role("status")).to_contain_text("12 new suggestions")
    expect(page.get_by_role("table").first).to_contain_text("Social Security number")

    page.get_by_role("button", name="Accept PII:ssn for ssn in main.client").click()
    expect(page.get_by_role("status")).to_have_text("1 suggestion was accepted.")

    page.get_by_label("Field names matching").fill("*_date")
    page.get_by_label("Reject").check()
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    expect(preview.get_by_role("table")).to_contain_text(
        "Rejecting would decide 3 suggestions on 2 fields matching *_date")
    expect(preview.get_by_role("rowheader", name="birth_date")).to_be_visible()
    expect(preview.get_by_role("rowheader", name="visit_date")).to_have_count(2)  # PHI and PII
    page.get_by_role("button", name="Reject these 3 suggestions").click()
    expect(page.get_by_role("status")).to_have_text("3 suggestions were rejected.")
    expect(page.get_by_role("table").first).not_to_contain_text("birth_date")

    go(page, "Catalog")
    row = page.get_by_role("row").filter(has_text="main.client")
    expect(row.first).to_contain_text("Classified 20%")
    page.get_by_role("link", name="Client", exact=True).click()
    expect(page.get_by_text("1 of 5 fields are classified")).to_be_visible()
    expect(page.get_by_role("link", name="3 open classification suggestions")).to_be_visible()
    page.get_by_role("link", name="ssn", exact=True).click()
    expect(page.get_by_label("Social Security number")).to_be_checked()
    expect(page.get_by_text("No suggestion is waiting for a decision on this field.")
           ).to_be_visible()
