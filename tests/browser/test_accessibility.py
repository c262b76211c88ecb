"""Every page a person reaches from the menu, and the De-identify results, pass axe-core's
WCAG checks in a real browser (axe-core as packaged by axe-playwright-python)."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from accord.config import Settings
from tests.browser.test_deid import TINY_COUNTY_CSV
from tests.browser.test_navigation import nav_links, sign_in
from tests.deid.conftest import COUNTY_AGE_CSV
from tests.factories import make_user

pytestmark = pytest.mark.browser


def _violations(page: Page, where: str) -> list[str]:
    found = Axe().run(page).response["violations"]
    return [
        f"{where}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes'][0]['target']}"
        for v in found
    ]


def test_menu_pages_have_no_accessibility_violations(
    settings: Settings, server: str, page: Page
) -> None:
    make_user(settings, "ana", "admin", "steward")
    page.goto(f"{server}/login")
    problems = _violations(page, "sign-in")
    sign_in(page, server, "ana")
    labels = nav_links(page)
    assert len(labels) >= 8
    for label in labels:
        page.get_by_role("navigation", name="Main").get_by_role("link", name=label).click()
        page.wait_for_load_state()
        problems += _violations(page, label)
    assert not problems, "\n".join(problems)


def test_deid_results_have_no_accessibility_violations(
    settings: Settings, server: str, page: Page, tmp_path: Path
) -> None:
    """The form with the description open and a guess filled in, a refusal with its
    proposals, and a release report."""
    make_user(settings, "sam", "steward")
    sign_in(page, server, "sam")
    problems: list[str] = []
    for name, text, expected in (
        ("refused", TINY_COUNTY_CSV, "The table cannot be protected as it is"),
        ("released", COUNTY_AGE_CSV, "The table is ready to publish"),
    ):
        table = tmp_path / f"{name}.csv"
        table.write_text(text, encoding="utf-8")
        page.goto(f"{server}/deid")
        page.locator("summary", has_text="Describe the table here").click()
        page.get_by_label("Table file").set_input_files(table)
        # the page guesses from the file's first rows as it reads them: typing before the
        # guess lands lets the guess overwrite what was typed (a slow machine did)
        expect(page.get_by_label("Count column")).to_have_value("n")
        page.get_by_label("Publication score").fill("14")
        problems += _violations(page, f"form ({name})")
        page.get_by_label("Release").check()
        page.get_by_role("button", name="Run").click(timeout=60_000)
        page.get_by_text(expected).first.wait_for(timeout=60_000)  # as long as the Run click
        problems += _violations(page, name)
    assert not problems, "\n".join(problems)
