"""Names people recognise and labels in words, in a real browser: the catalog list shows
titles beside technical names, a search for "dob" finds birth dates with their labels in
words, and the catalog pages fit a 390 px phone without scrolling sideways."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from accord.catalog.datasets import Inventory, dataset_fields, list_datasets, update_inventory
from accord.catalog.fields import classify_field
from accord.catalog.harvest.runs import harvest_now
from accord.catalog.sources import add_source
from accord.config import Settings
from accord.db.engine import transaction
from tests.browser.test_navigation import go, sign_in
from tests.factories import make_user

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("ACCORD_SCREENSHOTS", "")  # a folder to keep screenshots in


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture
def catalog(settings: Settings, tmp_path: Path) -> dict[str, int]:
    path = tmp_path / "walk2work.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            CREATE TABLE person (person_id INTEGER PRIMARY KEY, birth_date DATE NOT NULL,
                                 race_ethnicity TEXT, county TEXT);
            CREATE TABLE step_count_daily (person_id INTEGER, day DATE, steps INTEGER);
            """
        )
    conn.close()
    engineer = make_user(settings, "eli", "data_engineer")
    coordinator = make_user(settings, "cas", "data_coordinator")
    security = make_user(settings, "sky", "security_officer")
    make_user(settings, "rae", "requester")
    with transaction(settings) as session:
        add_source(session, engineer, settings.key, name="walk2work", location=f"sqlite:///{path}")
    harvest_now(settings, engineer, "walk2work")
    ids: dict[str, int] = {}
    with transaction(settings) as session:
        for row in list_datasets(session, engineer):
            update_inventory(session, coordinator, row.dataset.id, Inventory(program="Walk 2 Work"))
            ids[row.dataset.name] = row.dataset.id
            for f in dataset_fields(session, engineer, row.dataset.id):
                ids[f"{row.dataset.name}.{f.name}"] = f.id
        classify_field(session, security, ids["main.person.birth_date"], ["PII:date"])
        classify_field(
            session, security, ids["main.person.race_ethnicity"], ["SENSITIVE:race_ethnicity"]
        )
    return ids


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide at 390 px"


def test_titles_and_labels_in_words(
    settings: Settings, server: str, page: Page, catalog: dict[str, int]
) -> None:
    sign_in(page, server, "rae")
    page.goto(f"{server}/catalog")
    person = page.get_by_role("row").filter(has_text="main.person")
    expect(person.get_by_role("link", name="Person — Walk 2 Work")).to_be_visible()
    expect(person.locator(".tech-name")).to_have_text("main.person")
    expect(page.get_by_role("link", name="Step count daily — Walk 2 Work")).to_be_visible()
    shot(page, "catalog-list")

    go(page, "Search")
    page.get_by_role("search").get_by_label("Words to look for", exact=False).fill("dob")
    page.get_by_role("search").get_by_role("button", name="Search").click()
    birth = page.locator(".results li").filter(has_text="birth_date")
    expect(birth.get_by_role("link", name="birth_date")).to_be_visible()
    expect(birth).to_contain_text("Person — Walk 2 Work")
    label = birth.locator(".classification")
    expect(label).to_have_text("PII Date tied to a person (except year)")
    expect(label).to_have_attribute("title", "PII:date: Date tied to a person (except year)")
    expect(page.locator("main")).not_to_contain_text("PII:date")
    shot(page, "search-dob")
    found = Axe().run(page).response["violations"]
    assert not found, [f"{v['id']}: {v['help']}" for v in found]

    page.goto(f"{server}/catalog/datasets/{catalog['main.person']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Person — Walk 2 Work")
    fields = page.get_by_role("table").filter(has_text="in source order")
    expect(fields.get_by_role("row").filter(has_text="race_ethnicity")).to_contain_text(
        "Sensitive Race or ethnicity"
    )
    found = Axe().run(page).response["violations"]
    assert not found, [f"{v['id']}: {v['help']}" for v in found]
    shot(page, "dataset")


def test_catalog_pages_fit_a_phone(
    settings: Settings, server: str, page: Page, catalog: dict[str, int]
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, server, "rae")
    pages = {
        "catalog": "/catalog",
        "search": "/catalog/search?q=dob",
        "dataset": f"/catalog/datasets/{catalog['main.person']}",
        "field": f"/catalog/fields/{catalog['main.person.birth_date']}",
        "glossary": "/catalog/glossary",
        "sources": "/catalog/sources",
    }
    for name, path in pages.items():
        page.goto(f"{server}{path}")
        shot(page, f"phone-{name}")
        no_sideways_scroll(page)
