"""The public request-data page (MISSION.md, play 7): anyone reads it without signing in, and
it shows only the datasets someone who edits the inventory chose to list, and of them only
what the public may read."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.auth.actor import Actor
from accord.auth.models import AuditEntry
from accord.catalog.datasets import Inventory, list_datasets, register_dataset, update_inventory
from accord.catalog.fields import Description, classify_field, describe_field
from accord.catalog.harvest.runs import harvest_now
from accord.catalog.inventory_io import import_inventory, read_sheet, suggest_mapping
from accord.catalog.public_listing import PAGE_SIZE
from accord.config import Settings
from accord.db.engine import transaction
from accord.errors import ValidationFailed
from tests.web.helpers import csrf_of, sign_in
from tests.web.test_catalog_pages import clinic_db, harvested, people, post  # noqa: F401


def _listing(client: TestClient, **params: str) -> str:
    answer = client.get("/request-data", params=params)
    assert answer.status_code == 200
    return answer.text.split('id="data"', 1)[1]


def test_the_public_reads_only_the_datasets_listed_and_only_what_describes_them(
    app_client: TestClient,
    settings: Settings,
    people: dict[str, Actor],  # noqa: F811
    harvested: dict[str, int],  # noqa: F811
    clinic_db: Path,  # noqa: F811
) -> None:
    assert "has not listed any data here yet" in _listing(app_client)
    with transaction(settings) as session:
        describe_field(
            session,
            people["steward"],
            harvested["main.client.birth_date"],
            Description(definition="The client's date of birth, a draft."),
        )
        classify_field(
            session, people["security"], harvested["main.client.birth_date"], ["PII:date"]
        )
        update_inventory(
            session,
            people["coordinator"],
            harvested["main.visit"],
            Inventory(description="Clinic visits by day.", program="Clinics"),
        )
    # chosen on the dataset's page, by a coordinator
    sign_in(app_client, "cas")
    page = f"/catalog/datasets/{harvested['main.client']}"
    assert "Not listed" in app_client.get(page).text
    saved = post(
        app_client,
        f"{page}/inventory",
        {
            "title": "Clinic clients",
            "description": "Everyone the clinics served.",
            "program": "Clinics",
            "lifecycle": "active",
            "listed_publicly": "yes",
        },
        page,
    )
    assert saved.status_code == 303
    assert '<a href="/request-data">Listed</a>' in app_client.get(page).text
    signed_in = app_client.get("/request-data").text
    assert 'aria-label="Main"' in signed_in and "Start a request from the catalog" in signed_in
    app_client.cookies.clear()  # the public: nobody signed in

    anonymous = app_client.get("/request-data").text
    assert 'aria-label="Main"' not in anonymous and "Sign in to start a request" in anonymous
    shown = _listing(app_client)
    assert "Clinic clients" in shown and "Everyone the clinics served." in shown
    assert "Holds personal information" in shown
    # not listed, or not the public's to read: the other table, the source, fields, drafts
    for unseen in (
        "Clinic visits by day.",
        "visit",
        "clinic.sqlite",
        "birth_date",
        "a draft",
        "sqlite:///",
    ):
        assert unseen not in shown, unseen
    assert "Clinic clients" in _listing(app_client, q="served")
    assert "Clinic clients" in _listing(app_client, program="Clinics")
    assert "Nothing listed matches" in _listing(app_client, q="no such words")
    assert "Nothing listed matches" in _listing(app_client, program="Elsewhere")

    # a dataset that can no longer be requested leaves the page
    with transaction(settings) as session:
        update_inventory(
            session,
            people["coordinator"],
            harvested["main.client"],
            Inventory(lifecycle="archived"),
        )
    assert "Clinic clients" not in _listing(app_client)
    with transaction(settings) as session:
        update_inventory(
            session, people["coordinator"], harvested["main.client"], Inventory(lifecycle="active")
        )
    assert "Clinic clients" in _listing(app_client)
    # nor does a table gone from its source, once a harvest has seen it go
    with sqlite3.connect(clinic_db) as source:
        source.executescript("DROP TABLE visit; DROP TABLE client;")
    source.close()
    harvest_now(settings, people["engineer"], "clinic")
    assert "Clinic clients" not in _listing(app_client)


def test_unlisting_is_a_recorded_change_and_the_api_reads_and_sets_it(
    app_client: TestClient,
    settings: Settings,
    people: dict[str, Actor],  # noqa: F811
    harvested: dict[str, int],  # noqa: F811
) -> None:
    dataset = harvested["main.client"]
    with transaction(settings) as session:
        update_inventory(session, people["coordinator"], dataset, Inventory(listed_publicly=True))
    sign_in(app_client, "cas")
    page = f"/catalog/datasets/{dataset}"
    assert 'name="listed_publicly" value="yes" checked' in app_client.get(page).text
    # the edit form without the box ticked takes the dataset off the page
    post(app_client, f"{page}/inventory", {"lifecycle": "active"}, page)
    with transaction(settings) as session:
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "dataset.inventory")
            .order_by(AuditEntry.seq.desc())
        ).first()
        assert entry is not None and entry.object_id == str(dataset)
        assert json.loads(entry.before or "{}")["listed_publicly"] is True
        assert json.loads(entry.after or "{}")["listed_publicly"] is False
    assert "<h3>" not in _listing(app_client)

    csrf = csrf_of(app_client, page)  # the API, called from the signed-in browser
    listed = app_client.patch(
        f"/api/v1/datasets/{dataset}",
        json={"listed_publicly": True},
        headers={"x-csrf-token": csrf},
    )
    assert listed.status_code == 200, listed.text
    assert listed.json()["listed_publicly"] is True
    refused = app_client.patch(
        f"/api/v1/datasets/{dataset}",
        json={"listed_publicly": "maybe"},
        headers={"x-csrf-token": csrf},
    )
    assert refused.status_code == 422


def test_the_page_pages_and_refuses_bad_addresses(
    app_client: TestClient,
    settings: Settings,
    people: dict[str, Actor],  # noqa: F811
) -> None:
    with transaction(settings) as session:
        for n in range(PAGE_SIZE + 2):
            made = register_dataset(
                session,
                people["coordinator"],
                name=f"report {n:03}",
                kind="report",
                change=Inventory(program="Counts", listed_publicly=True),
            )
            assert made.listed_publicly
    first = _listing(app_client)
    assert "Report 000 — Counts" in first and "Next page" in first and "Previous page" not in first
    second = _listing(app_client, page="2")
    assert f"Report {PAGE_SIZE + 1:03} — Counts" in second and "Previous page" in second
    assert "Report 000 — Counts" not in second
    for bad in ({"page": "0"}, {"page": "x"}, {"q": "x" * 201}):
        assert app_client.get("/request-data", params=bad).status_code == 422


def test_an_inventory_spreadsheet_lists_and_unlists_and_refuses_other_words(
    app_client: TestClient,
    settings: Settings,
    people: dict[str, Actor],  # noqa: F811
) -> None:
    coordinator = people["coordinator"]

    def load(rows: str) -> None:
        sheet = read_sheet(f"Dataset,Listed publicly\n{rows}".encode(), "inventory.csv")
        with transaction(settings) as session:
            import_inventory(session, coordinator, sheet, suggest_mapping(sheet.headers))

    def listed() -> dict[str, bool]:
        with transaction(settings) as session:
            return {
                r.dataset.name: r.dataset.listed_publicly
                for r in list_datasets(session, coordinator)
            }

    load("Caseload,yes\nWaitlist,\n")
    assert listed() == {"Caseload": True, "Waitlist": False}
    with pytest.raises(ValidationFailed) as refused:
        load("Caseload,no\nWaitlist,maybe\n")
    assert [(p.field, p.message) for p in refused.value.listed()] == [
        ("row 3", "Listed publicly must be yes or no.")
    ]
    assert listed() == {"Caseload": True, "Waitlist": False}  # nothing of the file applied
    load("Caseload,\nWaitlist,Y\n")  # an empty cell leaves the listing as it was
    assert listed() == {"Caseload": True, "Waitlist": True}
    load("Caseload,No\n")
    assert listed()["Caseload"] is False
    sign_in(app_client, "cas")
    exported = app_client.get("/catalog/inventory/export.csv").text.splitlines()
    assert exported[0].endswith(",listed_publicly")
    assert {line.split(",")[0]: line.split(",")[-1] for line in exported[1:]} == {
        "Caseload": "no",
        "Waitlist": "yes",
    }
