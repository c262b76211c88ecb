"""Other departments read a field's description as last published, never a draft (issue 15,
item 5): on its page, in its dataset, in the dictionary, in search and in a proposal's basket."""

from __future__ import annotations

import pytest

from accord.catalog.checks import check_metadata
from accord.catalog.datasets import dataset_fields
from accord.catalog.describing import completeness, review_description, submit_for_review
from accord.catalog.dictionary import build_dictionary
from accord.catalog.fields import Description, describe_field, read_field
from accord.catalog.models import CatalogField, FieldWork
from accord.catalog.published import fingerprint
from accord.catalog.search import search, suggest_query
from accord.catalog.search_words import forget_vocabulary
from accord.db.engine import transaction
from accord.errors import Conflict, PermissionDenied
from accord.proposals.basket import add_to_basket, basket
from accord.proposals.drafting import elements, start_proposal
from tests.catalog.test_drift import fields_by_name, harvest, person_table
from tests.factories import make_user

FIRST = Description(label="SSN", definition="Social Security number as issued by the SSA.",
                    valid_values=[("000-00-0000", "unknown")], tags=["identifier"])
SECOND = Description(label="Taxpayer number", definition="Quixotic draft wording, unreviewed.")


@pytest.fixture
def world(settings, people, source):
    harvest(settings, people["engineer"], source, person_table())
    ids = {n: f.id for n, f in fields_by_name(settings, people["engineer"]).items()}
    reviewer = make_user(settings, "rev", "data_coordinator")
    other = make_user(settings, "dee", "requester", "data_coordinator", department="DCS")
    return ids, reviewer, other


def _describe(settings, people, field_id: int, change: Description) -> None:
    with transaction(settings) as session:
        describe_field(session, people["steward"], field_id, change)


def _publish(settings, people, reviewer, field_id: int) -> None:
    with transaction(settings) as session:
        submit_for_review(session, people["steward"], [field_id])
    with transaction(settings) as session:
        review_description(session, reviewer, field_id, approve=True)


def _seen(settings, actor, field_id: int) -> tuple[str, str, str, str, str, str]:
    with transaction(settings) as session:
        f = read_field(session, actor, field_id)
        return f.label, f.definition, f.valid_values, f.tags, f.source_comment, f.name


def _found(settings, actor, words: str) -> list[str]:
    with transaction(settings) as session:
        return [h.title for h in search(session, actor, words) if h.kind == "field"]


def test_a_draft_is_read_by_the_home_department_only(settings, people, world) -> None:
    ids, _, other = world
    _describe(settings, people, ids["ssn"], FIRST)
    home = _seen(settings, people["security"], ids["ssn"])
    assert home[:2] == ("SSN", FIRST.definition) and home[5] == "ssn"
    assert _seen(settings, other, ids["ssn"]) == ("", "", "", "", "", "ssn")
    # the source's comment, which harvests copy into a draft definition, is withheld too
    assert _seen(settings, people["security"], ids["birth_date"])[4] == "Date of birth"
    assert _seen(settings, other, ids["birth_date"])[1:5] == ("", "", "", "")
    with transaction(settings) as session:
        dataset_id = session.get(CatalogField, ids["ssn"]).dataset_id
        listed = {f.name: f.definition for f in dataset_fields(session, other, dataset_id)}
        assert listed == {"person_id": "", "birth_date": "", "ssn": ""}
        exported = build_dictionary(session, other, dataset_id)
        assert {f.name: (f.label, f.definition) for f in exported.fields}["ssn"] == ("", "")
        # completeness counts the definitions each reads (birth_date's came from its comment)
        assert completeness(session, [dataset_id], people["security"])[dataset_id].defined == 2
        assert completeness(session, [dataset_id], other)[dataset_id].defined == 0
    assert _found(settings, people["security"], "issued SSA") == ["SSN"]
    assert _found(settings, other, "issued SSA") == []
    assert _found(settings, other, "ssn") == ["ssn"]  # its name is no draft
    forget_vocabulary()
    with transaction(settings) as session:  # nor is a draft's word offered as a hint
        assert suggest_query(session, people["security"], "isued") == "issued"
        assert "issued" not in suggest_query(session, other, "isued")


def test_others_read_the_published_text_until_the_next_one_is_published(
    settings, people, world
) -> None:
    ids, reviewer, other = world
    _describe(settings, people, ids["ssn"], FIRST)
    _publish(settings, people, reviewer, ids["ssn"])
    published = ("SSN", FIRST.definition, '[{"code": "000-00-0000", "meaning": "unknown"}]',
                 "identifier", "", "ssn")
    assert _seen(settings, other, ids["ssn"]) == published
    assert _found(settings, other, "issued SSA") == ["SSN"]
    with transaction(settings) as session:
        dataset_id = session.get(CatalogField, ids["ssn"]).dataset_id
        assert completeness(session, [dataset_id], other)[dataset_id].defined == 1

    _describe(settings, people, ids["ssn"], SECOND)  # reopened as a draft
    assert _seen(settings, other, ids["ssn"]) == published
    assert _seen(settings, people["steward"], ids["ssn"])[:2] == (
        "Taxpayer number", SECOND.definition)
    assert _found(settings, other, "quixotic") == []
    assert _found(settings, people["steward"], "quixotic") == ["Taxpayer number"]
    assert _found(settings, other, "issued SSA") == ["SSN"]
    assert _found(settings, people["steward"], "issued SSA") == []  # no longer its text

    _publish(settings, people, reviewer, ids["ssn"])
    assert _seen(settings, other, ids["ssn"])[:2] == ("Taxpayer number", SECOND.definition)
    assert _found(settings, other, "quixotic") == ["Taxpayer number"]
    assert _found(settings, other, "issued SSA") == []


def test_a_basket_shows_another_department_the_published_label(settings, people, world) -> None:
    ids, reviewer, other = world
    _describe(settings, people, ids["ssn"], FIRST)
    with transaction(settings) as session:
        add_to_basket(session, other, field_ids=[ids["ssn"], ids["birth_date"]])
        assert [line.label for line in basket(session, other)] == ["", ""]
    _publish(settings, people, reviewer, ids["ssn"])
    _describe(settings, people, ids["ssn"], SECOND)
    with transaction(settings) as session:
        assert [line.label for line in basket(session, other)] == ["", "SSN"]


def test_what_others_read_cannot_be_changed_through_it(settings, people, world) -> None:
    ids, _, other = world
    with transaction(settings) as session:
        shown = read_field(session, other, ids["ssn"])
        with pytest.raises(AttributeError, match="cannot be changed"):
            shown.definition = "written through the stand-in"


def test_a_proposal_copies_the_published_description(settings, people, world) -> None:
    ids, reviewer, other = world
    _describe(settings, people, ids["ssn"], FIRST)
    _publish(settings, people, reviewer, ids["ssn"])
    _describe(settings, people, ids["ssn"], SECOND)
    _describe(settings, people, ids["person_id"], Description(definition="Never published."))
    with transaction(settings) as session:
        add_to_basket(session, other, field_ids=[ids["ssn"], ids["person_id"]])
        proposal = start_proposal(session, other, use_case_name="Outreach")
        copied = {e.field_name: (e.label, e.definition) for e in elements(session, proposal)}
    assert copied == {"ssn": ("SSN", FIRST.definition), "person_id": ("", "")}


def test_a_reviewer_publishes_only_the_text_they_read(settings, people, world) -> None:
    ids, reviewer, other = world
    _describe(settings, people, ids["ssn"], FIRST)
    with transaction(settings) as session:
        submit_for_review(session, people["steward"], [ids["ssn"]])
        read = fingerprint(session.get(CatalogField, ids["ssn"]))
    _describe(settings, people, ids["ssn"], SECOND)  # reopened, changed and submitted again
    with transaction(settings) as session:
        submit_for_review(session, people["steward"], [ids["ssn"]])
    with pytest.raises(Conflict, match="changed after you read it"), transaction(
        settings
    ) as session:
        review_description(session, reviewer, ids["ssn"], approve=True, seen=read)
    assert _seen(settings, other, ids["ssn"])[1] == ""  # nothing was published
    with transaction(settings) as session:
        now = fingerprint(session.get(CatalogField, ids["ssn"]))
        review_description(session, reviewer, ids["ssn"], approve=True, seen=now)
    assert _seen(settings, other, ids["ssn"])[1] == SECOND.definition


def test_a_definition_that_follows_a_changed_source_comment_is_reviewed_again(
    settings, people, world, source
) -> None:
    ids, reviewer, other = world
    _publish(settings, people, reviewer, ids["birth_date"])  # the harvest's "Date of birth"
    harvest(settings, people["engineer"], source, person_table(comment="Birth date, as told"))
    assert _seen(settings, people["steward"], ids["birth_date"])[1] == "Birth date, as told"
    assert _seen(settings, other, ids["birth_date"])[1] == "Date of birth"
    with transaction(settings) as session:
        work = session.get(FieldWork, ids["birth_date"])
        assert work is not None and work.status == "draft"


def test_another_department_cannot_check_metadata_that_reads_drafts(
    settings, people, world
) -> None:
    _, _, other = world
    with transaction(settings) as session:
        assert check_metadata(session, people["steward"], "hr") is not None
        with pytest.raises(PermissionDenied, match="department whose catalog"):
            check_metadata(session, other, "hr")
