"""The catalog list's search, filters and sorting, done in SQL by ``list_datasets``; run on
SQLite and on PostgreSQL (ACCORD_TEST_DB) with the same expectations."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from accord.auth.actor import Actor
from accord.catalog.datasets import (
    DatasetFilter,
    Inventory,
    list_datasets,
    list_programs,
    register_dataset,
    update_inventory,
)
from accord.catalog.fields import classify_field
from accord.catalog.harvest.model import HarvestedDataset, HarvestedField
from accord.catalog.models import CatalogField, Dataset, Source
from accord.catalog.published import publish
from accord.config import Settings
from accord.db.engine import transaction
from accord.errors import ValidationFailed
from tests.catalog.test_drift import harvest, person_table
from tests.factories import make_user

# completeness = (defined + classified + statute-checked) / (3 × current fields):
#   person 2/9, visit 2/6, county 3/6, the hand-registered report has no fields (none)
VISIT = HarvestedDataset(
    name="public.visit_occurrence",
    kind="table",
    schema="public",
    fields=(
        HarvestedField("visit_id", 1, "INTEGER", primary_key=True),
        HarvestedField("diagnosis", 2, "TEXT", comment="Diagnosis code"),
    ),
)
COUNTY = HarvestedDataset(
    name="public.lookup_county",
    kind="table",
    schema="public",
    fields=(
        HarvestedField("county_code", 1, "TEXT", comment="County code"),
        HarvestedField("county_name", 2, "TEXT", comment="County name"),
    ),
)
HARVESTED = {  # when each was last harvested
    "public.person": datetime(2026, 1, 3, tzinfo=UTC),
    "public.visit_occurrence": datetime(2026, 1, 1, tzinfo=UTC),
    "public.lookup_county": datetime(2026, 1, 2, tzinfo=UTC),
}


@pytest.fixture
def catalog(settings: Settings, people: dict[str, Actor], source: Source) -> None:
    harvest(settings, people["engineer"], source, person_table(), VISIT, COUNTY)
    coordinator, security = people["coordinator"], people["security"]
    with transaction(settings) as session:
        ids = {d.name: d.id for d in session.query(Dataset)}
        fields = {f.name: f.id for f in session.query(CatalogField)}
        walk = Inventory(program="Walk 2 Work")
        update_inventory(session, coordinator, ids["public.person"], walk)
        update_inventory(
            session,
            coordinator,
            ids["public.visit_occurrence"],
            Inventory(program="Healthy Habits", description="Visits, 100% of clinics"),
        )
        update_inventory(
            session,
            coordinator,
            ids["public.lookup_county"],
            Inventory(description="Counties: 100 and more names"),
        )
        register_dataset(
            session,
            coordinator,
            name="Quarterly report",
            kind="report",
            change=Inventory(program="Healthy Habits"),
        )
        classify_field(session, security, fields["ssn"], ["PII:ssn"])
        classify_field(session, security, fields["diagnosis"], ["PHI:diagnosis"])
        classify_field(session, security, fields["county_name"], ["PUBLIC"])
        for name, at in HARVESTED.items():
            session.execute(update(Dataset).where(Dataset.name == name).values(harvested_at=at))


def names(
    settings: Settings, actor: Actor, limit: int = 200, offset: int = 0, **where: object
) -> list[str]:
    with transaction(settings) as session:
        rows = list_datasets(
            session, actor, where=DatasetFilter(**where), limit=limit, offset=offset
        )
        return [r.dataset.name for r in rows]


PERSON, VISIT_, COUNTY_, REPORT = (
    "public.person",
    "public.visit_occurrence",
    "public.lookup_county",
    "Quarterly report",
)


@pytest.mark.parametrize(
    ("sort", "descending", "expected"),
    [
        # titles: Lookup county, People enrolled — Walk 2 Work, Quarterly report — Healthy
        # Habits, Visit occurrence — Healthy Habits
        ("name", False, [COUNTY_, PERSON, REPORT, VISIT_]),
        ("name", True, [VISIT_, REPORT, PERSON, COUNTY_]),
        # no program last either way; within a program, by title
        ("program", False, [REPORT, VISIT_, PERSON, COUNTY_]),
        ("program", True, [PERSON, REPORT, VISIT_, COUNTY_]),
        # no fields last either way
        ("completeness", False, [PERSON, VISIT_, COUNTY_, REPORT]),
        ("completeness", True, [COUNTY_, VISIT_, PERSON, REPORT]),
        # never harvested last either way
        ("harvested", False, [VISIT_, COUNTY_, PERSON, REPORT]),
        ("harvested", True, [PERSON, COUNTY_, VISIT_, REPORT]),
    ],
)
def test_each_sort_both_ways(
    settings, people, catalog, sort: str, descending: bool, expected: list[str]
) -> None:
    assert names(settings, people["auditor"], sort=sort, descending=descending) == expected


def test_another_department_s_completeness_order_counts_published_definitions_only(
    settings, people, catalog
) -> None:
    """Harvested comments are draft definitions: counted for the department (visit 2/6 before
    county 3/6), not for another one, whose order would otherwise tell it where drafts are
    (visit and county both 1/6, then by title)."""
    requester = make_user(settings, "riley", "requester", department="DCS")
    assert names(settings, requester, sort="completeness") == [PERSON, COUNTY_, VISIT_, REPORT]
    with transaction(settings) as session:
        visit = session.scalars(select(CatalogField).where(CatalogField.name == "diagnosis")).one()
        publish(session, visit, "sam")
    # published, it counts: visit 2/6 above county 1/6
    expected = [VISIT_, COUNTY_, PERSON, REPORT]
    assert names(settings, requester, sort="completeness", descending=True) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("VISIT", {VISIT_}),  # the technical name, any case
        ("people ENROLLED", {PERSON}),  # the title
        ("counties", {COUNTY_}),  # the description
        ("100%", {VISIT_}),  # % is a character, not a wildcard ("100 and more" is not found)
        ("public_", set()),  # _ too ("public.person" is not found)
        ("  report ", {REPORT}),
        ("nowhere", set()),
    ],
)
def test_search_reads_title_name_and_description(
    settings, people, catalog, text: str, expected: set[str]
) -> None:
    assert set(names(settings, people["auditor"], text=text)) == expected


@pytest.mark.parametrize(
    ("family", "expected"),
    [
        ("PII", {PERSON}),
        ("PHI", {VISIT_}),
        ("SENSITIVE", set()),
        ("none", {COUNTY_, REPORT}),  # PUBLIC is none of the three; no fields is none
    ],
)
def test_classification_family_filter(
    settings, people, catalog, family: str, expected: set[str]
) -> None:
    assert set(names(settings, people["auditor"], family=family)) == expected


def test_a_removed_classified_field_no_longer_puts_its_dataset_in_the_family(
    settings, people, catalog
) -> None:
    with transaction(settings) as session:
        session.execute(
            update(CatalogField)
            .where(CatalogField.name == "ssn")
            .values(removed_at=datetime(2026, 1, 4, tzinfo=UTC))
        )
    assert names(settings, people["auditor"], family="PII") == []
    assert PERSON in names(settings, people["auditor"], family="none")


def test_filters_combine_with_search_sort_and_paging(settings, people, catalog) -> None:
    auditor = people["auditor"]
    assert names(settings, auditor, program="Healthy Habits", sort="name") == [REPORT, VISIT_]
    assert names(settings, auditor, program="Healthy Habits", family="none") == [REPORT]
    assert names(settings, auditor, text="o", family="none", sort="harvested") == [COUNTY_, REPORT]
    assert names(settings, auditor, program="Walk 2 Work", family="PHI") == []
    # pages of two follow the order without overlap
    pages = [names(settings, auditor, 2, offset, sort="completeness") for offset in (0, 2, 4)]
    assert pages == [[PERSON, VISIT_], [COUNTY_, REPORT], []]


def test_programs_are_listed_once_each(settings, people, catalog) -> None:
    with transaction(settings) as session:
        assert list_programs(session, people["auditor"]) == ["Healthy Habits", "Walk 2 Work"]


@pytest.mark.parametrize(
    ("where", "field"),
    [
        (DatasetFilter(sort="rowcount"), "sort"),
        (DatasetFilter(family="secret"), "family"),
        (DatasetFilter(lifecycle="gone"), "lifecycle"),
        (DatasetFilter(text="x" * 201), "q"),
    ],
)
def test_unknown_keys_are_refused_by_name(
    settings, people, where: DatasetFilter, field: str
) -> None:
    with transaction(settings) as session, pytest.raises(ValidationFailed) as refused:
        list_datasets(session, people["auditor"], where=where)
    assert [p.field for p in refused.value.problems] == [field]
