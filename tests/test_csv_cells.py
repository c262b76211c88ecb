"""Cells a spreadsheet would run as formulas are written as text, and read back unchanged."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.csv_cells import restored, safe, safe_row

ATTACKS = [
    "=HYPERLINK(\"http://x\",\"y\")",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("cell", ATTACKS)
def test_formulas_become_text(cell: str) -> None:
    assert safe(cell) == "'" + cell


@pytest.mark.parametrize("number", ["-5", "+1.5", "-0.25e-3", "-.5", "12", "0"])
def test_numbers_stay_numbers(number: str) -> None:
    assert safe(number) == number


def test_ordinary_text_and_empty_cells_are_untouched() -> None:
    assert safe_row(["County", "", None, 3, "a=b", "'quoted"]) == [
        "County", "", "", "3", "a=b", "'quoted"
    ]


def test_a_value_that_already_begins_with_an_apostrophe_reads_back_exactly() -> None:
    assert safe("'=x") == "''=x" and restored("''=x") == "'=x"
    assert restored(safe("'-5")) == "'-5" and safe("'-5") == "'-5"


@given(st.text(alphabet=st.sampled_from("'=+-@\t\r5.e xA")) | st.text())
def test_restored_undoes_safe(value: str) -> None:
    assert restored(safe(value)) == value


def test_a_file_round_trips_through_the_csv_module() -> None:
    out = io.StringIO()
    csv.writer(out).writerow(safe_row(ATTACKS))
    read = next(csv.reader(io.StringIO(out.getvalue())))
    assert all(cell.startswith("'") for cell in read)
    assert [restored(cell) for cell in read] == ATTACKS
