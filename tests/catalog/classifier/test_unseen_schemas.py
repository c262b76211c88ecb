"""Rules for schemas the classifier was not first written from: claims and eligibility files,
vital signs, surveys, police stops, disease surveillance and business sample databases.

Each test names a policy point of CLASSIFICATION.md and a way schemas write it that the rules
used to miss (or mislabel); the field names are typical of their kind, not copied rows.
"""

from __future__ import annotations

import pytest

from accord.catalog.classifier import Classifier, FieldSample, load_rules
from accord.catalog.classifier.model import Segmenter, normalise_name

CLASSIFIER = Classifier()
THRESHOLD = CLASSIFIER.threshold
RULES = load_rules()


def families(field: FieldSample, *siblings: FieldSample) -> set[str]:
    """Families at or above the threshold; siblings make up the rest of the dataset's batch."""
    results = CLASSIFIER.classify_many([field, *siblings])
    return {s.label.split(":")[0] for s in results[0] if s.confidence >= THRESHOLD}


# --- contractions ---------------------------------------------------------------------------

WORDS = Segmenter(
    frozenset(
        {
            "eligibility",
            "outcome",
            "incarcerated",
            "incarceration",
            "period",
            "periodic",
            "original",
            "drug",
            "mental",
            "state",
            "status",
            "statute",
        }
    )
)


@pytest.mark.parametrize(
    ("token", "word"),
    [
        ("elgblty", "eligibility"),  # every vowel after the first letter dropped
        ("outcm", "outcome"),  # some vowels dropped
        ("mentl", "mental"),
        ("incarc", "incarcerated"),  # cut short; both candidates go on as "incarcerat"
    ],
)
def test_a_contraction_reads_as_the_one_word_it_shortens(token: str, word: str) -> None:
    assert WORDS.expand(token) == word


@pytest.mark.parametrize(
    "token",
    [
        "drg",  # three letters: a code of its own, not "drug"
        "period",  # a word of its own, not "periodic" cut short
        "origin",  # likewise not "original"
        "stat",  # could be state, status or statute
        "pwgtp",  # an unknown code stays as it is
    ],
)
def test_tokens_that_are_not_clearly_a_contraction_stay(token: str) -> None:
    assert WORDS.expand(token) == ""


@pytest.mark.parametrize(
    ("name", "reads"),
    [
        ("dsblty_type_cd", "disability type code"),
        ("ctznshp_ind", "citizenship ind"),
        ("crtfd_amrcn_indn_alskn_ntv_ind", "certified american indian alaskan native ind"),
        ("srvc_bgnng_dt", "service beginning date"),
        ("OutcmDte", "outcome date"),
        ("drg_type", "drg type"),
    ],
)
def test_default_rules_read_claims_and_survey_contractions(name: str, reads: str) -> None:
    assert normalise_name(name, RULES.abbreviations, RULES.words) == reads


# --- claims and eligibility -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("dataset", "name", "expected"),
    [
        ("elig", "ctznshp_ind", {"SENSITIVE"}),  # citizenship
        ("elig", "imgrtn_stus_cd", {"SENSITIVE"}),  # immigration status
        ("elig", "incm_cd", {"SENSITIVE"}),  # income
        ("dsblty_info", "dsblty_type_cd", {"PHI"}),  # disability
        ("elig", "crtfd_amrcn_indn_alskn_ntv_ind", {"SENSITIVE"}),  # race
        ("elig", "rstrctd_bnfts_cd", {"SENSITIVE"}),  # restricted benefits
        ("elig", "elgblty_grp_cd", {"SENSITIVE"}),  # Medicaid eligibility group
        ("mc", "mc_plan_id", {"SENSITIVE"}),  # the plan that pays, not a care plan
        ("claims", "xovr_ind", {"SENSITIVE"}),  # Medicare-Medicaid crossover
        ("claim_line", "rev_cd", {"PHI"}),  # revenue centre
        ("claim_line", "suply_days_cnt", {"PHI"}),  # days supplied
        ("claim_line", "srvc_bgnng_dt", {"PII", "PHI"}),  # date of service
        ("claim", "orgnl_clm_num", {"PII"}),  # a payer's claim number
        ("claim", "rendering_provider_npi", {"PII"}),  # a clinician
        ("claim", "blg_prvdr_npi_num", set()),  # the billing organisation
        ("claim", "dispensing_provider_npi", set()),  # a pharmacy
        ("claim", "adjdctn_dt", set()),  # when the payer processed it
    ],
)
def test_claims_and_eligibility_fields(dataset: str, name: str, expected: set[str]) -> None:
    assert families(FieldSample(dataset, name)) == expected


def test_a_medical_claim_is_not_a_medi_cal_benefit() -> None:
    """'medi ?cal' once matched "medical", making every date of a medical claim a benefit."""
    found = families(
        FieldSample("medical_claim", "admission_date"),
        FieldSample("medical_claim", "diagnosis_code_1"),
        FieldSample("medical_claim", "hcpcs_code"),
        FieldSample("medical_claim", "drg_code"),
    )
    assert found == {"PII", "PHI"}


# --- clinical -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sbp", "dbp", "resprate", "o2sat", "pain", "temperature"])
def test_vital_signs_as_triage_tables_name_them(name: str) -> None:
    assert "PHI" in families(FieldSample("triage", name))


def test_a_free_text_note_is_pii_and_phi() -> None:
    assert families(FieldSample("noteevents", "text")) == {"PII", "PHI"}


def test_a_survey_weight_is_not_a_body_weight() -> None:
    assert families(FieldSample("psam_p", "PWGTP", definition="Person weight")) == set()


@pytest.mark.parametrize(
    ("name", "definition", "expected"),
    [
        ("DEAR", "Hearing difficulty", {"PHI"}),
        ("HINS3", "Medicare", {"SENSITIVE"}),
        ("RNTP", "Monthly rent", {"SENSITIVE"}),
        ("PUMA", "Public use microdata area code", {"PII"}),
        ("YOEP", "Year of entry to the US", {"SENSITIVE"}),
    ],
)
def test_survey_items_by_their_titles(name: str, definition: str, expected: set[str]) -> None:
    assert families(FieldSample("psam_p", name, definition=definition)) == expected


def test_an_education_level_is_not_an_emergency_department() -> None:
    """ "Ed" is education as often as the emergency department."""
    assert "PHI" not in families(FieldSample("outcomes", "EdLevl"))


# --- justice and business -------------------------------------------------------------------


def test_police_stop_outcomes_are_sensitive_and_its_time_a_date() -> None:
    stop = [
        FieldSample("stops", "contraband_found"),
        FieldSample("stops", "frisk_performed"),
        FieldSample("stops", "citation_issued"),
        FieldSample("stops", "time"),
    ]
    results = CLASSIFIER.classify_many(stop)
    found = [{s.label.split(":")[0] for s in r if s.confidence >= THRESHOLD} for r in results]
    assert found[:3] == [{"SENSITIVE"}] * 3
    assert found[3] == {"PII", "SENSITIVE"}


def test_an_office_address_is_not_a_persons() -> None:
    assert families(FieldSample("offices", "addressLine1")) == set()
    assert families(FieldSample("offices", "phone")) == set()
