"""De-identifying a table in a real browser: a steward uploads the sample table and its SPEC,
sees a bad SPEC refused with its problems, then the release report with the withheld small
count, and saves the published table."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accord.catalog.datasets import register_dataset
from accord.config import Settings
from accord.db.engine import transaction
from tests.browser.test_navigation import go, sign_in
from tests.deid.conftest import COUNTY_AGE_CSV
from tests.factories import make_user

pytestmark = pytest.mark.browser

SPEC = (
    "title: Visits by county\ndimensions: [county, age]\ncount: n\nstatistics: [rate]\nscore: 14\n"
)


RELEASED = re.compile(r"^Release \d+: Visits by county$")  # the stored release's page

def test_steward_releases_a_table(
    settings: Settings, server: str, page: Page, tmp_path: Path
) -> None:
    make_user(settings, "sam", "steward")
    table = tmp_path / "visits.csv"
    table.write_text(COUNTY_AGE_CSV, encoding="utf-8")
    bad_spec = tmp_path / "bad.yaml"
    bad_spec.write_text("dimensions: [county, region]\ncount: n\nscore: 14\n", encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC, encoding="utf-8")

    sign_in(page, server, "sam")
    go(page, "De-identify")
    expect(page.get_by_role("heading", name="De-identify an aggregate table")).to_be_visible()
    page.get_by_label("Table file").set_input_files(table)
    page.get_by_label("SPEC file").set_input_files(bad_spec)
    page.get_by_label("Release").check()
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_role("alert")).to_contain_text("region")
    expect(page.get_by_label("Release")).to_be_checked()

    page.get_by_label("Table file").set_input_files(table)
    page.get_by_label("SPEC file").set_input_files(spec)
    # a fresh install may still be compiling the search in the server (accord.deid.warmup)
    page.get_by_role("button", name="Run").click(timeout=60_000)
    expect(page.get_by_role("heading", name=RELEASED)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("1 small count was withheld")
    withheld = page.get_by_role("table", name="Each withheld cell").get_by_role("row")
    a_young = withheld.filter(has_text="young").filter(has_text="Small count (below 11)")
    expect(a_young).to_have_count(1)
    expect(a_young).to_contain_text("1 to 10")

    with page.expect_download() as info:
        page.get_by_role("link", name="table.csv").click()
    download = info.value
    assert download.suggested_filename == "release-1-table.csv"  # kept: downloadable again
    saved = tmp_path / "published.csv"
    download.save_as(saved)
    rows = list(csv.DictReader(saved.read_text(encoding="utf-8").splitlines()))
    a_row = next(r for r in rows if r["county"] == "A" and r["age"] == "young")
    assert a_row["n"] == "" and a_row["annotation"] == "1"


TINY_COUNTY_CSV = (
    "county,age,n\nA,young,40\nA,old,50\nB,young,30\nB,old,35\nC,young,25\nC,old,60\n"
    "D,young,12\nD,old,14\nE,young,1\nE,old,2\n"
)


def _choose_files(
    settings: Settings, server: str, page: Page, folder: Path, table_text: str, spec_text: str
) -> tuple[Path, Path]:
    """A steward on the De-identify page with the table and SPEC chosen."""
    make_user(settings, "sam", "steward")
    table, spec = folder / "visits.csv", folder / "spec.yaml"
    table.write_text(table_text, encoding="utf-8")
    spec.write_text(spec_text, encoding="utf-8")
    sign_in(page, server, "sam")
    go(page, "De-identify")
    page.get_by_label("Table file").set_input_files(table)
    page.get_by_label("SPEC file").set_input_files(spec)
    return table, spec


def test_a_refused_table_is_released_with_the_proposed_grouping(
    settings: Settings, server: str, page: Page, tmp_path: Path
) -> None:
    """County E (3 people) cannot be protected by withholding cells; the page says which
    counties to combine, and the SPEC lines it shows, added as they are, release the table."""
    spec_text = "title: Visits by county\ndimensions: [county, age]\ncount: n\nscore: 14\n"
    table, spec = _choose_files(settings, server, page, tmp_path, TINY_COUNTY_CSV, spec_text)
    page.get_by_label("Release").check()
    page.get_by_role("button", name="Run").click(timeout=60_000)
    refused = page.get_by_role("heading", name="The table cannot be protected as it is")
    expect(refused).to_be_visible()
    expect(page.get_by_text("Combining these categories lets the table pass")).to_be_visible()
    proposal = page.locator("pre.snippet").first
    expect(proposal).to_contain_text("D + E")

    spec.write_text(spec_text + proposal.inner_text(), encoding="utf-8")
    page.get_by_label("Table file").set_input_files(table)
    page.get_by_label("SPEC file").set_input_files(spec)
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_role("heading", name=RELEASED)).to_be_visible()


def test_the_page_says_it_is_working_while_a_release_runs(
    settings: Settings, server: str, page: Page, tmp_path: Path
) -> None:
    _choose_files(settings, server, page, tmp_path, COUNTY_AGE_CSV, SPEC)
    # hold the request back so the page can be looked at while it would be running
    page.evaluate(
        "document.getElementById('deid-form')"
        ".addEventListener('submit', (event) => event.preventDefault())"
    )
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_role("status")).to_contain_text("keep this page open")
    expect(page.get_by_role("button", name="Working…")).to_be_disabled()


def test_a_steward_without_a_spec_describes_the_table(
    settings: Settings, server: str, page: Page, tmp_path: Path
) -> None:
    """The page reads the chosen table's first rows, offers its columns to tick with a guess
    ticked already; the release then shows the SPEC it wrote, to save."""
    make_user(settings, "sam", "steward")
    table = tmp_path / "visits.csv"
    table.write_text(COUNTY_AGE_CSV, encoding="utf-8")
    sign_in(page, server, "sam")
    go(page, "De-identify")
    page.get_by_label("Table file").set_input_files(table)
    page.locator("summary", has_text="Describe the table here").click()
    # guessed from the first rows: text columns are dimensions, the whole numbers the count
    expect(page.get_by_text("guessed from its first rows; check them")).to_be_visible()
    expect(page.get_by_label("Dimension columns")).to_have_value("county, age")
    expect(page.get_by_label("Count column")).to_have_value("n")
    expect(page.get_by_role("checkbox", name="rate")).not_to_be_checked()
    page.get_by_role("checkbox", name="county").uncheck()
    expect(page.get_by_label("Dimension columns")).to_have_value("age")
    page.get_by_role("checkbox", name="county").check()
    expect(page.get_by_label("Dimension columns")).to_have_value("age, county")
    page.get_by_label("Publication score").fill("14")
    page.get_by_label("Title").fill("Visits by county")
    page.get_by_label("Release").check()
    page.get_by_role("button", name="Run").click(timeout=60_000)
    expect(page.get_by_role("heading", name=RELEASED)).to_be_visible()
    written = page.get_by_role("heading", name="The SPEC it was released with")
    expect(written).to_be_visible()
    expect(page.locator("pre").last).to_contain_text("dimensions:\n- age\n- county\ncount: n\n")


def test_a_spreadsheet_csv_with_semicolons_is_guessed_and_released(
    settings: Settings, server: str, page: Page, tmp_path: Path
) -> None:
    """Semicolons, as spreadsheets in many locales save "CSV"; the year's whole numbers are
    few, so it is a dimension, and the count is the column of many values."""
    make_user(settings, "sam", "steward")
    table = tmp_path / "visits.csv"
    table.write_text(
        "county;year;n\nA;2023;3\nA;2024;40\nB;2023;25\nB;2024;31\nC;2023;19\nC;2024;44\n",
        encoding="utf-8",
    )
    sign_in(page, server, "sam")
    go(page, "De-identify")
    page.get_by_label("Table file").set_input_files(table)
    page.locator("summary", has_text="Describe the table here").click()
    expect(page.get_by_label("Dimension columns")).to_have_value("county, year")
    expect(page.get_by_label("Count column")).to_have_value("n")
    page.get_by_label("Release").check()
    page.get_by_role("button", name="Run").click(timeout=60_000)
    heading = page.get_by_role("heading", name=re.compile(r"^Release \d+: visits.csv$"))
    expect(heading).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("1 small count was withheld")


def test_an_untouched_guess_gives_way_to_a_spec_file(
    settings: Settings, server: str, page: Page, tmp_path: Path
) -> None:
    """A person who looked at "Describe" but then chooses a SPEC file is not told "not both"
    for a guess they never typed."""
    make_user(settings, "sam", "steward")
    table, spec = tmp_path / "visits.csv", tmp_path / "spec.yaml"
    table.write_text(COUNTY_AGE_CSV, encoding="utf-8")
    spec.write_text(SPEC, encoding="utf-8")
    sign_in(page, server, "sam")
    go(page, "De-identify")
    page.locator("summary", has_text="Describe the table here").click()
    page.get_by_label("Table file").set_input_files(table)
    expect(page.get_by_label("Count column")).to_have_value("n")
    page.get_by_label("SPEC file").set_input_files(spec)
    expect(page.get_by_label("Count column")).to_have_value("")
    expect(page.get_by_label("Dimension columns")).to_have_value("")
    page.get_by_label("Release").check()
    page.get_by_role("button", name="Run").click(timeout=60_000)
    expect(page.get_by_role("heading", name=RELEASED)).to_be_visible()


# issue 12: a spreadsheet's table, one column per age band and their total
WIDE_CSV = (
    "County,0-17,18-44,45-64,65+,Total\nAlpine,3,7,12,5,27\nButte,40,120,95,60,315\n"
    "Colusa,22,41,30,18,111\nDel Norte,25,38,33,26,122\n"
)


def test_a_wide_table_is_guessed_as_wide_and_assessed(
    settings: Settings, server: str, page: Page, tmp_path: Path
) -> None:
    """The guess reads the age-band columns as a wide table (never 65+ as the count of a
    long one), says so in words, and the description it fills in assesses the table. The
    untouched guess for a table chosen first gives way to the next table's."""
    make_user(settings, "sam", "steward")
    first, table = tmp_path / "visits.csv", tmp_path / "enrollees.csv"
    first.write_text(COUNTY_AGE_CSV, encoding="utf-8")
    table.write_text(WIDE_CSV, encoding="utf-8")
    sign_in(page, server, "sam")
    go(page, "De-identify")
    page.locator("summary", has_text="Describe the table here").click()
    page.get_by_label("Table file").set_input_files(first)
    expect(page.get_by_label("Statistic columns")).to_have_value("rate")
    guessed = page.locator("#deid-guess")
    expect(guessed).to_contain_text("The column rate holds decimals")
    page.get_by_label("Table file").set_input_files(table)
    expect(guessed).to_contain_text(
        "This looks like a wide table, with one column per category: the columns 0-17, "
        "18-44, 45-64 and 65+ will become rows of a new dimension, age_band"
    )
    expect(guessed).to_contain_text("Total is their total and will be checked against them.")
    expect(page.get_by_label("Category columns")).to_have_value("0-17, 18-44, 45-64, 65+")
    expect(page.get_by_label("Name of the dimension they make")).to_have_value("age_band")
    expect(page.get_by_label("Total column")).to_have_value("Total")
    expect(page.get_by_label("Count column")).to_have_value("n")
    expect(page.get_by_label("Dimension columns")).to_have_value("County, age_band")
    expect(page.get_by_label("Pass-through columns")).to_have_value("")
    expect(page.get_by_label("Statistic columns")).to_have_value("")
    expect(guessed).not_to_contain_text("The column rate")
    expect(page.get_by_role("checkbox", name="County")).to_be_checked()
    expect(page.get_by_role("checkbox", name="65+")).not_to_be_checked()
    page.get_by_label("Publication score").fill("14")
    expect(page.get_by_label("Assess")).to_be_checked()
    page.get_by_role("button", name="Run").click(timeout=60_000)
    expect(page.get_by_role("heading", name="Assessment of enrollees.csv")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Masking is required")
    written = page.locator("pre", has_text="wide:")
    expect(written).to_contain_text("dimension: age_band")
    expect(written).to_contain_text("total: Total")


def test_a_wide_spreadsheet_is_released_and_kept(
    settings: Settings, server: str, page: Page, tmp_path: Path
) -> None:
    """From upload to a stored release: the wide CSV a spreadsheet exports, described by the
    guess, is released with Alpine's small age bands withheld, and their complements, and the
    release is found again in the history."""
    make_user(settings, "sam", "steward")
    table = tmp_path / "enrollees.csv"
    table.write_text(WIDE_CSV, encoding="utf-8")
    sign_in(page, server, "sam")
    go(page, "De-identify")
    page.locator("summary", has_text="Describe the table here").click()
    page.get_by_label("Table file").set_input_files(table)
    expect(page.get_by_label("Total column")).to_have_value("Total")
    page.get_by_label("Publication score").fill("14")
    page.get_by_label("Release").check()
    page.get_by_role("button", name="Run").click(timeout=60_000)
    expect(page.get_by_role("heading", name=re.compile(r"^Release \d+: "))).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(
        "3 small counts were withheld, and 3 further cells"
    )
    withheld = page.get_by_role("table", name="Each withheld cell").get_by_role("row")
    alpine_small = withheld.filter(has_text="Alpine").filter(has_text="Small count (below 11)")
    expect(alpine_small).to_have_count(3)
    for band in ("0-17", "18-44", "65+"):
        expect(alpine_small.filter(has_text=band)).to_have_count(1)

    with page.expect_download() as info:
        page.get_by_role("link", name="table.csv").click()
    saved = tmp_path / "published.csv"
    info.value.save_as(saved)
    published = saved.read_text(encoding="utf-8")
    rows = list(csv.DictReader(published.splitlines()))
    alpine = {r["age_band"]: r["n"] for r in rows if r["County"] == "Alpine"}
    assert alpine["0-17"] == alpine["18-44"] == alpine["65+"] == ""
    assert sum(r["n"] == "" for r in rows) == 6  # and the three complements

    go(page, "Releases")
    history = page.get_by_role("table").get_by_role("row").filter(has_text="enrollees.csv")
    expect(history).to_have_count(1)
    expect(history).to_contain_text("Released")
    expect(history).to_contain_text("6 of 20")


def test_a_release_linked_to_a_dataset_is_found_from_the_dataset(
    settings: Settings, server: str, page: Page, tmp_path: Path
) -> None:
    """The De-identify form links a release to the catalog dataset it was made from; the
    dataset's page then lists it, and the link leads back to the stored release."""
    coordinator = make_user(settings, "cora", "data_coordinator")
    with transaction(settings) as session:
        dataset = register_dataset(session, coordinator, name="visits_by_county", kind="report")
        dataset_id = dataset.id
    _choose_files(settings, server, page, tmp_path, COUNTY_AGE_CSV, SPEC)
    page.get_by_label("Catalog dataset (optional)").select_option(str(dataset_id))
    page.get_by_label("Release").check()
    page.get_by_role("button", name="Run").click(timeout=60_000)
    expect(page.get_by_role("heading", name=RELEASED)).to_be_visible()

    page.get_by_role("link", name="its releases").click()
    expect(
        page.get_by_role("table").get_by_role("row").filter(has_text="visits.csv")
    ).to_have_count(1)
    page.goto(f"{server}/catalog/datasets/{dataset_id}")
    section = page.get_by_role("region", name="Tables released from this dataset")
    expect(section.get_by_role("listitem")).to_have_count(1)
    expect(section).to_contain_text("sam, released")
    section.get_by_role("link", name=re.compile(r"^Release \d+: Visits by county$")).click()
    expect(page.get_by_role("heading", name=RELEASED)).to_be_visible()
