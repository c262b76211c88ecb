from __future__ import annotations

import pytest

from accord.auth.actor import Actor
from accord.auth.models import User
from accord.auth.roles import Role
from accord.catalog.describing import (
    DESCRIPTION,
    assign_steward,
    completeness,
    my_work,
    ready_to_submit,
    review_description,
    set_statute_checked,
    steward_name,
    submit_for_review,
)
from accord.catalog.fields import Description, classify_field, describe_field
from accord.catalog.models import CatalogField, FieldWork
from accord.catalog.statutes import set_field_statutes
from accord.db.engine import transaction
from accord.errors import PermissionDenied, ValidationFailed
from accord.lifecycle import InvalidTransition
from tests.catalog.test_drift import fields_by_name, harvest, person_table
from tests.factories import make_user


@pytest.fixture
def catalog(settings, people, source) -> dict[str, int]:
    harvest(settings, people["engineer"], source, person_table())
    return {n: f.id for n, f in fields_by_name(settings, people["engineer"]).items()}


def test_assign_describe_submit_review_publish(settings, people, catalog) -> None:
    other = make_user(settings, "rev", "steward")
    with transaction(settings) as session:
        with pytest.raises(PermissionDenied):
            assign_steward(session, people["steward"], "sam", field_ids=[catalog["ssn"]])
        dataset_id = session.get(CatalogField, catalog["ssn"]).dataset_id
        assert assign_steward(session, people["coordinator"], "sam", dataset_id=dataset_id) == 3
    with transaction(settings) as session:
        assigned, _ = my_work(session, people["steward"])
        assert sorted(i.field.name for i in assigned) == ["birth_date", "person_id", "ssn"]
        with pytest.raises(ValidationFailed):  # person_id has no definition yet
            submit_for_review(session, people["steward"], [catalog["person_id"]])
        describe_field(session, people["steward"], catalog["ssn"],
                       Description(definition="Social Security number as issued by SSA."))
        submit_for_review(session, people["steward"], [catalog["ssn"]])
    with transaction(settings) as session:
        with pytest.raises(PermissionDenied):
            review_description(session, people["steward"], catalog["ssn"], approve=True)
        assert [i.field.name for i in my_work(session, other)[1]] == ["ssn"]
        with pytest.raises(ValidationFailed):
            review_description(session, other, catalog["ssn"], approve=False)
        review_description(session, other, catalog["ssn"], approve=True)
        assigned, _ = my_work(session, people["steward"])
        assert "ssn" not in [i.field.name for i in assigned]
    with transaction(settings) as session:  # editing a published description reopens it
        describe_field(session, people["steward"], catalog["ssn"],
                       Description(definition="SSN of the person."))
        assert "ssn" in [i.field.name for i in my_work(session, people["steward"])[0]]


def test_the_dataset_page_offers_only_this_stewards_described_drafts(
    settings, people, catalog
) -> None:
    other = make_user(settings, "rev", "steward")
    with transaction(settings) as session:
        dataset_id = session.get(CatalogField, catalog["ssn"]).dataset_id
        assign_steward(session, people["coordinator"], "sam", dataset_id=dataset_id)
        # the harvest took birth_date's definition from the source; the others have none
        assert [f.name for f in ready_to_submit(session, people["steward"], dataset_id)] == [
            "birth_date"]
        for name in ("ssn", "birth_date"):
            describe_field(session, people["steward"], catalog[name],
                           Description(definition=f"The person's {name}."))
        submit_for_review(session, people["steward"], [catalog["ssn"]])
        assert [f.name for f in ready_to_submit(session, people["steward"], dataset_id)] == [
            "birth_date"]  # ssn is in review, person_id has no definition
        assert ready_to_submit(session, other, dataset_id) == []  # not assigned to them
        assert steward_name(session, other, people["steward"].user_id) == "sam"
        assert steward_name(session, other, people["coordinator"].user_id) is None  # no steward
        session.get(User, people["steward"].user_id).is_active = False
        assert steward_name(session, other, people["steward"].user_id) is None  # a former one


def test_assign_only_to_stewards(settings, people, catalog) -> None:
    with transaction(settings) as session, pytest.raises(ValidationFailed):
        assign_steward(session, people["coordinator"], "sky", field_ids=[catalog["ssn"]])


def test_completeness_counts_each_part(settings, people, catalog) -> None:
    with transaction(settings) as session:
        dataset_id = session.get(CatalogField, catalog["ssn"]).dataset_id
        before = completeness(session, [dataset_id], people["steward"])[dataset_id]
        assert (before.fields, before.defined, before.classified, before.statute_checked) == (
            3, 1, 0, 0)
        classify_field(session, people["security"], catalog["ssn"], ["PII:ssn"])
        set_field_statutes(session, people["steward"], catalog["ssn"], ["WIC 10850"])
        set_statute_checked(session, people["steward"], catalog["person_id"], True)
        after = completeness(session, [dataset_id, 999], people["steward"])
    assert (after[dataset_id].classified, after[dataset_id].statute_checked) == (1, 2)
    assert after[dataset_id].overall == pytest.approx((1 / 3 + 1 / 3 + 2 / 3) / 3)
    assert after[999].fields == 0 and after[999].overall == 1.0


# every state x move of the describe workflow: where it leads, or "-" where it is refused
MOVES = {
    "draft": {"submit": "in_review", "publish": "-", "send_back": "-", "reopen": "-"},
    "in_review": {"submit": "-", "publish": "published", "send_back": "draft", "reopen": "draft"},
    "published": {"submit": "-", "publish": "-", "send_back": "-", "reopen": "draft"},
}


@pytest.mark.parametrize(
    ("state", "verb", "leads_to"),
    [(state, verb, to) for state, moves in MOVES.items() for verb, to in moves.items()],
)
def test_the_describe_workflow_moves_only_as_declared(
    settings, state: str, verb: str, leads_to: str
) -> None:
    actor = Actor(1, "cas", frozenset({Role.DATA_COORDINATOR, Role.STEWARD}))
    work = FieldWork(field_id=7, status=state, submitted_by="sam", steward_id=None)
    with transaction(settings) as session:
        if leads_to == "-":
            with pytest.raises(InvalidTransition):
                DESCRIPTION.apply(session, work, actor, verb)
            assert work.status == state
        else:
            DESCRIPTION.apply(session, work, actor, verb)
            assert work.status == leads_to
