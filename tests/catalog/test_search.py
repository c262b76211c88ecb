from __future__ import annotations

import pytest

from accord.catalog.datasets import Inventory, update_inventory
from accord.catalog.fields import Description, classify_field, describe_field
from accord.catalog.glossary import save_term
from accord.catalog.search import Filters, search
from accord.catalog.statutes import set_field_statutes
from accord.config import Settings
from accord.db.engine import transaction
from tests.catalog.test_drift import fields_by_name, harvest, person_table


@pytest.fixture
def catalog(settings, people, source) -> dict[str, int]:
    harvest(settings, people["engineer"], source, person_table())
    found = fields_by_name(settings, people["engineer"])
    with transaction(settings) as session:
        describe_field(
            session,
            people["steward"],
            found["ssn"].id,
            Description(definition="Social Security number of the enrolled person."),
        )
        classify_field(session, people["security"], found["ssn"].id, ["PII:ssn"])
        set_field_statutes(session, people["steward"], found["ssn"].id, ["WIC 10850(a)"])
        update_inventory(
            session,
            people["coordinator"],
            found["ssn"].dataset_id,
            Inventory(program="Walk 2 Work", title="Enrolled people"),
        )
        save_term(
            session,
            people["steward"],
            term="Medi-Cal",
            acronym="MC",
            definition="California's Medicaid program.",
        )
    return {name: f.id for name, f in found.items()}


def titles(settings: Settings, actor, query: str, **filters: str) -> list[tuple[str, str]]:
    with transaction(settings) as session:
        return [(h.kind, h.title) for h in search(session, actor, query, Filters(**filters))]


def test_finds_fields_datasets_and_terms_by_prefix(settings, people, catalog) -> None:
    assert ("field", "ssn") in titles(settings, people["auditor"], "social secur")
    assert titles(settings, people["auditor"], "enrolled people")[0] == (
        "dataset",
        "Enrolled people",
    )
    assert titles(settings, people["auditor"], "medicaid") == [("term", "Medi-Cal")]


def test_filters(settings, people, catalog) -> None:
    auditor = people["auditor"]
    assert titles(settings, auditor, "person", kind="field", classification="PII") == [
        ("field", "ssn")
    ]
    assert titles(settings, auditor, "person", kind="field", classification="PII:ssn") == [
        ("field", "ssn")
    ]
    assert titles(settings, auditor, "person", kind="field", classification="PHI") == []
    assert titles(settings, auditor, "social", statute="WIC 10850") == [("field", "ssn")]
    assert titles(settings, auditor, "social", program="Healthy Habits") == []
    assert titles(settings, auditor, "social", program="Walk 2 Work") == [("field", "ssn")]


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced',
        "ssn OR",
        "NEAR(ssn",
        "'; DROP TABLE catalog_field; --",
        "*",
        "a:b AND (",
        "ssn & | !",
        "\\",
    ],
)
def test_query_syntax_is_just_words(settings, people, catalog, query: str) -> None:
    titles(settings, people["auditor"], query)  # no error
    with transaction(settings) as session:
        from sqlalchemy import func, select

        from accord.catalog.models import CatalogField

        assert session.scalar(select(func.count()).select_from(CatalogField)) == 3


def test_renamed_definition_is_searchable_at_once(settings, people, catalog) -> None:
    with transaction(settings) as session:
        describe_field(
            session,
            people["steward"],
            catalog["birth_date"],
            Description(definition="Calendar date on which the person was born."),
        )
    assert ("field", "birth_date") in titles(settings, people["auditor"], "calendar born")


def hits(settings: Settings, actor, query: str):
    with transaction(settings) as session:
        return search(session, actor, query)


def test_a_hit_names_itself_and_its_dataset_in_words_and_technically(
    settings, people, catalog
) -> None:
    [dataset] = [h for h in hits(settings, people["auditor"], "enrolled") if h.kind == "dataset"]
    assert (dataset.title, dataset.name) == ("Enrolled people", "public.person")
    [ssn] = [h for h in hits(settings, people["auditor"], "social secur") if h.kind == "field"]
    assert (ssn.title, ssn.dataset_title, ssn.dataset_name) == (
        "ssn",
        "Enrolled people",
        "public.person",
    )
    assert ssn.snippet == "Social Security number of the enrolled person."


def test_abbreviations_find_what_they_stand_for(settings, people, catalog) -> None:
    with transaction(settings) as session:
        describe_field(
            session,
            people["steward"],
            catalog["birth_date"],
            Description(definition="Date of birth of the person."),
        )
    assert ("field", "birth_date") in titles(settings, people["auditor"], "dob")
    assert ("field", "birth_date") in titles(settings, people["auditor"], "DOB person")
    assert ("field", "ssn") in titles(settings, people["auditor"], "ssn")


def test_a_glossary_acronym_finds_its_term_and_back(settings, people, catalog) -> None:
    with transaction(settings) as session:
        save_term(session, people["steward"], term="Enrolment", acronym="ENR", definition="x")
    assert ("dataset", "Enrolled people") in titles(settings, people["auditor"], "enr")
    assert ("term", "Enrolment") in titles(settings, people["auditor"], "enr")


def test_no_results_offer_the_index_s_own_words(settings, people, catalog) -> None:
    from accord.catalog.search import suggest_query
    from accord.catalog.search_words import forget_vocabulary

    forget_vocabulary()  # another test's database may have had the same URL
    assert titles(settings, people["auditor"], "sociel securty") == []
    with transaction(settings) as session:
        assert suggest_query(session, people["auditor"], "sociel securty") == "social security"
        assert suggest_query(session, people["auditor"], "social security") == ""
