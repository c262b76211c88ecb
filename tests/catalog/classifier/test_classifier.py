"""The classifier's suggestions: labels, confidences and reasons on typical and odd fields."""

from __future__ import annotations

import importlib.util
import math
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.catalog.classifier import VOCABULARY, Classifier, FieldSample, Suggestion

CLASSIFIER = Classifier()
THRESHOLD = CLASSIFIER.threshold


def labels(field: FieldSample) -> dict[str, Suggestion]:
    """Suggestions at or above the threshold, by label."""
    return {s.label: s for s in CLASSIFIER.classify(field) if s.confidence >= THRESHOLD}


def test_ssn_by_name_and_valid_values() -> None:
    values = [f"{100 + i:03d}-{10 + i:02d}-{1000 + i:04d}" for i in range(48)] + ["", None]
    found = labels(FieldSample("client", "clnt_ssn", values=values))
    assert found["PII:ssn"].confidence >= 0.95
    assert "'ssn'" in found["PII:ssn"].reason
    # At most max_values (30) values are looked at per field.
    assert "30 of 30 sampled values match the SSN pattern with valid area/group/serial" in (
        found["PII:ssn"].reason
    )


def test_demo_9xx_ssns_are_flagged_as_invalid_with_lower_confidence() -> None:
    valid = labels(FieldSample("client", "ssn", values=["123-45-6789"] * 20))["PII:ssn"]
    demo = labels(FieldSample("client", "ssn", values=["987-65-4321"] * 20))["PII:ssn"]
    assert demo.confidence < valid.confidence
    assert "SSN-formatted but invalid" in demo.reason


def test_ssn_values_without_a_name_hint_are_found_by_share_not_a_single_hit() -> None:
    many = [f"5{i:02d}-12-34{i:02d}" for i in range(30)]
    assert "PII:ssn" in labels(FieldSample("t", "col_7", values=many))
    one = ["12", "7", "4", "81", "3"] * 6
    one[0] = "512-12-3456"
    assert "PII:ssn" not in labels(FieldSample("t", "col_7", values=one))


def test_fields_about_an_identifier_are_not_the_identifier() -> None:
    flags = ["Y", "N", "Y", "Y", "N", "N"]
    assert labels(FieldSample("client", "ssn_verified_flag", values=flags)) == {}
    assert labels(FieldSample("client", "SSNDataQuality", values=[1, 2, 8, 9, 99, 1])) == {}
    # An organisation's name is not a person's; a clinician's is (CLASSIFICATION.md).
    assert "PII:name" not in labels(FieldSample("claim", "facility_name"))
    assert "PII:name" in labels(FieldSample("claim", "provider_last_name"))


@pytest.mark.parametrize(
    "name", ["created_at", "updated_at", "last_modified_dttm", "etl_load_date", "record_created"]
)
def test_audit_timestamps_are_not_dates_tied_to_a_person(name: str) -> None:
    stamps = [datetime(2024, 1, 1 + i % 28, 3, 4, 5).isoformat() for i in range(30)]
    assert "PII:date" not in labels(FieldSample("visit", name, values=stamps))


def test_a_load_date_described_as_such_is_not_flagged_by_its_values() -> None:
    stamps = [f"2024-02-{1 + i % 28:02d}" for i in range(30)]
    field = FieldSample(
        "visit", "upd_ts", "Date the row was last updated by the ETL", values=stamps
    )
    assert "PII:date" not in labels(field)


def test_person_dates_and_a_diagnosis_date() -> None:
    births = [f"19{50 + i}-0{1 + i % 9}-1{i % 9}" for i in range(30)]
    assert "PII:date" in labels(FieldSample("member", "mbrDOB", values=births))
    found = labels(FieldSample("problem_list", "diagnosis_date", values=births))
    assert {"PII:date", "PHI:diagnosis"} <= set(found)
    # A year alone is not a Safe Harbor date element.
    assert "PII:date" not in labels(
        FieldSample("member", "birth_year", values=[1950 + i for i in range(30)])
    )


def test_health_plan_numbers() -> None:
    cins = [f"9{i:07d}{chr(65 + i % 26)}" for i in range(30)]
    found = labels(FieldSample("eligibility", "cin", values=cins))["PII:health_plan"]
    assert "Medi-Cal CIN" in found.reason
    mbis = ["1EG4TE5MK73", "5C23AM7KE66", "9AA0A00AA00"] * 10
    found = labels(FieldSample("enrollment", "medicare_id", values=mbis))["PII:health_plan"]
    assert "MBI" in found.reason
    assert "PII:health_plan" in labels(FieldSample("x", "col", values=mbis))


def test_phi_codes_by_value_and_name() -> None:
    icd = ["E11.9", "I10", "F32.A", "J45.909", "N18.3"] * 6
    assert "PHI:diagnosis" in labels(FieldSample("claims", "dx1", values=icd))
    loinc = ["4548-4", "2345-7", "718-7", "2160-0", "2093-3"] * 6
    assert "PHI:lab" in labels(FieldSample("results", "test_cd", values=loinc))
    ndc = ["0093-7214-01", "68180-513-01", "00378-0208-01"] * 10
    assert "PHI:medication" in labels(FieldSample("pharmacy", "product", values=ndc))
    assert "PHI:procedure" in labels(FieldSample("claims", "cpt_code", values=["99213"] * 10))


def test_sensitive_categories() -> None:
    race = ["White", "Asian", "Black or African American", "American Indian or Alaska Native"]
    assert "SENSITIVE:race_ethnicity" in labels(FieldSample("person", "r1", values=race * 5))
    assert "SENSITIVE:benefits" in labels(FieldSample("household", "calfresh_active"))
    assert "SENSITIVE:income" in labels(FieldSample("household", "gross_monthly_income"))
    assert "SENSITIVE:immigration" in labels(FieldSample("person", "citizenship_status"))
    assert "SENSITIVE:sogi" in labels(FieldSample("person", "sexual_orientation"))
    # Administrative sex alone is not SOGI data.
    assert "SENSITIVE:sogi" not in labels(FieldSample("person", "gender", values=["F", "M"] * 5))


def test_a_race_code_that_looks_like_a_loinc_code_is_not_a_lab() -> None:
    codes = ["2106-3", "2054-5", "2028-9", "1002-5", "2076-8"] * 4
    found = labels(FieldSample("patient", "race_code", values=codes))
    assert "SENSITIVE:race_ethnicity" in found
    assert "PHI:lab" not in found


def test_code_lists_are_not_records_about_people() -> None:
    field = FieldSample("concept", "concept_code", "Code of the diagnosis", values=["E11.9"] * 10)
    assert labels(field) == {}
    assert "PHI:diagnosis" in labels(
        FieldSample("claim_line", "concept_code", "Code of the diagnosis")
    )


def test_suggestions_are_sorted_bounded_and_from_the_vocabulary() -> None:
    suggestions = CLASSIFIER.classify(
        FieldSample("encounter", "dx_date", "Date of diagnosis", values=["2020-01-02"] * 10)
    )
    assert suggestions == sorted(suggestions, key=lambda s: (-s.confidence, s.label))
    assert all(s.label in VOCABULARY and 0 < s.confidence <= 1 and s.reason for s in suggestions)


def test_odd_inputs_do_not_crash() -> None:
    odd: list[object] = [
        b"123-45-6789",
        b"\xff\xfe\x00bad",
        bytearray(b"x"),
        None,
        float("nan"),
        math.inf,
        True,
        3,
        2.5,
        date(2020, 1, 2),
        object(),
        ["nested"],
        "line\nbreak",
        "   ",
    ]
    for field in (
        FieldSample("", "", values=odd),
        FieldSample("ds", "ssn", values=odd * 5),
        FieldSample("ds", "名前", "説明", values=["\u00e9\u00e8"] * 10),
        FieldSample("ds", "___", values=()),
    ):
        result = CLASSIFIER.classify(field)
        assert all(isinstance(s, Suggestion) for s in result)
    decoded = labels(FieldSample("ds", "ssn", values=[b"123-45-6789"] * 10))
    assert "10 of 10 sampled values" in decoded["PII:ssn"].reason


def test_classify_is_deterministic_and_classify_many_matches_classify() -> None:
    fields = [
        FieldSample("member", "member_ssn", values=["123-45-6789"] * 5),
        FieldSample("member", "dob", values=["1980-01-02"] * 5),
        FieldSample("lab", "result_value", values=["6.8 %"] * 5),
        FieldSample("x", "", values=[None]),
    ]
    first = CLASSIFIER.classify_many(fields)
    assert first == Classifier().classify_many(fields)
    assert first == [CLASSIFIER.classify(f) for f in fields]


def test_the_vocabulary_matches_the_catalog_migration() -> None:
    path = Path(__file__).parents[3] / "src/accord/db/migrations/versions/0002_catalog.py"
    spec = importlib.util.spec_from_file_location("migration_0002", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert {code for code, _ in module.VOCABULARY} == set(VOCABULARY)


values_strategy = st.lists(
    st.one_of(
        st.none(),
        st.text(max_size=30),
        st.binary(max_size=20),
        st.integers(),
        st.floats(allow_nan=True),
        st.booleans(),
        st.dates(),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(
    dataset=st.text(max_size=20),
    name=st.text(max_size=40),
    definition=st.text(max_size=80),
    values=values_strategy,
)
def test_any_field_gets_well_formed_suggestions(
    dataset: str, name: str, definition: str, values: list[object]
) -> None:
    result = CLASSIFIER.classify(FieldSample(dataset, name, definition, values=values))
    assert all(s.label in VOCABULARY and 0 <= s.confidence <= 0.99 for s in result)
    assert len({s.label for s in result}) == len(result)
