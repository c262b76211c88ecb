"""Dataset context: a clinical record makes its fields PHI, a business table does not.

CLASSIFICATION.md counts what a person's health is, and the date of a clinical event, as PHI.
Assessment items and EMS elements carry no health word in their names; the dataset they sit in
says what they are (``clinical_records`` in the rules).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from accord.catalog.classifier import Classifier, FieldSample, Suggestion, coarse_label
from accord.catalog.classifier.rules import load_rules, parse_rules
from accord.errors import ValidationFailed

CLASSIFIER = Classifier()
THRESHOLD = CLASSIFIER.threshold

# A nursing-home assessment as CMS ships it: item numbers and terse abbreviations.
ASSESSMENT = [
    FieldSample("mds_asmt_summary", "ASMT_ID", "Assessment identifier assigned by the repository"),
    FieldSample("mds_asmt_summary", "FAC_PRVDR_INTRNL_ID", "Facility internal identifier"),
    FieldSample("mds_asmt_summary", "STATE_CD", "State code"),
    FieldSample("mds_asmt_summary", "A0800_GNDR_CD", "Gender"),
    FieldSample("mds_asmt_summary", "A1600_ENTRY_DT", "Entry date (admission or reentry)"),
    FieldSample("mds_asmt_summary", "B0100_CMTS_CD", "Comatose"),
    FieldSample("mds_asmt_summary", "C0500_BIMS_SCRE_NUM", "BIMS summary score"),
    FieldSample("mds_asmt_summary", "G0110H1_EATG_SELF_CD", "Eating: self-performance"),
    FieldSample("mds_asmt_summary", "I0600_HRT_FAILR_CD", "Heart failure"),
    FieldSample("mds_asmt_summary", "I8000A_ICD_1_CD", "Additional active diagnosis ICD code"),
]


def by_name(fields: list[FieldSample]) -> dict[str, list[Suggestion]]:
    return {
        field.name: found
        for field, found in zip(fields, CLASSIFIER.classify_many(fields), strict=True)
    }


def families(found: list[Suggestion]) -> set[str]:
    return {coarse_label(s.label) for s in found if s.confidence >= THRESHOLD}


def test_items_of_a_clinical_assessment_are_phi_in_context() -> None:
    found = by_name(ASSESSMENT)
    for name in ("B0100_CMTS_CD", "C0500_BIMS_SCRE_NUM", "G0110H1_EATG_SELF_CD"):
        assert "phi" in families(found[name]), name
        phi = next(s for s in found[name] if s.label == "PHI")
        # below what a field's own evidence gives, above the threshold
        assert THRESHOLD <= phi.confidence < 0.7
        assert "table of clinical records about people" in phi.reason
        assert "'mds_asmt_summary'" in phi.reason
    # Classified alone, the same item has nothing to go on.
    assert families(CLASSIFIER.classify(ASSESSMENT[5])) == set()


def test_a_date_in_a_clinical_record_dates_a_clinical_event() -> None:
    found = by_name(ASSESSMENT)["A1600_ENTRY_DT"]
    assert families(found) == {"pii", "phi"}
    phi = next(s for s in found if s.label == "PHI")
    assert "dates a clinical event" in phi.reason


def test_keys_organisations_and_demographics_of_a_clinical_record_stay_out() -> None:
    found = by_name(ASSESSMENT)
    for name in ("ASMT_ID", "FAC_PRVDR_INTRNL_ID", "STATE_CD", "A0800_GNDR_CD"):
        assert "phi" not in families(found[name]), name


def test_a_share_of_confident_phi_fields_makes_a_record_clinical_whatever_its_name() -> None:
    fields = [
        FieldSample("t_0042", "dx_code", "Diagnosis code"),
        FieldSample("t_0042", "ndc", "National drug code of the medication"),
        FieldSample("t_0042", "svc_dt", "Service date"),
        FieldSample("t_0042", "item_17", "Shortness of breath with exertion"),
        FieldSample("t_0042", "row_id", "Row identifier"),
    ]
    found = by_name(fields)
    assert "phi" in families(found["item_17"])
    assert "2 of its 5 fields are clinical" in found["item_17"][0].reason
    assert "phi" not in families(found["row_id"])


def test_a_business_table_and_a_child_welfare_file_get_no_clinical_context() -> None:
    orders = [
        FieldSample("orders", "order_date", "Date the order was placed"),
        FieldSample("orders", "ship_mode", "How the order is shipped"),
        FieldSample("orders", "priority_text", "Order priority"),
        FieldSample("orders", "clerk_note", "Comment"),
    ]
    assert all("phi" not in families(f) for f in CLASSIFIER.classify_many(orders))
    child_file = [
        FieldSample("child_file", "ChMal1", "Maltreatment 1 type"),
        FieldSample("child_file", "RmvDate", "Removal date"),
        FieldSample("child_file", "FosterCr", "Foster care services"),
        FieldSample("child_file", "ChDisab", "Child disability"),
        FieldSample("child_file", "ChMntl", "Child mental health problem"),
        FieldSample("child_file", "ChLvng", "Child living arrangement"),
        FieldSample("child_file", "Notes7", "Worker assessment"),
    ]
    found = by_name(child_file)
    assert "phi" not in families(found["RmvDate"])
    assert "phi" not in families(found["Notes7"])


def test_without_clinical_records_rules_nothing_is_raised() -> None:
    rules = load_rules()
    plain = Classifier(replace(rules, clinical_records=None))
    found = dict(zip((f.name for f in ASSESSMENT), plain.classify_many(ASSESSMENT), strict=True))
    assert "phi" not in families(found["B0100_CMTS_CD"])


def test_clinical_records_rules_are_validated() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_rules(
            """
version: 1
clinical_records:
  datasets: ['(']
  min_phi_fields: -1
  field_confidence: 2
  colour: blue
labels:
  PHI: {name: ['diagnosis']}
"""
        )
    where = {p.field for p in caught.value.problems}
    assert {
        "clinical_records.datasets[0]",
        "clinical_records.min_phi_fields",
        "clinical_records.field_confidence",
        "clinical_records.colour",
    } <= where


@pytest.mark.parametrize("name", ["OPIOID_DOSE", "THYROID_CD", "LIPID_LVL", "COVID_RSLT"])
def test_a_health_word_ending_in_id_is_not_read_as_a_key(name: str) -> None:
    # Glued keys (PATIENTID) are no clinical item; opioid, thyroid, lipid and covid are.
    fields = [*ASSESSMENT, FieldSample("mds_asmt_summary", name, "")]
    assert "phi" in families(by_name(fields)[name])
