"""Each value detector accepts its format, rejects near misses and applies its validity rule."""

from __future__ import annotations

import pytest

from accord.catalog.classifier.detectors import DETECTORS
from accord.catalog.classifier.values import (
    luhn_ok,
    valid_nanp,
    valid_ssn,
    valid_vin,
)


def counts(detector: str, *values: str) -> tuple[int, int]:
    return DETECTORS[detector].count("\n".join(values))


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("123-45-6789", True),
        ("078-05-1120", True),
        ("000-12-3456", False),  # area 000 never issued
        ("666-12-3456", False),  # area 666 never issued
        ("900-12-3456", False),  # 900-999 reserved (ITIN / demo numbers)
        ("999-99-9999", False),
        ("123-00-4567", False),  # group 00
        ("123-45-0000", False),  # serial 0000
    ],
)
def test_ssn_validity(value: str, valid: bool) -> None:
    assert valid_ssn(value) is valid
    assert counts("ssn", value) == (1, 1 if valid else 0)


def test_ssn_format_needs_separators_and_nine_digits() -> None:
    assert counts("ssn", "123456789", "123-45-678", "12-345-6789", "123-45-67890") == (0, 0)
    assert counts("digits9", "123456789", "900123456") == (2, 1)


def test_medi_cal_cin_is_eight_digits_and_a_letter() -> None:
    assert counts("cin", "91234567A", "90000001Z") == (2, 2)
    assert counts("cin", "9123456A", "912345678A", "91234567", "9123456AB") == (0, 0)


@pytest.mark.parametrize("mbi", ["1EG4TE5MK73", "1EG4-TE5-MK73", "9AA0A00AA00", "5C23AM7KE66"])
def test_mbi_accepts_the_cms_format(mbi: str) -> None:
    assert counts("mbi", mbi) == (1, 1)


@pytest.mark.parametrize(
    "mbi",
    [
        "0EG4TE5MK73",  # first character must be 1-9
        "1SG4TE5MK73",  # S is never used
        "1EG4TL5MK73",  # L is never used
        "1EG4TE5MO73",  # O is never used
        "1EG4TE5IK73",  # I is never used
        "1BG4TE5MK73",  # B is never used
        "1ZG4TE5MK73",  # Z is never used
        "10G4TE5MK73",  # position 2 must be a letter
        "1EGYTE5MK73",  # position 4 must be a digit
        "1EG4TE5MK7",  # too short
    ],
)
def test_mbi_rejects_position_rule_violations(mbi: str) -> None:
    assert counts("mbi", mbi) == (0, 0)


def test_vin_check_digit() -> None:
    assert valid_vin("1M8GDM9AXKP042788")  # the check digit here is X
    assert valid_vin("11111111111111111")
    assert not valid_vin("1M8GDM9A1KP042788")
    assert counts("vin", "1M8GDM9AXKP042788", "1M8GDM9A1KP042788") == (2, 1)
    assert counts("vin", "1M8GDM9AXKP04278O") == (0, 0)  # O is never used in a VIN


@pytest.mark.parametrize("code", ["E11.9", "F32.A", "S72.001A", "U07.1", "Z00.00", "J45.909"])
def test_icd10cm_formats(code: str) -> None:
    assert counts("icd10cm_dotted", code) == (1, 1)


def test_icd10cm_rejects_other_shapes_and_flags_undotted_as_weaker() -> None:
    assert counts("icd10cm_dotted", "E1", "11.9", "E11.", "EE1.9", "E11.12345") == (0, 0)
    assert counts("icd10cm_dotted", "E119") == (0, 0)
    assert counts("icd10cm", "E119", "I10") == (2, 2)  # 3-character categories need a name hint


def test_icd9_procedure_and_ndc_formats() -> None:
    assert counts("icd9", "250.00", "V57.89", "E880.9", "401.9") == (4, 4)
    assert counts("icd10pcs", "0DTJ4ZZ", "0DTJ4ZI", "ABCDEFG", "1234567") == (1, 1)
    assert counts("cpt", "99213", "0001F", "0042T", "9921") == (3, 3)
    assert counts("hcpcs", "G0439", "J1885", "W1234", "G043") == (2, 2)
    assert counts("ndc", "0093-7214-01", "00093-7214-01", "68180-513-01", "50090-1234-5") == (4, 4)
    assert counts("ndc", "00093721401", "0093-72140-1") == (0, 0)


def test_loinc_check_digit() -> None:
    assert luhn_ok("45484")
    assert counts("loinc", "4548-4", "2345-7", "718-7", "2160-0", "2345-8") == (5, 4)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("192.168.1.20", True),
        ("8.8.8.8", True),
        ("2001:db8::1", True),
        ("fe80::1ff:fe23:4567:890a", True),
        ("300.1.1.1", False),
        ("1.2.3.256", False),
    ],
)
def test_ip_addresses(value: str, valid: bool) -> None:
    assert counts("ip", value) == (1, 1 if valid else 0)


def test_email_phone_url_and_dates() -> None:
    assert counts("email", "ana.ruiz@example.org", "x@y.io", "not an email", "a@b") == (2, 2)
    assert counts("phone", "(916) 555-0142", "916-555-0142", "+1 916.555.0142", "016-555-0142") == (
        4,
        3,
    )
    assert not valid_nanp("(916) 155-0142")  # exchanges do not start with 1
    assert counts("url", "https://example.org/a", "www.example.org", "example") == (2, 2)
    dates = ("1980-01-02", "01/02/1980", "19800102", "2019-03-01T10:00:00Z", "12-Jan-2020")
    assert counts("date", *dates) == (5, 5)
    assert counts("date", "19801302", "1980-13-01", "12345678", "2020") == (0, 0)


def test_keyword_detectors_match_inside_values_case_insensitively_after_lowering() -> None:
    assert counts("race", "white", "black or african american", "asian", "unknown") == (3, 3)
    assert counts("benefits", "calfresh", "medi-cal", "none") == (2, 2)
    assert counts("drug", "metformin 500 mg tablet", "lisinopril", "saline") == (2, 2)
    assert counts("street", "1420 oak street", "77 elm ave apt 4", "sacramento") == (2, 2)
