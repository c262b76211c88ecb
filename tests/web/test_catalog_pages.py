"""The catalog pages through the whole app: what each role sees and may do, forms that refuse
bad input with every problem shown, CSRF, and uploads that cannot escape their folder."""

from __future__ import annotations

import io
import re
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from accord.auth.actor import Actor
from accord.catalog.datasets import (
    Inventory,
    dataset_fields,
    list_datasets,
    register_dataset,
    update_inventory,
)
from accord.catalog.fields import Description, describe_field, get_field
from accord.catalog.harvest.runs import harvest_now, start_harvest
from accord.catalog.sources import add_source
from accord.catalog.suggestions import suggest
from accord.config import Settings
from accord.db.engine import transaction
from accord.jobs.worker import claim_next, run_pending
from accord.web.pages.catalog.forms import MAX_UPLOAD_BYTES
from tests.conftest import PG_SERVER
from tests.factories import make_user
from tests.web.helpers import csrf_of, sign_in


@pytest.fixture
def people(settings: Settings) -> dict[str, Actor]:
    return {
        "engineer": make_user(settings, "eli", "data_engineer"),
        "steward": make_user(settings, "sam", "steward"),
        "security": make_user(settings, "sky", "security_officer"),
        "coordinator": make_user(settings, "cas", "data_coordinator"),
        "requester": make_user(settings, "rae", "requester"),
    }


@pytest.fixture
def clinic_db(tmp_path: Path) -> Path:
    """A small real SQLite source, with a comment-free schema as many legacy systems have."""
    path = tmp_path / "clinic.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            """
            CREATE TABLE client (id INTEGER PRIMARY KEY, birth_date DATE NOT NULL, county TEXT);
            CREATE TABLE visit (id INTEGER PRIMARY KEY,
                                client_id INTEGER REFERENCES client(id), diagnosis TEXT);
            INSERT INTO client VALUES (1, '1990-01-01', 'Yolo');
            """
        )
    conn.close()
    return path


@pytest.fixture
def harvested(settings: Settings, people: dict[str, Actor], clinic_db: Path) -> dict[str, int]:
    """The clinic source registered and harvested once; field ids by ``table.column``."""
    engineer = people["engineer"]
    with transaction(settings) as session:
        add_source(session, engineer, settings.key, name="clinic", location=f"sqlite:///{clinic_db}")
    harvest_now(settings, engineer, "clinic")
    ids: dict[str, int] = {}
    with transaction(settings) as session:
        for row in list_datasets(session, engineer):
            ids[row.dataset.name] = row.dataset.id
            for f in dataset_fields(session, engineer, row.dataset.id):
                ids[f"{row.dataset.name}.{f.name}"] = f.id
    return ids


def post(client: TestClient, path: str, data: dict[str, object], page: str | None = None
         ) -> httpx.Response:
    """Post a form with the CSRF token of the page it is on (``page``, else ``path``)."""
    token = csrf_of(client, page or path)
    return client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)


def switch_to(client: TestClient, username: str) -> None:
    """Sign in as someone else: a new browser, as far as cookies go."""
    client.cookies.clear()
    sign_in(client, username)


def test_catalog_pages_need_sign_in(app_client: TestClient) -> None:
    for path in ("/catalog", "/catalog/search", "/catalog/sources", "/catalog/glossary"):
        response = app_client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_engineer_adds_and_harvests_a_source(
    settings: Settings, app_client: TestClient, people: dict[str, Actor], clinic_db: Path
) -> None:
    sign_in(app_client, "eli")
    added = post(app_client, "/catalog/sources",
                 {"name": "clinic", "location": f"sqlite:///{clinic_db}"})
    assert added.status_code == 303 and added.headers["location"].startswith(
        "/catalog/sources/clinic?notice=source_added")
    page = app_client.get(added.headers["location"])
    assert "The source was added" in page.text and "Harvest clinic now" in page.text

    started = post(app_client, "/catalog/sources/clinic/harvest", {}, "/catalog/sources/clinic")
    location = started.headers["location"]
    assert started.status_code == 303 and re.fullmatch(r"/catalog/harvests/\d+", location)
    queued = app_client.get(location)
    assert "Waiting for a worker" in queued.text and "Cancel the harvest" in queued.text
    assert run_pending(settings) == 1  # what the worker beside the server does
    run = app_client.get(location)
    assert "Finished" in run.text
    assert "First harvest of this source: 2 datasets and 6 fields" in run.text
    assert '<progress id="harvest-progress"' in run.text
    assert app_client.get(location + "/progress").json()["status"] == "succeeded"
    home = app_client.get("/catalog")
    assert "main.client" in home.text and "main.visit" in home.text
    filtered = app_client.get("/catalog", params={"source": "nowhere", "lifecycle": "archived"})
    assert "main.client" not in filtered.text
    assert "No dataset matches this search and these filters" in filtered.text
    assert "choose “Any status” instead of archived" in filtered.text


def test_unreachable_source_fails_cleanly(
    settings: Settings, app_client: TestClient, people: dict[str, Actor], tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-folder" / "gone.sqlite"
    with transaction(settings) as session:
        add_source(session, people["engineer"], settings.key, name="gone",
                   location=f"sqlite:///{missing}")
    sign_in(app_client, "eli")
    started = post(app_client, "/catalog/sources/gone/harvest", {}, "/catalog/sources/gone")
    run_pending(settings)
    run = app_client.get(started.headers["location"])
    assert "Failed" in run.text and "Cancel the harvest" not in run.text
    assert "Not harvested yet" not in app_client.get("/catalog/sources/gone").text


def test_source_form_shows_problems_but_never_echoes_a_password(
    app_client: TestClient, people: dict[str, Actor]
) -> None:
    sign_in(app_client, "eli")
    refused = post(app_client, "/catalog/sources", {
        "name": "Bad Name", "location": "postgresql+psycopg://reader:s3cret-pw@db.example/hr"})
    text = refused.text
    assert refused.status_code == 422
    assert 'role="alert"' in text and "Use lower-case letters" in text
    assert "s3cret-pw" not in text and "reader@db.example/hr" in text


def test_source_that_exists_is_reported_on_the_form(
    app_client: TestClient, harvested: dict[str, int], clinic_db: Path
) -> None:
    sign_in(app_client, "eli")
    again = post(app_client, "/catalog/sources", {"name": "clinic", "location": str(clinic_db)})
    assert again.status_code == 409 and "already exists" in again.text


def test_requester_reads_but_sees_no_edit_controls_and_is_refused(
    app_client: TestClient, harvested: dict[str, int]
) -> None:
    sign_in(app_client, "rae")
    field_id = harvested["main.client.birth_date"]
    pages = {
        "/catalog/sources": "Add the source",
        "/catalog/sources/clinic": "Harvest clinic now",
        f"/catalog/fields/{field_id}": "Save the description",
        f"/catalog/datasets/{harvested['main.client']}": "Edit the inventory attributes",
        "/catalog/glossary": "Save the term",
        "/catalog/statutes": "Add the statute",
        "/catalog": "Import an inventory spreadsheet",
    }
    for path, control in pages.items():
        page = app_client.get(path)
        assert page.status_code == 200 and control not in page.text, path
    forms = {
        "/catalog/sources": {"name": "x", "location": "/tmp"},
        "/catalog/sources/clinic/harvest": {},
        f"/catalog/fields/{field_id}/describe": {"definition": "x"},
        f"/catalog/fields/{field_id}/classify": {"codes": ["PII"]},
        f"/catalog/fields/{field_id}/statutes": {"citations": "WIC 10850"},
        "/catalog/glossary": {"term": "x", "definition": "y"},
        "/catalog/datasets/new": {"name": "x", "kind": "report"},
    }
    for path, data in forms.items():
        refused = post(app_client, path, data, "/catalog")
        assert refused.status_code == 403 and "Not allowed" in refused.text, path
    assert app_client.get("/catalog/sources/clinic/write-back").status_code == 403
    assert app_client.get("/catalog/inventory/import").status_code == 403


def test_where_a_source_lives_is_not_shown_to_readers(
    app_client: TestClient, harvested: dict[str, int], clinic_db: Path
) -> None:
    sign_in(app_client, "rae")
    for page in ("/catalog/sources", "/catalog/sources/clinic"):
        text = app_client.get(page).text
        assert str(clinic_db) not in text
        assert "shown to data engineers and administrators" in text.lower()
    switch_to(app_client, "eli")
    assert str(clinic_db) in app_client.get("/catalog/sources/clinic").text


def test_steward_describes_and_security_officer_classifies(
    settings: Settings, app_client: TestClient, harvested: dict[str, int]
) -> None:
    field_id = harvested["main.client.birth_date"]
    sign_in(app_client, "sam")
    page = app_client.get(f"/catalog/fields/{field_id}")
    assert "Save the description" in page.text and "Save the classification" not in page.text
    saved = post(app_client, f"/catalog/fields/{field_id}/describe", {
        "label": "Date of birth", "definition": "The day the client was born.",
        "valid_values": "", "standard_element": "USCDI: Date of Birth", "tags": "person, dates",
    }, f"/catalog/fields/{field_id}")
    assert saved.status_code == 303
    page = app_client.get(saved.headers["location"])
    assert "The description was saved." in page.text and "Date of birth" in page.text
    cited = post(app_client, f"/catalog/fields/{field_id}/statutes",
                 {"citations": "WIC 10850(a)\n\n45 CFR 164.514(b)(2)"},
                 f"/catalog/fields/{field_id}")
    assert cited.status_code == 303

    switch_to(app_client, "sky")
    page = app_client.get(f"/catalog/fields/{field_id}")
    assert "Save the classification" in page.text and "Save the description" not in page.text
    assert "<legend>Personally identifiable information</legend>" in page.text
    classified = post(app_client, f"/catalog/fields/{field_id}/classify",
                      {"codes": ["PII:date"]}, f"/catalog/fields/{field_id}")
    assert classified.status_code == 303
    dataset = app_client.get(f"/catalog/datasets/{harvested['main.client']}")
    assert "The day the client was born." in dataset.text
    # the label in words with its family; the code only on hover
    assert (
        '<span class="classification" title="PII:date: Date tied to a person (except year)">'
        '<span class="family family-pii">PII</span> Date tied to a person (except year)</span>'
    ) in dataset.text
    assert ">PII:date<" not in dataset.text
    assert "WIC § 10850(a)" in dataset.text and "birth_date" in dataset.text
    restrictions = dataset.text.split('id="h-rollup"')[1].split("</section>")[0]
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th><td>(.*?)</td></tr>", restrictions, re.S)
    governing = {re.sub(r"<[^>]+>", " ", head).split()[0]: fields for head, fields in rows}
    assert governing["PII"] == governing["WIC"] == governing["45"] == "birth_date", rows
    assert "birth_date" not in restrictions.split("Not classified yet")[1]
    with transaction(settings) as session:
        assert get_field(session, Actor.system(), field_id).label == "Date of birth"


def test_field_forms_show_every_problem_and_keep_the_input(
    app_client: TestClient, harvested: dict[str, int]
) -> None:
    field_id = harvested["main.client.county"]
    sign_in(app_client, "sam")
    refused = post(app_client, f"/catalog/fields/{field_id}/describe",
                   {"definition": "County of residence.", "valid_values": "A = One\nA = Again"},
                   f"/catalog/fields/{field_id}")
    assert refused.status_code == 422 and "A code is listed twice." in refused.text
    assert "County of residence." in refused.text
    bad_cite = post(app_client, f"/catalog/fields/{field_id}/statutes",
                    {"citations": "not a statute"}, f"/catalog/fields/{field_id}")
    assert bad_cite.status_code == 422 and "is not a citation like" in bad_cite.text
    switch_to(app_client, "sky")
    both = post(app_client, f"/catalog/fields/{field_id}/classify",
                {"codes": ["PUBLIC", "PII"]}, f"/catalog/fields/{field_id}")
    assert both.status_code == 422 and "A public field has no other class." in both.text


def test_csrf_token_is_required_on_catalog_forms(
    settings: Settings, app_client: TestClient, harvested: dict[str, int]
) -> None:
    field_id = harvested["main.client.county"]
    sign_in(app_client, "sam")
    forged = app_client.post(f"/catalog/fields/{field_id}/describe",
                             data={"definition": "forged"}, follow_redirects=False)
    assert forged.status_code == 403 and "CSRF" in forged.text
    with transaction(settings) as session:
        assert get_field(session, Actor.system(), field_id).definition == ""


def test_drift_is_badged_on_the_dataset_and_reviewed_on_the_field(
    settings: Settings, app_client: TestClient, people: dict[str, Actor],
    harvested: dict[str, int], clinic_db: Path,
) -> None:
    with sqlite3.connect(clinic_db) as conn:
        conn.execute("ALTER TABLE client ADD COLUMN language TEXT")
    conn.close()
    sign_in(app_client, "cas")
    started = post(app_client, "/catalog/sources/clinic/harvest", {}, "/catalog/sources/clinic")
    run_pending(settings)
    report = app_client.get(started.headers["location"])
    assert "Fields added" in report.text and "main.client.language" in report.text
    dataset = app_client.get(f"/catalog/datasets/{harvested['main.client']}")
    assert "added — review" in dataset.text and "1 field changed in the source" in dataset.text

    switch_to(app_client, "sam")
    field_link = re.search(r'href="/catalog/fields/(\d+)">language<', dataset.text)
    assert field_link
    field_page = f"/catalog/fields/{field_link.group(1)}"
    assert "Added in the source — please review." in app_client.get(field_page).text
    reviewed = post(app_client, f"{field_page}/review", {}, field_page)
    assert "The field is marked as reviewed." in app_client.get(
        reviewed.headers["location"]).text
    assert "added — review" not in app_client.get(
        f"/catalog/datasets/{harvested['main.client']}").text


def test_dictionary_downloads_in_every_format(
    app_client: TestClient, harvested: dict[str, int]
) -> None:
    sign_in(app_client, "rae")
    base = f"/catalog/datasets/{harvested['main.client']}/dictionary"
    page = app_client.get(f"/catalog/datasets/{harvested['main.client']}")
    for fmt in ("csv", "xlsx", "table-schema", "json"):
        assert f'href="{base}.{fmt}"' in page.text
        response = app_client.get(f"{base}.{fmt}")
        assert response.status_code == 200, fmt
        disposition = response.headers["content-disposition"]
        assert disposition.startswith('attachment; filename="main.client')
    assert "birth_date" in app_client.get(f"{base}.csv").text
    assert app_client.get(f"{base}.json").json()["dataset"]["name"] == "main.client"
    book = load_workbook(io.BytesIO(app_client.get(f"{base}.xlsx").content))
    assert book.sheetnames[:2] == ["Fields", "Glossary"]
    assert app_client.get(f"{base}.pdf").status_code == 422
    assert app_client.get("/catalog/datasets/999/dictionary.csv").status_code == 404


def test_register_a_dataset_and_edit_its_inventory(
    app_client: TestClient, people: dict[str, Actor]
) -> None:
    sign_in(app_client, "cas")
    assert "Register the dataset" in app_client.get("/catalog/datasets/new").text
    refused = post(app_client, "/catalog/datasets/new",
                   {"name": "", "kind": "report", "lifecycle": "active"}, "/catalog/datasets/new")
    assert refused.status_code == 422 and "Give the dataset a name." in refused.text
    made = post(app_client, "/catalog/datasets/new", {
        "name": "Monthly caseload", "kind": "report", "program": "CalFresh",
        "lifecycle": "active", "vendor_managed": "yes", "retention_months": "84",
    }, "/catalog/datasets/new")
    assert made.status_code == 303
    page = app_client.get(made.headers["location"])
    page_url = made.headers["location"].split("?")[0]
    assert "The dataset was registered." in page.text and "84 months" in page.text
    assert "A vendor" in page.text
    bad = post(app_client, f"{page_url}/inventory",
               {"retention_months": "seven", "lifecycle_since": "yesterday"}, page_url)
    assert bad.status_code == 422
    assert "Give a whole number of months." in bad.text and "YYYY-MM-DD" in bad.text
    assert "<details class=\"edit\" open>" in bad.text
    good = post(app_client, f"{page_url}/inventory", {
        "title": "Caseload by county", "program": "CalFresh", "lifecycle": "archival_candidate",
        "retention_months": "84"}, page_url)
    assert "The inventory attributes were saved." in app_client.get(
        good.headers["location"]).text
    assert "Caseload by county" in app_client.get("/catalog", params={"program": "CalFresh"}).text


def test_inventory_import_in_two_steps_and_export(
    settings: Settings, app_client: TestClient, people: dict[str, Actor]
) -> None:
    sign_in(app_client, "cas")
    sheet = (b"Dataset Name,Program,Data Owner,Retention\n"
             b"Eligibility extract,Medi-Cal,Ana Ortiz,36\nProvider list,CalFresh,,\n")
    token = csrf_of(app_client, "/catalog/inventory/import")
    mapping = app_client.post("/catalog/inventory/import", data={"csrf_token": token},
                              files={"file": ("../../inventory.csv", sheet, "text/csv")})
    assert mapping.status_code == 200 and "Step 2 of 2" in mapping.text
    assert '<option value="Program" selected>' in mapping.text
    assert '<option value="Data Owner" selected>' in mapping.text
    stored = re.search(r'name="token" value="([^"]+)"', mapping.text)
    assert stored and "inventory" not in stored.group(1)
    assert (settings.data_dir / "uploads" / stored.group(1)).exists()
    done = app_client.post("/catalog/inventory/import/confirm", follow_redirects=False, data={
        "csrf_token": token, "token": stored.group(1), "map_name": "Dataset Name",
        "map_program": "Program", "map_owner": "Data Owner", "map_retention_months": "Retention"})
    assert done.status_code == 303
    home = app_client.get(done.headers["location"])
    assert "The inventory was imported: 2 new, 0 updated." in home.text
    assert "Eligibility extract" in home.text
    assert not (settings.data_dir / "uploads" / stored.group(1)).exists()
    exported = app_client.get("/catalog/inventory/export.csv")
    assert "Eligibility extract,report" in exported.text or "Eligibility extract" in exported.text
    xlsx = app_client.get("/catalog/inventory/export.xlsx")
    assert load_workbook(io.BytesIO(xlsx.content)).active.title == "Inventory"


def test_import_mapping_problems_are_shown_on_the_mapping_step(
    app_client: TestClient, people: dict[str, Actor]
) -> None:
    sign_in(app_client, "cas")
    token = csrf_of(app_client, "/catalog/inventory/import")
    mapping = app_client.post("/catalog/inventory/import", data={"csrf_token": token},
                              files={"file": ("x.csv", b"Name,Kind\nA,spreadsheet\n", "text/csv")})
    stored = re.search(r'name="token" value="([^"]+)"', mapping.text)
    assert stored
    refused = app_client.post("/catalog/inventory/import/confirm", data={
        "csrf_token": token, "token": stored.group(1), "map_name": "Name", "map_kind": "Kind"})
    assert refused.status_code == 422 and "row 2" in refused.text and "Step 2 of 2" in refused.text


def test_uploads_refuse_traversal_wrong_types_and_oversize(
    settings: Settings, app_client: TestClient, people: dict[str, Actor]
) -> None:
    (settings.data_dir).mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "secret.csv").write_text("name\nstolen\n")
    sign_in(app_client, "cas")
    token = csrf_of(app_client, "/catalog/inventory/import")
    for forged in ("../secret.csv", "..%2Fsecret.csv", "/etc/passwd", "A" * 22 + ".csv"):
        refused = app_client.post("/catalog/inventory/import/confirm", data={
            "csrf_token": token, "token": forged, "map_name": "name"})
        assert refused.status_code == 422, forged
        assert "upload it again" in refused.text and "stolen" not in refused.text
    wrong = app_client.post("/catalog/inventory/import", data={"csrf_token": token},
                            files={"file": ("notes.txt", b"name\nx\n", "text/plain")})
    assert wrong.status_code == 422 and "Upload a CSV (.csv) or Excel (.xlsx) file." in wrong.text
    broken = app_client.post("/catalog/inventory/import", data={"csrf_token": token},
                             files={"file": ("book.xlsx", b"not a zip", "application/zip")})
    assert broken.status_code == 422 and "not a readable Excel file" in broken.text
    big = b"name\n" + b"x" * MAX_UPLOAD_BYTES
    too_big = app_client.post("/catalog/inventory/import", data={"csrf_token": token},
                              files={"file": ("big.csv", big, "text/csv")})
    assert too_big.status_code == 422 and "larger than 20 MB" in too_big.text
    glossary = app_client.post("/catalog/glossary/import", data={"csrf_token": token},
                               files={"file": ("big.csv", big, "text/csv")})
    assert glossary.status_code == 422 and "larger than 20 MB" in glossary.text
    assert not list(settings.data_dir.glob("uploads/*"))


def test_glossary_add_edit_import_export_and_link(
    app_client: TestClient, harvested: dict[str, int]
) -> None:
    sign_in(app_client, "sam")
    missing = post(app_client, "/catalog/glossary", {"term": "", "definition": ""})
    assert missing.status_code == 422 and "Give the term." in missing.text
    assert "Define the term." in missing.text
    saved = post(app_client, "/catalog/glossary", {
        "term": "Client Index Number", "acronym": "CIN", "definition": "The Medi-Cal id."})
    assert "The glossary term was saved." in app_client.get(
        saved.headers["location"]).text
    token = csrf_of(app_client, "/catalog/glossary")
    imported = app_client.post("/catalog/glossary/import", data={"csrf_token": token}, files={
        "file": ("terms.csv", b"term,acronym,definition\nCounty,,A county of California.\n",
                 "text/csv")})
    assert "1 glossary term was imported." in imported.text
    bad = app_client.post("/catalog/glossary/import", data={"csrf_token": token},
                          files={"file": ("terms.csv", b"term\nx\n", "text/csv")})
    assert bad.status_code == 422 and "Missing columns: definition." in bad.text
    page = app_client.get("/catalog/glossary")
    term_id = re.search(r'<tr id="term-(\d+)"><th scope="row">County<', page.text)
    assert term_id
    edit = app_client.get("/catalog/glossary", params={"edit": term_id.group(1)})
    assert "Edit “County”" in edit.text and "A county of California." in edit.text
    exported = app_client.get("/catalog/glossary.csv")
    assert exported.headers["content-disposition"] == 'attachment; filename="glossary.csv"'
    assert "Client Index Number,CIN,The Medi-Cal id." in exported.text

    field_page = f"/catalog/fields/{harvested['main.client.county']}"
    linked = post(app_client, f"{field_page}/terms", {"term_id": term_id.group(1)}, field_page)
    page = app_client.get(linked.headers["location"])
    assert "The glossary term was linked" in page.text and "Unlink County" in page.text
    unlinked = post(app_client, f"{field_page}/terms/{term_id.group(1)}/unlink", {}, field_page)
    assert "Unlink County" not in app_client.get(
        unlinked.headers["location"]).text


def test_statute_library_add_and_refusals(app_client: TestClient, people: dict[str, Actor]) -> None:
    sign_in(app_client, "sam")
    added = post(app_client, "/catalog/statutes", {
        "citation": "WIC 10850(a)", "title": "Confidentiality of applicant records",
        "url": "https://leginfo.legislature.ca.gov/"})
    page = app_client.get(added.headers["location"])
    assert "The statute was added to the library." in page.text
    assert "WIC § 10850(a)" in page.text
    again = post(app_client, "/catalog/statutes", {"citation": "WIC 10850(a)"})
    assert again.status_code == 409 and "already in the library" in again.text
    bad = post(app_client, "/catalog/statutes",
               {"citation": "WIC 10851", "url": "javascript:alert(1)"})
    assert bad.status_code == 422 and "https://" in bad.text


def test_search_groups_results_by_kind_and_treats_syntax_as_words(
    settings: Settings, app_client: TestClient, people: dict[str, Actor],
    harvested: dict[str, int],
) -> None:
    with transaction(settings) as session:
        update_inventory(session, people["coordinator"], harvested["main.client"],
                         Inventory(title="Clients", program="Medi-Cal",
                                   description="People enrolled in the county clinic."))
    sign_in(app_client, "rae")
    empty = app_client.get("/catalog/search")
    assert "Type one or more words" in empty.text and 'role="search"' in empty.text
    found = app_client.get("/catalog/search", params={"q": "clinic"})
    assert 'role="status"' in found.text and "Datasets (" in found.text
    assert f'href="/catalog/datasets/{harvested["main.client"]}"' in found.text
    fields = app_client.get("/catalog/search", params={"q": "county", "kind": "field"})
    assert f'href="/catalog/fields/{harvested["main.client.county"]}"' in fields.text
    assert "Datasets (" not in fields.text
    other = app_client.get("/catalog/search", params={"q": "clinic", "program": "CalFresh"})
    assert "0 results" in other.text
    for syntax in ('"unbalanced', "a OR b NOT", "'; DROP TABLE catalog_dataset; --", "*"):
        assert app_client.get("/catalog/search", params={"q": syntax}).status_code == 200


def test_search_speaks_the_department_s_words(
    settings: Settings, app_client: TestClient, people: dict[str, Actor],
    harvested: dict[str, int],
) -> None:
    from accord.catalog.fields import classify_field
    from accord.catalog.search_words import forget_vocabulary

    forget_vocabulary()
    with transaction(settings) as session:
        update_inventory(session, people["coordinator"], harvested["main.client"],
                         Inventory(program="Your Environment",
                                   system="Your Environment enrollment system"))
        classify_field(session, people["security"], harvested["main.client.birth_date"],
                       ["PII:date", "SENSITIVE:race_ethnicity"])
    sign_in(app_client, "rae")
    dob = app_client.get("/catalog/search", params={"q": "dob"}).text
    field = harvested["main.client.birth_date"]
    # the field, named with its dataset's title beside the technical name
    assert f'<a href="/catalog/fields/{field}">birth_date</a>' in dob
    assert 'Client — Your Environment <span class="tech-name">main.client</span>' in dob
    # labels in words, family as a tag, the code on hover only
    assert '<span class="family family-sensitive">Sensitive</span> Race or ethnicity' in dob
    assert "|PII" not in dob and ">PII:date<" not in dob
    clinic = app_client.get("/catalog/search", params={"q": "enrollment"}).text
    assert clinic.count("Your Environment enrollment system") == 1
    assert "Your Environment Your Environment" not in clinic
    typo = app_client.get("/catalog/search", params={"q": "birht"}).text
    assert "0 results" in typo
    assert 'Did you mean <a href="/catalog/search?q=birth">birth</a>?' in typo


def test_a_steward_renames_a_dataset_and_every_page_follows(
    settings: Settings, app_client: TestClient, people: dict[str, Actor],
    harvested: dict[str, int],
) -> None:
    page_url = f"/catalog/datasets/{harvested['main.client']}"
    sign_in(app_client, "sam")
    assert "Client" in app_client.get(page_url).text  # Accord's suggestion, from the table
    saved = post(app_client, f"{page_url}/inventory", {"title": "Clinic clients"}, page_url)
    assert saved.status_code == 303
    harvest_now(settings, people["engineer"], "clinic")  # a harvest keeps the steward's title
    for url in (page_url, "/catalog", f"/catalog/fields/{harvested['main.client.county']}"):
        text = app_client.get(url).text
        assert "Clinic clients" in text and 'class="tech-name">main.client<' in text, url


def test_the_favicon_is_ours(app_client: TestClient) -> None:
    page = app_client.get("/login").text
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    icon = app_client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg")


def test_retention_page_lists_what_is_due(
    settings: Settings, app_client: TestClient, people: dict[str, Actor],
    harvested: dict[str, int],
) -> None:
    from datetime import date

    with transaction(settings) as session:
        update_inventory(session, people["coordinator"], harvested["main.visit"],
                         Inventory(retention_months=12, lifecycle_since=date(2000, 1, 1)))
    sign_in(app_client, "rae")
    page = app_client.get("/catalog/retention")
    assert "2001-01-01" in page.text and "overdue" in page.text
    assert "Mark as archival candidate" in page.text
    assert app_client.get("/catalog/retention", params={"within": "-1"}).status_code == 422


def test_cancel_marks_a_running_harvest(
    settings: Settings, app_client: TestClient, people: dict[str, Actor], clinic_db: Path
) -> None:
    with transaction(settings) as session:
        add_source(session, people["engineer"], settings.key, name="clinic",
                   location=f"sqlite:///{clinic_db}")
        run_id = start_harvest(session, people["engineer"], "clinic").id
    assert claim_next(settings, "a-worker:1") is not None  # a worker has taken it
    sign_in(app_client, "rae")
    page = app_client.get(f"/catalog/harvests/{run_id}")
    assert "Running" in page.text and "Cancel the harvest" not in page.text
    assert "Refresh this page" in page.text and "/static/catalog.js" in page.text
    switch_to(app_client, "eli")
    busy = post(app_client, "/catalog/sources/clinic/harvest", {}, "/catalog/sources/clinic")
    assert busy.status_code == 409 and "already running" in busy.text
    cancelled = post(app_client, f"/catalog/harvests/{run_id}/cancel", {},
                     f"/catalog/harvests/{run_id}")
    page = app_client.get(cancelled.headers["location"])
    assert "Cancelling: the harvest stops" in page.text and "Cancel requested" in page.text
    assert app_client.get(f"/catalog/harvests/{run_id}/progress").json()["cancel_requested"]


def test_write_back_preview_explains_what_cannot_be_written(
    settings: Settings, app_client: TestClient, people: dict[str, Actor],
    harvested: dict[str, int],
) -> None:
    sign_in(app_client, "eli")
    nothing = app_client.get("/catalog/sources/clinic/write-back")
    assert nothing.status_code == 200 and "there is nothing to write" in nothing.text
    refused = post(app_client, "/catalog/sources/clinic/write-back", {"digest": "x"},
                   "/catalog/sources/clinic")
    assert refused.status_code == 422 and "already matches" in refused.text
    with transaction(settings) as session:
        describe_field(session, people["steward"], harvested["main.client.county"],
                       Description(definition="County of residence."))
    unsupported = app_client.get("/catalog/sources/clinic/write-back")
    assert unsupported.status_code == 400 and "PostgreSQL" in unsupported.text
    assert "Run these statements" not in unsupported.text


def test_unknown_things_are_friendly_404s(app_client: TestClient, people: dict[str, Actor]) -> None:
    sign_in(app_client, "rae")
    for path in ("/catalog/datasets/999", "/catalog/fields/999", "/catalog/sources/nope",
                 "/catalog/harvests/999", "/catalog/datasets/abc"):
        response = app_client.get(path)
        assert response.status_code == 404 and "Page not found" in response.text, path


@pytest.fixture
def pg_clinic() -> Iterator[str]:
    """A throw-away PostgreSQL source database with one uncommented table."""
    server = make_url(PG_SERVER)
    name = f"accord_w_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    source = create_engine(url, poolclass=NullPool)
    with source.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE person (id integer PRIMARY KEY, county text)")
    source.dispose()
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_write_back_to_postgresql_runs_exactly_the_previewed_statements(
    settings: Settings, app_client: TestClient, people: dict[str, Actor], pg_clinic: str
) -> None:
    with transaction(settings) as session:
        add_source(session, people["engineer"], settings.key, name="pg", location=pg_clinic)
    harvest_now(settings, people["engineer"], "pg")
    with transaction(settings) as session:
        dataset = list_datasets(session, people["engineer"])[0]
        county = next(f for f in dataset_fields(session, people["engineer"], dataset.dataset.id)
                      if f.name == "county")
        describe_field(session, people["steward"], county.id,
                       Description(definition="County of residence, as the person reported it."))
    sign_in(app_client, "eli")
    assert "Write definitions back" in app_client.get("/catalog/sources/pg").text
    preview = app_client.get("/catalog/sources/pg/write-back")
    assert preview.status_code == 200 and "COMMENT ON COLUMN" in preview.text
    assert "County of residence, as the person reported it." in preview.text
    stale = post(app_client, "/catalog/sources/pg/write-back", {"digest": "0" * 64},
                 "/catalog/sources/pg/write-back")
    assert stale.status_code == 409 and "changed since the preview" in stale.text
    digest = re.search(r'name="digest" value="([0-9a-f]{64})"', preview.text)
    assert digest
    done = post(app_client, "/catalog/sources/pg/write-back", {"digest": digest.group(1)},
                "/catalog/sources/pg/write-back")
    assert done.status_code == 303
    assert "were written to the source database" in app_client.get(done.headers["location"]).text
    source = create_engine(pg_clinic, poolclass=NullPool)
    with source.connect() as conn:
        comment = conn.exec_driver_sql(
            "SELECT col_description('person'::regclass, 2)").scalar_one()
    source.dispose()
    assert comment == "County of residence, as the person reported it."
    assert "there is nothing to write" in app_client.get("/catalog/sources/pg/write-back").text


def test_catalog_list_searches_filters_sorts_and_pages_from_the_address(
    settings: Settings,
    app_client: TestClient,
    people: dict[str, Actor],
    harvested: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with transaction(settings) as session:
        update_inventory(session, people["coordinator"], harvested["main.visit"],
                         Inventory(program="Clinic Care", description="Every visit, by day"))
    sign_in(app_client, "rae")
    home = app_client.get("/catalog")
    assert '<select id="f-program" name="program">' in home.text
    assert '<option value="Clinic Care">Clinic Care</option>' in home.text
    assert 'type="search" name="q"' in home.text and '<label for="f-q">' in home.text

    mine = app_client.get("/catalog", params={"program": "Clinic Care"})
    assert '<option value="Clinic Care" selected>' in mine.text
    assert "main.visit" in mine.text and "main.client" not in mine.text
    by_day = app_client.get("/catalog", params={"q": "BY DAY"})
    assert "main.visit" in by_day.text and "main.client" not in by_day.text

    # the source filter: the source's datasets, not one registered by hand
    with transaction(settings) as session:
        register_dataset(session, people["coordinator"], name="monthly.report", kind="report")
    assert "monthly.report" in app_client.get("/catalog").text
    clinic = app_client.get("/catalog", params={"source": "clinic"})
    assert '<option value="clinic" selected>' in clinic.text
    assert "main.visit" in clinic.text and "monthly.report" not in clinic.text
    assert 'value="BY DAY"' in by_day.text and "Clear the search and filters" in by_day.text

    newest = app_client.get("/catalog", params={"sort": "program", "order": "desc"})
    assert newest.text.index("main.visit") < newest.text.index("main.client")
    assert "by program, descending" in newest.text

    # the column headers sort: each keeps the search and filters, the current one turns the
    # order round and says its order; a new search keeps the order (hidden fields)
    chosen = {"q": "main", "program": "Clinic Care", "source": "clinic", "removed": "true"}
    sorted_page = app_client.get("/catalog", params={**chosen, "sort": "program", "order": "desc"})
    kept = "q=main&amp;program=Clinic+Care&amp;source=clinic&amp;removed=true"
    links = re.findall(
        r'class="sortable"(?: aria-sort="(\w+)")?><a href="([^"]+)">([\w ]+)<', sorted_page.text
    )
    assert links == [
        ("", f"/catalog?{kept}&amp;sort=name&amp;order=asc", "Dataset"),
        ("descending", f"/catalog?{kept}&amp;sort=program&amp;order=asc", "Program"),
        ("", f"/catalog?{kept}&amp;sort=completeness&amp;order=asc", "Described"),
        ("", f"/catalog?{kept}&amp;sort=harvested&amp;order=asc", "Last harvest"),
    ]
    assert '<input type="hidden" name="sort" value="program">' in sorted_page.text
    assert '<input type="hidden" name="order" value="desc">' in sorted_page.text
    by_name = app_client.get("/catalog").text  # by title, ascending when nothing is chosen
    assert 'aria-sort="ascending"><a href="/catalog?sort=name&amp;order=desc">Dataset' in by_name

    none = app_client.get("/catalog", params={"q": "nothing like it", "family": "PHI"})
    assert "No dataset matches this search and these filters" in none.text
    assert "look for fewer or other words than “nothing like it”" in none.text
    assert "choose “Any classification” instead of PHI" in none.text

    # pages keep every choice in their links
    monkeypatch.setattr("accord.web.pages.catalog.datasets.PAGE_SIZE", 1)
    first = app_client.get("/catalog", params={"q": "main", "sort": "harvested", "order": "desc"})
    assert 'href="/catalog?q=main&amp;sort=harvested&amp;order=desc&amp;page=2"' in first.text
    past = app_client.get("/catalog", params={"q": "main", "page": 9})
    assert past.status_code == 200 and "Page 9 is past the end of the list" in past.text


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"sort": "rowcount"}, "Sort by one of: name, program, completeness, harvested."),
        ({"family": "secret"}, "Choose one of: PII, PHI, SENSITIVE, none."),
        ({"order": "sideways"}, "order"),
        ({"page": str(2**64 + 1)}, "page"),
        ({"page": "0"}, "page"),
        ({"q": "x" * 201}, "q"),
    ],
)
def test_catalog_list_refuses_bad_query_values_with_422(
    app_client: TestClient, people: dict[str, Actor], params: dict[str, str], says: str
) -> None:
    sign_in(app_client, "rae")
    response = app_client.get("/catalog", params=params)
    assert response.status_code == 422 and says in response.text


def test_pages_show_other_departments_no_open_suggestion_or_harvest(  # issue 15, item 5
    settings: Settings,
    app_client: TestClient,
    people: dict[str, Actor],
    harvested: dict[str, int],
) -> None:
    assert suggest(settings, people["security"], "clinic", sample_size=5).created
    birth_date = f"/catalog/fields/{harvested['main.client.birth_date']}"
    make_user(settings, "kevin", "security_officer", department="DCS")
    markers = {
        "/catalog": "open suggestion",
        birth_date: "waiting for a security officer",
        "/catalog/sources/clinic": 'id="h-runs"',  # the harvests and their reports
        # neither "3 open … wait" nor "none is waiting": not theirs to know
        f"/catalog/datasets/{harvested['main.client']}": "classification suggestion",
        f"/catalog/datasets/{harvested['main.visit']}": "classification suggestion",
    }
    for username, shown in (("sky", True), ("kevin", False)):
        switch_to(app_client, username)
        for path, marker in markers.items():
            page = app_client.get(path)
            assert page.status_code == 200 and (marker in page.text) is shown, (username, path)
        for path in ("/catalog/harvests/1", "/api/v1/harvests/1"):
            assert app_client.get(path).status_code == (200 if shown else 403), (username, path)


def test_pages_show_other_departments_no_draft_description(  # issue 15, item 5
    settings: Settings,
    app_client: TestClient,
    people: dict[str, Actor],
    harvested: dict[str, int],
) -> None:
    birth_date = harvested["main.client.birth_date"]
    with transaction(settings) as session:
        describe_field(session, people["steward"], birth_date,
                       Description(label="Quixotic label", definition="Quixotic draft wording."))
        dataset_id = get_field(session, people["steward"], birth_date).dataset_id
    make_user(settings, "kevin", "security_officer", department="DCS")
    paths = (
        f"/catalog/fields/{birth_date}",
        f"/catalog/datasets/{dataset_id}",
        f"/catalog/datasets/{dataset_id}/dictionary.csv",
        f"/api/v1/datasets/{dataset_id}",
        "/catalog/search?q=quixotic",
        "/api/v1/search?q=quixotic",
    )
    for username, shown in (("sky", True), ("kevin", False)):
        switch_to(app_client, username)
        for path in paths:
            page = app_client.get(path)
            assert page.status_code == 200 and ("Quixotic" in page.text) is shown, (username, path)
        field_page = app_client.get(paths[0]).text
        assert ("Comment in the source" in field_page) is shown
