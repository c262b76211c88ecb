"""Suggestions follow the department's policy (/work/shared/specs/CLASSIFICATION.md).

Each test names the sentence of the policy it pins. Families are what the policy defines, so
the assertions are on families (``pii``, ``phi``, ``sensitive``) at the likely threshold, with
the finer code where the policy names one.
"""

from __future__ import annotations

import pytest

from accord.catalog.classifier import Classifier, FieldSample, coarse_label, parse_rules

CLASSIFIER = Classifier()
THRESHOLD = CLASSIFIER.threshold


def families(dataset: str, name: str, definition: str = "") -> set[str]:
    """The families suggested as likely for a field given by its dataset and name only."""
    found = CLASSIFIER.classify(FieldSample(dataset, name, definition))
    return {coarse_label(s.label) for s in found if s.confidence >= THRESHOLD}


# "Not PII: surrogate keys generated inside the dataset to link its own rows (person_id,
# subject_id, UUIDs, *_id serial keys), even when they point at a person."
@pytest.mark.parametrize(
    ("dataset", "name"),
    [
        ("person", "person_id"),
        ("admissions", "subject_id"),
        ("visit_occurrence", "visit_occurrence_id"),
        ("patients", "Id"),
        ("Enrollment", "HouseholdID"),
        ("client", "client_id"),
    ],
)
def test_a_surrogate_key_is_not_pii_by_itself(dataset: str, name: str) -> None:
    assert "pii" not in families(dataset, name)


def test_a_surrogate_key_still_gets_a_hint_that_says_how_to_decide() -> None:
    hint = {s.label: s for s in CLASSIFIER.classify(FieldSample("person", "person_id"))}
    assert hint["PII:other_id"].confidence < THRESHOLD
    assert "source system" in hint["PII:other_id"].reason


# "Identifiers assigned by a source system outside this dataset to a person: client, case,
# child record, inmate, booking, MRN numbers — encrypted or not."
@pytest.mark.parametrize(
    ("name", "definition"),
    [
        ("client_number", ""),
        ("case_number", ""),
        ("booking_number", ""),
        ("inmate_number", ""),
        ("mrn", ""),
        ("child_id", "Child identifier, encrypted by the state"),
        ("person_key", "Identifier of the person in the source system"),
    ],
)
def test_an_identifier_from_a_source_system_is_pii(name: str, definition: str) -> None:
    assert "pii" in families("cases", name, definition)


# "The date of a clinical event is PII and PHI."
@pytest.mark.parametrize(
    ("dataset", "name"),
    [
        ("encounters", "admission_date"),
        ("encounter", "discharge_datetime"),
        ("encounters", "start_date"),
        ("visit_occurrence", "visit_end_date"),
        ("labevents", "charttime"),
        ("death", "death_date"),
        ("Inpatient_Claims", "CLM_FROM_DT"),
    ],
)
def test_the_date_of_a_clinical_event_is_pii_and_phi(dataset: str, name: str) -> None:
    assert {"pii", "phi"} <= families(dataset, name)


def test_a_date_outside_a_clinical_dataset_is_pii_only() -> None:
    assert families("employees", "start_date") == {"pii"}
    assert families("observation_period", "observation_period_start_date") == {"pii"}


# "System and audit timestamps (last_update, storetime, created_at of a row)" are not PII.
@pytest.mark.parametrize("name", ["storetime", "last_update", "created_at", "etl_load_date"])
def test_system_timestamps_are_nothing_even_in_a_clinical_dataset(name: str) -> None:
    assert families("labevents", name) == set()


# PHI: "care units and services, admission and discharge dispositions ... fact of death".
@pytest.mark.parametrize(
    ("dataset", "name"),
    [
        ("transfers", "careunit"),
        ("admissions", "discharge_location"),
        ("admissions", "admission_type"),
        ("encounters", "encounter_class"),
        ("admissions", "hospital_expire_flag"),
        ("Patient", "deceasedBoolean"),
    ],
)
def test_care_received_and_death_are_phi(dataset: str, name: str) -> None:
    assert "phi" in families(dataset, name)


# SENSITIVE: "child-welfare involvement (maltreatment, removal, placement, services)"; "the
# date of such an event is PII and SENSITIVE".
def test_placement_in_a_child_welfare_file_is_sensitive() -> None:
    assert "sensitive" in families("foster_care_placements", "placement_type")
    assert {"pii", "sensitive"} <= families("foster_care_episodes", "episode_start_date")
    assert {"pii", "sensitive"} <= families("child_welfare_cases", "removal_date")


def test_the_child_welfare_context_raises_only_in_a_child_welfare_dataset() -> None:
    assert "sensitive" in families("foster_care_episodes", "discharge_reason")
    assert "sensitive" not in families("encounters", "discharge_reason")
    assert "sensitive" not in families("encounters", "episode_start_date")


def test_criminal_history_and_its_dates_are_sensitive() -> None:
    assert "sensitive" in families("bookings", "charge_code")
    assert {"pii", "sensitive"} <= families("arrests", "arrest_date")
    # A charge in a claim is an amount, not a criminal charge.
    assert "sensitive" not in families("claims", "total_charge")


def test_housing_status_and_domestic_violence_are_sensitive() -> None:
    assert "sensitive" in families("Enrollment", "LivingSituation")
    assert "sensitive" in families("HealthAndDV", "DomesticViolenceSurvivor")


# SENSITIVE: "public benefits and eligibility (... the payer of a person's care)".
@pytest.mark.parametrize(
    ("dataset", "name"),
    [
        ("payer_plan_period", "payer_concept_id"),
        ("payer_plan_period", "payer_plan_period_start_date"),
        ("admissions", "insurance"),
        ("Coverage", "payor.reference"),
        ("IncomeBenefits", "Medicare"),
    ],
)
def test_the_payer_of_a_persons_care_is_sensitive(dataset: str, name: str) -> None:
    assert "sensitive" in families(dataset, name)


def test_a_coverage_date_carries_two_families() -> None:
    assert families("Coverage", "period.start") == {"pii", "sensitive"}


# PII covers "any natural person in the data: clients and patients, but also clinicians,
# employees ..."; "names, addresses and phone numbers of organisations" are not PII.
def test_a_clinicians_name_and_numbers_are_pii_an_organisations_are_not() -> None:
    assert "pii" in families("provider", "provider_name")
    assert "pii" in families("provider", "npi")
    assert "pii" in families("Carrier_Claims", "PRF_PHYSN_NPI_1")
    assert "pii" not in families("care_site", "care_site_name")


def test_an_organisations_address_is_lowered_by_its_dataset() -> None:
    assert "pii" in families("patients", "address")
    assert "pii" not in families("facility", "address")
    lowered = CLASSIFIER.classify(FieldSample("facility", "zip"))
    assert all("organisations" in s.reason for s in lowered if s.label == "PII:geography")


def test_parts_of_names_and_birthplace_are_pii() -> None:
    assert "pii" in families("Client", "NameSuffix")
    assert "pii" in families("patients", "BIRTHPLACE")


def test_a_lowering_context_is_read_from_a_rule_file() -> None:
    rules = parse_rules(
        """
version: 1
labels:
  PII:name:
    name: ['name']
    context:
      - dataset: ['vendors?']
        factor: 0.5
        reason: a vendor's name
"""
    )
    classifier = Classifier(rules)
    vendor = classifier.classify(FieldSample("vendor", "name"))
    person = classifier.classify(FieldSample("person", "name"))
    assert vendor[0].confidence == pytest.approx(person[0].confidence * 0.5, abs=0.001)
    assert "a vendor's name" in vendor[0].reason


def batch_families(fields: list[FieldSample]) -> list[set[str]]:
    """Families per field when the fields are classified together, as a harvest does."""
    return [
        {coarse_label(s.label) for s in found if s.confidence >= THRESHOLD}
        for found in CLASSIFIER.classify_many(fields)
    ]


# "child-welfare involvement (maltreatment, removal, placement, services) ... The date of such
# an event is PII and SENSITIVE." A file whose name does not say so is read from its fields.
def test_a_child_welfare_file_is_recognised_from_its_fields() -> None:
    fields = [
        FieldSample("child_file", "ChMal1", "Maltreatment 1 type"),
        FieldSample("child_file", "RmvDate", "Removal date"),
        FieldSample("child_file", "FosterCr", "Foster care services"),
        FieldSample("child_file", "Per1Rel", "Perpetrator 1 relationship to the child"),
        FieldSample("child_file", "Counsel", "Counseling services"),
        FieldSample("child_file", "ChSex", "Child sex"),
        FieldSample("child_file", "ChBirthDate", "Child date of birth"),
    ]
    found = batch_families(fields)
    assert found[1] == {"pii", "sensitive"}
    assert "sensitive" in found[3] and "sensitive" in found[4]
    assert found[5] == set()
    assert found[6] == {"pii"}
    # alone, with no sibling fields, "services" says nothing
    assert "sensitive" not in families("child_file", "Counsel", "Counseling services")


# "criminal history (charges, bookings, incarceration ...)": the codes of an offence are
# sensitive; the keys linking an arrestee's rows, and an arrestee's sex, are not.
def test_criminal_history_codes_versus_keys_in_a_justice_table() -> None:
    fields = [
        FieldSample("nibrs_arrestee", "arrestee_id"),
        FieldSample("nibrs_arrestee", "arrest_date"),
        FieldSample("nibrs_arrestee", "offense_type_id"),
        FieldSample("nibrs_arrestee", "sex_code"),
        FieldSample("nibrs_arrestee", "arrest_num"),
        FieldSample("nibrs_arrestee_weapon", "nibrs_arrestee_weapon_id"),
        FieldSample("nibrs_arrestee_weapon", "weapon_id"),
    ]
    found = batch_families(fields)
    assert found[0] == set()
    assert found[1] == {"pii", "sensitive"}
    assert found[2] == {"sensitive"}
    assert found[3] == set()
    assert found[4] == {"pii"}
    assert found[5] == set()
    assert found[6] == {"sensitive"}


# "names, addresses and phone numbers of organisations (a clinic's address is not a
# person's)": a table with a company's name and no person's name holds companies.
def test_a_table_of_companies_is_recognised_from_its_fields() -> None:
    companies = batch_families(
        [
            FieldSample("Customers", "CompanyName"),
            FieldSample("Customers", "ContactName"),
            FieldSample("Customers", "Address"),
            FieldSample("Customers", "Phone"),
        ]
    )
    assert companies == [set(), {"pii"}, set(), set()]
    people = batch_families(
        [
            FieldSample("Customer", "FirstName"),
            FieldSample("Customer", "Company"),
            FieldSample("Customer", "Address"),
            FieldSample("Customer", "Phone"),
        ]
    )
    assert people == [{"pii"}, set(), {"pii"}, {"pii"}]


# Natural persons named by their role, not by "name" (HL7 v2 XCN fields).
@pytest.mark.parametrize(
    ("dataset", "name"),
    [
        ("PV1", "Attending Doctor"),
        ("IN1", "Name Of Insured"),
        ("NK1", "Contact Person's Name"),
        ("PID", "Mother's Identifier"),
        ("PV1", "Visit Number"),
        ("Track", "Composer"),
        ("Artist", "Name"),
    ],
)
def test_persons_and_their_identifiers_named_without_name_or_number(
    dataset: str, name: str
) -> None:
    assert "pii" in families(dataset, name)


def test_a_things_name_is_not_a_persons() -> None:
    assert "pii" not in families("Genre", "Name")
    assert "pii" not in families("Playlist", "Name")


# "Costs and charges alone ... are not PHI", and the provenance of a code is not the code.
@pytest.mark.parametrize(
    ("dataset", "name"),
    [
        ("diagnosis", "dx_source"),
        ("diagnosis", "diagnosisid"),
        ("vital", "bp_position"),
        ("condition", "condition_type"),
        ("encounter", "facility_location"),
        ("harvest", "refresh_lab_result_cm_date"),
        ("harvest", "birth_date_mgmt"),
    ],
)
def test_provenance_and_metadata_of_clinical_columns_are_nothing(dataset: str, name: str) -> None:
    assert families(dataset, name) == set()


# Names written without separators carry the same words: "...care units and services,
# admission and discharge dispositions" are PHI however the schema spells them.
@pytest.mark.parametrize(
    ("dataset", "name", "expected"),
    [
        ("stay", "wardadmitsource", {"phi"}),
        ("stay", "hospitaldischargestatus", {"phi"}),
        ("meds", "drugname", {"phi"}),
        ("vitals", "heartrate", {"phi"}),
        ("staff", "username", {"pii"}),
    ],
)
def test_run_together_names_are_read_as_words(dataset: str, name: str, expected: set[str]) -> None:
    assert families(dataset, name) == expected


def test_a_token_is_split_only_into_known_words() -> None:
    rules = CLASSIFIER.rules
    assert rules.words is not None
    assert rules.words.split("labresult") == ("lab", "result")
    assert rules.words.split("offender") == ()  # a word of its own, not "off|end|er"
    assert rules.words.split("zzzdrug") == ()  # not wholly covered by known words


# "every date element tied to a person except the year alone": a month, hour or quarter of an
# admission, as discharge abstracts and vital records title them.
@pytest.mark.parametrize(
    ("name", "definition"),
    [
        ("ADMMO", "Month of admission"),
        ("DSCHQ", "Quarter of discharge"),
        ("BRTHHR", "Hour of birth"),
    ],
)
def test_a_month_or_hour_of_an_event_is_a_date_element(name: str, definition: str) -> None:
    assert "pii" in families("discharges", name, definition)


def test_the_year_alone_is_not_a_date_element() -> None:
    assert "pii" not in families("births", "DOB_YY", "Year of birth")


# "public benefits and eligibility (... the payer of a person's care)": a payer titled in a
# definition, a Medicare buy-in or dual status, an enrolment span.
@pytest.mark.parametrize(
    ("dataset", "name", "definition"),
    [
        ("discharges", "PAYER2", "Secondary expected payer"),
        ("episodes", "INSTYPE", "Health insurance at intake"),
        ("bene_summary", "BENE_DUAL_STUS_CD", ""),
        ("bene_summary", "MDCD_BUYIN_IND", ""),
        ("members", "ENRLMT_BGN_DT", ""),
    ],
)
def test_payers_and_benefits_named_in_claims_short_forms(
    dataset: str, name: str, definition: str
) -> None:
    assert "sensitive" in families(dataset, name, definition)


# Aggregates about an area or a population are not information about one person.
@pytest.mark.parametrize(
    ("name", "definition"),
    [
        ("pct_hispanic_hh", ""),
        ("ZIPINC_QUART", "Quartile of median household income of the patient's ZIP code"),
    ],
)
def test_shares_and_area_quartiles_are_not_a_persons_sensitive_data(
    name: str, definition: str
) -> None:
    assert "sensitive" not in families("projects", name, definition)


# "Free-text clinical notes are PII and PHI": a comments column in a table of clinical events.
def test_free_text_in_a_clinical_table_is_pii_and_phi() -> None:
    assert families("problem_observations", "comments") == {"pii", "phi"}
    assert families("problem_observations", "note_id") == set()
