"""A crafted upload cannot make a huge finding: messages quote user values shortened.

A SPEC or a table sent to the engine can hold a value of megabytes (a cell, a column name,
a label, a mapping). Each finding about it is stored, rendered and sent back, so the message
quotes only the start of the value (issue 15, "messages never repr() unbounded values").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from accord.deid.findings import Finding
from accord.deid.io.files import assess_document, load_release_inputs
from accord.deid.spec.spec import parse_spec

HUGE = "x" * 1_000_000  # a 1 MB value
HUGE_MAPPING = {f"key{i}": i for i in range(100_000)}
MAX_MESSAGE = 400  # a few hundred characters: the longest fixed texts plus a few quoted values

SPEC: dict[str, Any] = {"dimensions": ["county", "age"], "count": "n"}
TABLE = (
    "county,age,n\nA,young,3\nA,old,40\nA,Total,43\nTotal,young,3\nTotal,old,40\nTotal,Total,43\n"
)


def _spec(**changes: Any) -> dict[str, Any]:
    return {**SPEC, **changes}


# SPECs as a client may send them (JSON or YAML read into a mapping)
CRAFTED_SPECS: dict[str, dict[str, Any]] = {
    "unknown SPEC key": {**SPEC, HUGE: 1},
    "unknown parameter key": _spec(parameters={HUGE: 1}),
    "parameter choice": _spec(parameters={"reason_disclosure": HUGE}),
    "parameter choice a huge mapping": _spec(parameters={"reason_disclosure": HUGE_MAPPING}),
    "complementary strategy": _spec(parameters={"complementary_strategy": [HUGE]}),
    "hierarchy for an unknown dimension": _spec(hierarchies={HUGE: {"map": {"A": "Total"}}}),
    "hierarchy map with a bad key": _spec(hierarchies={"county": {"map": {HUGE: None}}}),
    "recode for an unknown dimension": _spec(recode={HUGE: {"A": "B"}}),
    "recode of the total": _spec(total_label=HUGE, recode={"county": {HUGE: "B"}}),
    "recode to the total": _spec(total_label=HUGE, recode={"county": {"A": HUGE}}),
    "recode with a bad new category": _spec(recode={"county": {HUGE: None}}),
    "recode twice": _spec(recode={"county": {HUGE: "B", f" {HUGE} ": HUGE}}),
    "recode chained": _spec(recode={"county": {"A": HUGE, HUGE: "C"}}),
    "recode of an inclusive dimension": _spec(
        dimensions=["county", "age", HUGE], inclusive=[HUGE], recode={HUGE: {"a": "b"}}
    ),
    "drop": _spec(drop=[HUGE]),
    "inclusive": _spec(inclusive=[HUGE]),
    "wide key": _spec(wide={HUGE: 1, "dimension": "age", "columns": ["young"]}),
    "wide dimension": _spec(wide={"dimension": HUGE, "columns": ["young"]}),
    "wide names the total": _spec(total_label=HUGE, wide={"dimension": "age", "columns": [HUGE]}),
    "column named twice": _spec(dimensions=["county", HUGE], count=HUGE),
    "column named twice as a statistic": _spec(statistics=[HUGE, HUGE]),
    "statistics key": _spec(statistics=[{"column": "rate", HUGE: 1}]),
    "survey key": _spec(survey={HUGE: 1}),
    "survey profile": _spec(survey={"profile": HUGE}),
    "percent_only key": _spec(percent_only={HUGE: 1, "dimension": "age"}),
    "percent_only dimension": _spec(percent_only={"dimension": HUGE}),
    "previously_suppressed key": _spec(previously_suppressed={"file": "e.csv", HUGE: 1}),
}


def _assert_bounded(findings: list[Finding]) -> None:
    assert findings, "the crafted input must be refused or reported"
    longest = max(findings, key=lambda f: len(f.message))
    assert len(longest.message) <= MAX_MESSAGE, longest.message[:300]


@pytest.mark.parametrize("case", CRAFTED_SPECS)
def test_a_crafted_spec_gives_short_findings(case: str) -> None:
    spec, findings = parse_spec(CRAFTED_SPECS[case])
    assert spec is None
    _assert_bounded(findings)


def _through_files(tmp_path: Path, spec: dict[str, Any], table: str) -> list[Finding]:
    """The public path of an upload: the files read, the cube built, the assessment made."""
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    (tmp_path / "t.csv").write_text(table, encoding="utf-8")
    loaded, tspec, findings = load_release_inputs(tmp_path / "t.csv", tmp_path / "s.yaml")
    if loaded is None or tspec is None:
        return findings
    _, more = assess_document(loaded, tspec)
    return [*findings, *more]


def _with_cell(row: int, column: int, value: str, table: str = TABLE) -> str:
    lines = table.splitlines()
    cells = lines[row].split(",")
    cells[column] = value
    lines[row] = ",".join(cells)
    return "\n".join(lines) + "\n"


BIG = "y" * 200_000  # a long name that fits (even three times) in a SPEC file of at most 1 MB
CELL = "z" * 100_000  # a long cell that the CSV reader still reads (its limit is 128 KB a field)

CRAFTED_UPLOADS: dict[str, tuple[dict[str, Any], str]] = {
    "a 1 MB cell where a count is expected": (SPEC, _with_cell(1, 2, HUGE)),
    "a long cell where a count is expected": (SPEC, _with_cell(1, 2, CELL)),
    "a long negative count": (SPEC, _with_cell(1, 2, "-" + "1" * 100_000)),
    "a long cell where a denominator is expected": (
        _spec(denominator="pop"),
        _with_cell(1, 3, CELL, TABLE.replace("\n", ",100\n").replace("n,100", "n,pop", 1)),
    ),
    "a long availability mark": (
        _spec(availability="mark"),
        _with_cell(1, 3, CELL, TABLE.replace("\n", ",\n").replace("n,", "n,mark", 1)),
    ),
    "a long column name in the SPEC": (_spec(dimensions=["county", BIG]), TABLE),
    "a long count column in the SPEC": (_spec(count=BIG), TABLE),
    "a long column name in the table": (
        SPEC,
        TABLE.replace("\n", ",z\n").replace(",z", f",{CELL}", 1),
    ),
    "a long label outside the hierarchy": (
        _spec(hierarchies={"county": {"map": {"A": "Total"}}}),
        _with_cell(1, 0, CELL),
    ),
    "a long label that is its own parent": (
        _spec(hierarchies={"county": {"map": {"A": "Total", BIG: BIG}}}),
        TABLE,
    ),
    "a long total label given a parent": (
        _spec(total_label=CELL, hierarchies={"county": {"map": {"A": CELL, CELL: "A"}}}),
        TABLE.replace("Total", CELL),
    ),
    "a long recoded category not in the table": (_spec(recode={"county": {BIG: "B"}}), TABLE),
    "a long wide column not in the table": (
        _spec(dimensions=["county", "age"], wide={"dimension": "age", "columns": [BIG]}),
        "county,young,old\nA,3,40\n",
    ),
    "a long cell in a wide table": (
        _spec(dimensions=["county", "age"], wide={"dimension": "age", "columns": ["young"]}),
        f"county,young\nA,{CELL}\n",
    ),
    "a long number in a passed-through column": (
        _spec(pass_through=["note"]),
        _with_cell(1, 3, "1" * 100_000, TABLE.replace("\n", ",a\n").replace("n,a", "n,note", 1)),
    ),
}


@pytest.mark.parametrize("case", CRAFTED_UPLOADS)
def test_a_crafted_upload_gives_short_findings(tmp_path: Path, case: str) -> None:
    spec, table = CRAFTED_UPLOADS[case]
    _assert_bounded(_through_files(tmp_path, spec, table))


def test_short_values_are_quoted_as_before() -> None:
    _, findings = parse_spec(_spec(parameters={"no_such_parameter": 1}, drop=["sex"]))
    messages = {f.message for f in findings}
    assert "unknown parameter 'no_such_parameter'" in messages
    assert "drop names 'sex', not among dimensions" in messages
