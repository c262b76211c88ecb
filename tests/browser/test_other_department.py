"""In a real browser, on the demo: the partner department's security officer reads the
Department of Wellness's catalog as published (issue 15, item 5). No suggestions, no edit or
classify controls, no draft definition, no source location or harvests; the home
department's security officer sees all of them on the same pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from accord.auth.actor import Actor
from accord.catalog.describing import DescriptionState
from accord.catalog.models import CatalogField, FieldWork, PublishedDescription, Source
from accord.config import Settings
from accord.db.engine import transaction
from accord.demo.seed import DEMO_PASSWORD, seed_demo
from accord.demo.workflow import REVIEWED_PROGRAM
from tests.browser.test_accessibility import _violations
from tests.browser.test_navigation import nav_links, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def demo(settings: Settings) -> dict[str, object]:
    """The demo seeded; a field with a published definition and one whose definition is a
    draft in review, with their texts."""
    seed_demo(settings, Actor.system(), events=20)
    with transaction(settings, read_only=True) as session:
        published = session.execute(
            select(CatalogField.id, PublishedDescription.definition)
            .join(PublishedDescription)
            .order_by(CatalogField.id)
            .limit(1)
        ).one()
        draft = session.execute(
            select(CatalogField.id, CatalogField.definition)
            .join(FieldWork)
            .where(FieldWork.status == DescriptionState.IN_REVIEW.value)
            .order_by(CatalogField.id)
            .limit(1)
        ).one()
        source = session.scalar(select(Source.name).where(Source.name == REVIEWED_PROGRAM))
    return {"published": tuple(published), "draft": tuple(draft), "source": source}


def test_another_department_reads_the_catalog_as_published(
    demo: dict[str, object], server: str, page: Page, shots: Path
) -> None:
    (published_id, published_text), (draft_id, draft_text) = demo["published"], demo["draft"]
    problems: list[str] = []
    for username, home in (("security", True), ("dcs.security", False)):
        page.context.clear_cookies()
        sign_in(page, server, username, DEMO_PASSWORD)
        assert ("Suggestions" in nav_links(page)) is home, username

        page.goto(f"{server}/catalog/fields/{published_id}")
        expect(page.get_by_text(str(published_text)).first).to_be_visible()
        expect(page.get_by_role("button", name="Save the classification")).to_have_count(
            1 if home else 0
        )

        page.goto(f"{server}/catalog/fields/{draft_id}")
        expect(page.get_by_text(str(draft_text))).to_have_count(1 if home else 0)
        expect(page.get_by_text("Comment in the source")).to_have_count(1 if home else 0)
        expect(page.get_by_role("heading", name="Review of the description")).to_have_count(
            1 if home else 0
        )
        if not home:
            expect(page.get_by_text("None published yet")).to_be_visible()
        page.screenshot(path=shots / f"field-draft-{username}.png", full_page=True)
        problems += _violations(page, f"field page as {username}")

        page.goto(f"{server}/catalog/sources/{demo['source']}")
        expect(page.get_by_role("heading", name="Harvests")).to_have_count(1 if home else 0)
        page.screenshot(path=shots / f"source-{username}.png", full_page=True)
    assert not problems, "\n".join(problems)
