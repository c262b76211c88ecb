"""The catalog in a real browser: harvesting a source, editing a definition, exporting a data
dictionary, and searching, as a steward or engineer who is not a programmer would."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from accord.auth.actor import Actor
from accord.catalog.datasets import Inventory, list_datasets, update_inventory
from accord.catalog.harvest.model import HarvestCancelled
from accord.catalog.harvest.runs import harvest_now, start_harvest
from accord.catalog.sources import add_source
from accord.config import Settings
from accord.db.engine import transaction
from accord.jobs.worker import claim_next, run_job
from tests.browser.test_navigation import go, sign_in
from tests.factories import make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def clinic_db(tmp_path: Path) -> Path:
    path = tmp_path / "clinic.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            CREATE TABLE client (id INTEGER PRIMARY KEY, birth_date DATE NOT NULL, county TEXT);
            CREATE TABLE visit (id INTEGER PRIMARY KEY,
                                client_id INTEGER REFERENCES client(id), diagnosis TEXT);
            """
        )
    conn.close()
    return path


@pytest.fixture
def harvested(settings: Settings, clinic_db: Path) -> Actor:
    """The clinic source, harvested once; returns the engineer who did it."""
    engineer = make_user(settings, "eli", "data_engineer")
    with transaction(settings) as session:
        add_source(session, engineer, settings.key, name="clinic", location=f"sqlite:///{clinic_db}")
    harvest_now(settings, engineer, "clinic")
    return engineer


def test_harvesting_a_source(
    settings: Settings, server: str, page: Page, clinic_db: Path
) -> None:
    make_user(settings, "eli", "data_engineer")
    sign_in(page, server, "eli")
    go(page, "Sources")
    page.get_by_label("Name").fill("clinic")
    page.get_by_label("Location").fill(f"sqlite:///{clinic_db}")
    page.get_by_role("button", name="Add the source").click()
    expect(page.get_by_role("status")).to_contain_text("The source was added.")
    expect(page.get_by_role("cell", name="Not harvested yet.")).to_be_visible()

    page.get_by_role("button", name="Harvest clinic now").click()
    expect(page.get_by_role("heading", name="Harvest of clinic")).to_be_visible()
    # The page follows the run (polled by catalog.js) and shows the report when it ends.
    expect(page.get_by_role("status")).to_contain_text("Finished")
    first = page.get_by_text("First harvest of this source: 2 datasets and 6 fields")
    expect(first).to_be_visible()
    expect(page.locator("progress")).to_have_attribute("value", "2")

    with sqlite3.connect(clinic_db) as conn:
        conn.execute("ALTER TABLE visit ADD COLUMN language TEXT")
    conn.close()
    page.get_by_role("link", name="See the datasets of clinic").click()
    page.get_by_role("button", name="Harvest clinic now").click()
    expect(page.get_by_role("heading", name="Fields added")).to_be_visible()
    expect(page.get_by_text("main.visit.language")).to_be_visible()
    page.get_by_role("link", name="See the datasets of clinic").click()
    page.get_by_role("link", name="Visit", exact=True).click()
    expect(page.get_by_text("added — review")).to_be_visible()


def test_editing_a_definition(
    settings: Settings, server: str, page: Page, harvested: Actor
) -> None:
    make_user(settings, "sam", "steward")
    sign_in(page, server, "sam")
    go(page, "Catalog")
    page.get_by_role("link", name="Client", exact=True).click()
    expect(page.get_by_role("heading", name="Client", level=1)).to_be_visible()
    page.get_by_role("link", name="birth_date").click()
    expect(page.get_by_role("button", name="Save the classification")).to_have_count(0)

    page.get_by_label("Label").fill("Date of birth")
    page.get_by_label("Definition").fill("The day the client was born, as the client reported it.")
    page.get_by_label("Valid values").fill("1900-01-01 = Unknown")
    page.get_by_role("button", name="Save the description").click()
    expect(page.get_by_role("status")).to_have_text("The description was saved.")
    expect(page.get_by_label("Definition")).to_have_value(
        "The day the client was born, as the client reported it.")

    page.get_by_label("Valid values").fill("A = One\nA = Two")
    page.get_by_role("button", name="Save the description").click()
    expect(page.get_by_role("alert")).to_contain_text("A code is listed twice.")

    page.get_by_role("link", name="Client", exact=True).first.click()
    expect(page.get_by_role("cell", name="The day the client was born, as the client reported it.")
           ).to_be_visible()


def test_exporting_a_dictionary(
    settings: Settings, server: str, page: Page, harvested: Actor, tmp_path: Path
) -> None:
    make_user(settings, "rae", "requester")
    sign_in(page, server, "rae")
    go(page, "Catalog")
    page.get_by_role("link", name="Visit", exact=True).click()
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = info.value
    assert download.suggested_filename == "main.visit.csv"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = saved.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("dataset,name,label,data_type")
    assert "main.visit,diagnosis" in text
    with page.expect_download() as info:
        page.get_by_role("link", name="Frictionless Table Schema (JSON)").click()
    assert info.value.suggested_filename == "main.visit.schema.json"


def test_searching(settings: Settings, server: str, page: Page, harvested: Actor) -> None:
    coordinator = make_user(settings, "cas", "data_coordinator")
    with transaction(settings) as session:
        rows = {r.dataset.name: r.dataset.id for r in list_datasets(session, coordinator)}
        update_inventory(session, coordinator, rows["main.visit"], Inventory(
            title="Clinic visits", program="Medi-Cal",
            description="Every visit of an enrolled client to a county clinic."))
        update_inventory(session, coordinator, rows["main.client"],
                         Inventory(program="CalFresh"))
    sign_in(page, server, "cas")
    go(page, "Search")
    box = page.get_by_label("Words to look for in datasets, fields, definitions and glossary terms")
    box.fill("clinic visit")
    box.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("for “clinic visit”")
    expect(page.get_by_role("heading", name="Datasets (1)")).to_be_visible()

    page.get_by_label("Program").fill("CalFresh")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status")).to_contain_text("0 results")

    page.get_by_label("Program").fill("")
    page.get_by_label("Show").select_option("dataset")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Clinic visits").click()
    expect(page.get_by_role("heading", name="Clinic visits", level=1)).to_be_visible()


@pytest.mark.no_worker  # this test is the worker, so it can look at a run mid-way
def test_harvest_page_follows_a_run_and_cancels_it(
    settings: Settings, server: str, page: Page, clinic_db: Path
) -> None:
    engineer = make_user(settings, "eli", "data_engineer")
    with transaction(settings) as session:
        add_source(session, engineer, settings.key, name="clinic", location=f"sqlite:///{clinic_db}")
        run_id = start_harvest(session, engineer, "clinic").id
    job_id = claim_next(settings, "test-worker:1")
    assert job_id is not None
    sign_in(page, server, "eli")
    page.goto(f"{server}/catalog/harvests/{run_id}")
    expect(page.get_by_role("status")).to_contain_text("Running")
    expect(page.get_by_text("Refresh this page")).to_be_hidden()  # catalog.js follows the run
    page.get_by_role("button", name="Cancel the harvest").click()
    expect(page.get_by_text("Cancelling: the harvest stops at its next step")).to_be_visible()
    expect(page.get_by_role("status").last).to_contain_text("Cancel requested")
    with pytest.raises(HarvestCancelled):  # the worker sees the request at its next step
        run_job(settings, job_id, "test-worker:1", reraise=True)
    expect(page.locator("#harvest-status")).to_contain_text(
        "Cancelled; the catalog was not changed.")
    expect(page.get_by_role("status")).to_have_count(1)  # the reload dropped the notice

    with transaction(settings) as session:
        run_id = start_harvest(session, engineer, "clinic").id
    page.goto(f"{server}/catalog/harvests/{run_id}")
    expect(page.get_by_role("status")).to_contain_text("Waiting for a worker")
    job_id = claim_next(settings, "test-worker:1")
    assert job_id is not None
    expect(page.get_by_role("status")).to_contain_text("Running")  # followed without a reload
    run_job(settings, job_id, "test-worker:1")
    expect(page.get_by_role("status")).to_contain_text("Finished")  # without a manual reload
    expect(page.get_by_role("heading", name="What the harvest found")).to_be_visible()


def test_the_catalog_list_filters_by_program_and_sorts(
    settings: Settings, server: str, page: Page, harvested: Actor, shots: Path
) -> None:
    coordinator = make_user(settings, "cas", "data_coordinator")
    # by program, Visit comes first; by title (the default order), Client
    programs = {"main.visit": "Clinic Care", "main.client": "Medi-Cal"}
    with transaction(settings) as session:
        for row in list_datasets(session, harvested):
            update_inventory(session, coordinator, row.dataset.id,
                             Inventory(program=programs[row.dataset.name]))
    sign_in(page, server, "eli")
    go(page, "Catalog")
    page.get_by_label("Program").select_option("Clinic Care")
    page.get_by_role("button", name="Show datasets").click()
    expect(page).to_have_url(re.compile(r"program=Clinic\+Care"))  # bookmarkable
    rows = page.locator("tbody th[scope=row]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Visit — Clinic Care")
    assert not _violations(page)

    # the column headers sort and keep the search; a second click turns the order round
    page.get_by_label("Program").select_option("")
    search = page.get_by_label("Search titles, names and descriptions")
    search.fill("main")
    page.get_by_role("button", name="Show datasets").click()
    expect(rows).to_have_count(2)
    title, program = (page.get_by_role("columnheader", name=n) for n in ("Dataset", "Program"))
    expect(title).to_have_attribute("aria-sort", "ascending")
    assert program.get_attribute("aria-sort") is None
    program.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"q=main&sort=program&order=asc$"))
    expect(program).to_have_attribute("aria-sort", "ascending")
    expect(rows.nth(0)).to_contain_text("Visit")
    expect(rows.nth(1)).to_contain_text("Client")
    assert title.get_attribute("aria-sort") is None
    expect(program).to_contain_text("▲")
    expect(search).to_have_value("main")
    program.get_by_role("link").click()
    expect(program).to_have_attribute("aria-sort", "descending")
    expect(program).to_contain_text("▼")
    expect(rows.nth(0)).to_contain_text("Client")
    expect(rows.nth(1)).to_contain_text("Visit")
    expect(page.locator("caption")).to_contain_text("by program, descending")
    assert not _violations(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=str(shots / "catalog-list-1280.png"), full_page=True)

    # on a phone the rows stack and the sortable headers stay in view as a "Sort by" bar
    page.set_viewport_size({"width": 390, "height": 900})
    expect(program).to_be_visible()
    expect(page.get_by_role("columnheader", name="Kind")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert not _violations(page)
    page.screenshot(path=str(shots / "catalog-list-390.png"), full_page=True)
    title.get_by_role("link").click()
    expect(title).to_have_attribute("aria-sort", "ascending")
    expect(rows.nth(0)).to_contain_text("Client")

    # a new search keeps the order the headers chose
    search.fill("visit")
    page.get_by_role("button", name="Show datasets").click()
    expect(page).to_have_url(re.compile(r"q=visit.*sort=name&order=asc"))
    search.fill("no such thing")
    page.get_by_role("button", name="Show datasets").click()
    expect(page.get_by_role("status")).to_contain_text("No dataset matches")
    assert not _violations(page)
    page.screenshot(path=str(shots / "catalog-list-empty-390.png"), full_page=True)


def _violations(page: Page) -> list[str]:
    found = Axe().run(page).response["violations"]
    return [f"{v['id']} ({v['impact']}) {v['help']} at {v['nodes'][0]['target']}" for v in found]
