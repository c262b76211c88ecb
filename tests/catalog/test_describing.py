from __future__ import annotations

import pytest

from accord.catalog.describing import (
    assign_steward,
    completeness,
    my_work,
    review_description,
    set_statute_checked,
    submit_for_review,
)
from accord.catalog.fields import Description, classify_field, describe_field
from accord.catalog.models import CatalogField
from accord.catalog.statutes import set_field_statutes
from accord.db.engine import transaction
from accord.errors import PermissionDenied, ValidationFailed
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


def test_assign_only_to_stewards(settings, people, catalog) -> None:
    with transaction(settings) as session, pytest.raises(ValidationFailed):
        assign_steward(session, people["coordinator"], "sky", field_ids=[catalog["ssn"]])


def test_completeness_counts_each_part(settings, people, catalog) -> None:
    with transaction(settings) as session:
        dataset_id = session.get(CatalogField, catalog["ssn"]).dataset_id
        before = completeness(session, [dataset_id])[dataset_id]
        assert (before.fields, before.defined, before.classified, before.statute_checked) == (
            3, 1, 0, 0)
        classify_field(session, people["security"], catalog["ssn"], ["PII:ssn"])
        set_field_statutes(session, people["steward"], catalog["ssn"], ["WIC 10850"])
        set_statute_checked(session, people["steward"], catalog["person_id"], True)
        after = completeness(session, [dataset_id, 999])
    assert (after[dataset_id].classified, after[dataset_id].statute_checked) == (1, 2)
    assert after[dataset_id].overall == pytest.approx((1 / 3 + 1 / 3 + 2 / 3) / 3)
    assert after[999].fields == 0 and after[999].overall == 1.0
