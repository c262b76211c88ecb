"""In a real browser, on the demo department: the security officer's home page says how many
suggestions wait and leads to them; the audit log is filtered by a person; an administrator
hands over a password reset link that works. The pages pass axe-core's checks at 1280 and
390 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accord.auth.actor import Actor
from accord.catalog.suggestions import count_open
from accord.config import Settings
from accord.db.engine import transaction
from accord.demo.seed import DEMO_PASSWORD, seed_demo
from tests.browser.test_accessibility import _violations
from tests.browser.test_navigation import sign_in

pytestmark = pytest.mark.browser

WIDTHS = (1280, 390)


@pytest.fixture
def demo(settings: Settings) -> int:
    """The demo department seeded; returns how many suggestions wait for a decision."""
    seed_demo(settings, Actor.system(), events=200)
    with transaction(settings, read_only=True) as session:
        return count_open(session, Actor.system())


def test_security_officer_sees_waiting_suggestions_and_follows_the_link(
    demo: int, server: str, page: Page
) -> None:
    assert demo > 10
    problems: list[str] = []
    sign_in(page, server, "security", DEMO_PASSWORD)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{server}/")
        waiting = page.get_by_role("link", name=f"{demo} classification suggestions to decide")
        expect(waiting).to_be_visible()
        expect(page.get_by_role("heading", name="My work on proposals")).to_be_visible()
        expect(page.get_by_text("What you can do here")).to_have_count(0)
        problems += _violations(page, f"security home at {width}px")
    waiting.click()
    expect(page).to_have_url(re.compile(r"/catalog/suggestions$"))
    assert not problems, "\n".join(problems)


def test_audit_log_filtered_by_a_person_and_a_reset_link_handed_over(
    demo: int, server: str, page: Page
) -> None:
    problems: list[str] = []
    sign_in(page, server, "admin", DEMO_PASSWORD)
    page.goto(f"{server}/audit")
    page.get_by_label("Person").select_option("security")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"/audit\?person=security"))
    rows = page.locator("table tbody tr")
    expect(rows.first).to_be_visible()
    people = page.locator("table tbody td[data-label=Who]").all_inner_texts()
    assert people and set(people) == {"Sky Security"}
    table = page.locator("table tbody")
    expect(table.get_by_text("accepted a classification suggestion").first).to_be_visible()
    expect(table.get_by_text("suggestion.accept")).to_have_count(0)
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        problems += _violations(page, f"audit log at {width}px")
    # a person's name leads to everything they did
    page.goto(f"{server}/audit")
    page.locator("table tbody td[data-label=Who] a").first.click()
    expect(page).to_have_url(re.compile(r"/audit\?person="))

    page.goto(f"{server}/admin/users")
    page.get_by_role("button", name="Reset password of steward").click()
    link = page.locator("#reset-link code").inner_text()
    assert link.startswith(f"{server}/reset/")
    problems += _violations(page, "users with a reset link")
    page.get_by_role("button", name="Sign out").click()
    page.goto(link)
    page.get_by_label("New password").fill("steward-new-pass")
    page.get_by_label("The same password again").fill("steward-new-pass")
    page.get_by_role("button", name="Set the password").click()
    expect(page.get_by_text("Your new password is set")).to_be_visible()
    sign_in(page, server, "steward", "steward-new-pass")
    expect(page.get_by_role("heading", name="What waits for you")).to_be_visible()
    assert not problems, "\n".join(problems)
