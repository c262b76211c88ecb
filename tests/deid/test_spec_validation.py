"""Malformed SPECs and ScoringUnits come back as typed findings, never as exceptions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.deid.findings import Finding
from accord.deid.io.files import assess_document, load_release_inputs, score_document
from accord.deid.scoring.scoring import score_presentation
from accord.deid.spec.params import Parameters
from accord.deid.spec.spec import KNOWN_KEYS, load_spec, parse_spec
from tests.deid.conftest import COUNTY_AGE_CSV

BASE_SPEC: dict[str, Any] = {"dimensions": ["county", "age"], "count": "n", "score": 14}
BASE_UNIT: dict[str, Any] = {
    "events": {"min_nonzero_cell": 3},
    "time": {"period": "year"},
    "geography": {"basis": "residence", "min_population": 39_000_000},
}
UNIT_FIELDS = (
    "name",
    "events",
    "time",
    "geography",
    "service_restricted_to_residents",
    "coverage",
    "expected_payer",
    "variables",
    "high_risk",
    "presentation",
    "units",
)
# Words the parsers look for, so that generated mappings often reach the deeper checks.
VOCABULARY = [
    *sorted(KNOWN_KEYS),
    *BASE_UNIT,
    *UNIT_FIELDS,
    "county",
    "age",
    "n",
    "rate",
    "Total",
    "A",  # categories of the table, so that a generated recode merges some
    "B",
    "young",
    "old",
    "h.csv",
    "map",
    "file",
    "child",
    "parent",
    "column",
    "per",
    "decimals",
    "profile",
    "sample_size",
    "estimate",
    "rse",
    "se",
    "design_effect",
    "dimension",
    "published",
    "unpublished",
    "small_cell_threshold",
    "complementary_strategy",
    "min_nonzero_cell",
    "period",
    "years",
    "year",
    "multi_year",
    "basis",
    "residence",
    "service",
    "level",
    "address",
    "area",
    "urban",
    "min_population",
    "min_members",
    "geography_population",
    "programs",
    "enrollment",
    "type",
    "scheme",
    "ranges",
    "categories",
    "groups",
    "population",
    "population_band",
    "min_group_population",
    "n_groups",
    "race",
    "language",
    "broad",
    "detailed",
    "other",
    "independent",
]
words = st.sampled_from(VOCABULARY) | st.text(max_size=8)
json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | words,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(words, inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("spec-validation")
    (path / "table.csv").write_text(COUNTY_AGE_CSV)
    (path / "h.csv").write_text("child,parent\nA,North\nB,North\nC\n")
    return path


def spec_with(**changes: Any) -> dict[str, Any]:
    return {**BASE_SPEC, **changes}


def load(folder: Path, raw: Any, name: str = "spec.yaml") -> list[Finding]:
    """Everything `assess` does with a SPEC; the findings, which must be findings only."""
    (folder / name).write_text(yaml.safe_dump(raw))
    loaded, spec, findings = load_release_inputs(folder / "table.csv", folder / name)
    if loaded is not None and spec is not None:
        _, more = assess_document(loaded, spec)
        findings = [*findings, *more]
    assert all(isinstance(f, Finding) for f in findings)
    return findings


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


@pytest.mark.parametrize(
    ("key", "value", "expected", "given_type"),
    [
        ("parameters", 1, "a mapping", "integer"),
        ("hierarchies", 1, "a mapping of dimension to hierarchy", "integer"),
        ("statistics", 1, "a list of columns", "integer"),
        ("inclusive", True, "a list of dimension names", "boolean"),
        ("denominator", ["x"], "a column name", "list"),
        ("high_risk", "yes", "true or false", "text"),
        ("title", {"a": 1}, "a text", "mapping"),
        ("scoring", [], "a ScoringUnit mapping", "list"),
        ("survey", "NHIS", "a mapping", "text"),
        ("recode", 1, "a mapping of dimension to {category: new category}", "integer"),
    ],
)
def test_wrong_type_of_a_spec_key_is_a_typed_finding(
    folder: Path, key: str, value: Any, expected: str, given_type: str
) -> None:
    spec, findings = parse_spec(spec_with(**{key: value}), folder)
    f = only(findings)
    assert spec is None and f.rule == "bad-spec"
    assert dict(f.details) == {"key": key, "expected": expected, "given": given_type}
    assert f.message.startswith(f"{key} must be {expected}, not {given_type}")
    assert only(load(folder, spec_with(**{key: value}))) == f  # and the loader agrees


def test_denominator_list_no_longer_reaches_the_cube(folder: Path) -> None:
    f = only(load(folder, spec_with(denominator=["x"])))
    assert f.message == "denominator must be a column name, not list ['x']"


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        (1, "statistics[0]"),
        ({"per": 100}, "statistics[0].column"),
        ({"column": "rate", "per": "100"}, "statistics[0].per"),
        ({"column": "rate", "per": 0}, "statistics[0].per"),
        ({"column": "rate", "decimals": 1.5}, "statistics[0].decimals"),
    ],
)
def test_bad_statistics_entries(folder: Path, entry: Any, key: str) -> None:
    _, findings = parse_spec(spec_with(statistics=[entry]), folder)
    assert only(findings).details["key"] == key


def test_hierarchy_parts_are_checked(folder: Path) -> None:
    _, findings = parse_spec(spec_with(hierarchies={"county": {"map": {"A": ["x"]}}}), folder)
    assert only(findings).details["key"] == "hierarchies.county.map['A']"
    raw = {"county": {"file": "h.csv", "child": 1, "parent": "parent"}}
    _, findings = parse_spec(spec_with(hierarchies=raw), folder)
    assert only(findings).details == {
        "key": "hierarchies.county.child",
        "expected": "a column name",
        "given": "integer",
    }


def test_hierarchy_file_that_is_a_folder_or_short_rows(folder: Path) -> None:
    raw = {"county": {"file": ".", "child": "child", "parent": "parent"}}
    _, findings = parse_spec(spec_with(hierarchies=raw), folder)
    assert "does not exist" in only(findings).message
    raw = {"county": {"file": "h.csv", "child": "child", "parent": "parent"}}
    spec, findings = parse_spec(spec_with(hierarchies=raw), folder)
    assert spec is not None and findings == []  # the short row "C" has an empty parent


def test_spec_that_is_not_utf8(folder: Path) -> None:
    (folder / "latin1.yaml").write_bytes(b"title: caf\xe9\ndimensions: [county]\ncount: n\n")
    spec, findings = load_spec(folder / "latin1.yaml")
    assert spec is None and "not UTF-8" in only(findings).message
    loaded, spec, findings = load_release_inputs(folder / "table.csv", folder / "latin1.yaml")
    assert loaded is None and spec is None and only(findings).rule == "bad-spec"


def test_spec_with_an_impossible_date(folder: Path) -> None:
    (folder / "date.yaml").write_text("title: 2020-13-45\ndimensions: [county]\ncount: n\n")
    spec, findings = load_spec(folder / "date.yaml")
    assert spec is None and only(findings).rule == "bad-spec"


@pytest.mark.parametrize(
    ("change", "key", "given_type"),
    [
        ({"coverage": True}, "coverage", "boolean"),
        ({"time": {"period": []}}, "time.period", "list"),
        ({"time": 5}, "time", "integer"),
        ({"events": []}, "events", "list"),
        ({"geography": "state"}, "geography", "text"),
        ({"expected_payer": {"programs": 1}}, "programs", "integer"),
        ({"expected_payer": {"programs": [1]}}, "programs[0]", "integer"),
        ({"variables": {"type": "age"}}, "variables", "mapping"),
        ({"variables": [1]}, "variables[0]", "integer"),
        ({"variables": [{"type": ["age"]}]}, "variables.type", "list"),
        ({"variables": [{"type": "race", "scheme": {}}]}, "race.scheme", "mapping"),
        (
            {"variables": [{"type": "race", "scheme": "broad", "categories": 3}]},
            "race.categories",
            "integer",
        ),
        ({"high_risk": "yes"}, "high_risk", "text"),
        ({"name": 7}, "name", "integer"),
    ],
)
def test_wrong_type_in_a_scoring_unit_is_a_typed_finding(
    change: dict[str, Any], key: str, given_type: str
) -> None:
    doc, findings = score_document({**BASE_UNIT, **change})
    f = only(findings)
    assert doc is None and f.rule == "bad-scoring-unit"
    assert f.details["key"] == key and f.details["given"] == given_type
    assert f"{key} must be " in f.message and f", not {given_type}" in f.message


def test_independent_units_that_are_not_objects() -> None:
    doc, findings = score_document({"presentation": "independent", "units": [BASE_UNIT, 3]})
    assert doc is None and only(findings).details["key"] == "units[1]"


@pytest.mark.parametrize("key", sorted(KNOWN_KEYS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_like)
def test_any_value_of_a_spec_key_gives_findings_not_exceptions(
    folder: Path, key: str, value: Any
) -> None:
    raw = spec_with(**{key: value})
    spec, findings = parse_spec(raw, folder)
    assert (spec is None) == bool(findings)
    load(folder, raw, f"spec-{key}.yaml")


@pytest.mark.parametrize("field", UNIT_FIELDS)
@settings(max_examples=60, deadline=None)
@given(value=json_like)
def test_any_value_of_a_scoring_unit_field_gives_findings_not_exceptions(
    field: str, value: Any
) -> None:
    unit = {**BASE_UNIT, field: value}
    for report in score_presentation(unit, Parameters()):
        assert all(isinstance(f, Finding) for f in report.findings)
    doc, findings = score_document(unit)
    assert (doc is None) == bool(findings)


def _load(folder: Path, name: str, table: str, spec: str = "") -> list[Finding]:
    (folder / name).write_text(table, encoding="utf-8")
    (folder / f"{name}.yaml").write_text(spec or yaml.safe_dump(BASE_SPEC))
    loaded, _, findings = load_release_inputs(folder / name, folder / f"{name}.yaml")
    assert (loaded is None) == bool(findings), findings
    return findings


def test_spreadsheet_csv_with_semicolons_or_tabs_is_read(folder: Path) -> None:
    """Spreadsheets in many locales save "CSV" with semicolons; a header with no comma in it
    is split on what it does have."""
    for sep in (";", "\t"):
        text = COUNTY_AGE_CSV.replace(",", sep)
        assert _load(folder, "semi.csv", text) == []
    # a comma header keeps commas, whatever the values hold
    text = "county,age,n,note\nA,young,3,a;b\nA,old,40,c\n"
    assert _load(folder, "mixed.csv", text) == []


def test_a_missing_column_names_the_columns_the_table_has(folder: Path) -> None:
    findings = _load(folder, "cols.csv", "County,Age,N\nA,young,3\n")
    assert [f.rule for f in findings] == ["unknown-column"] * 3
    assert findings[0].message == (
        "SPEC names column 'county', which TABLE does not have (it has 'County', 'Age', 'N')"
    )


def test_a_count_with_thousands_separators_says_so(folder: Path) -> None:
    text = 'county,age,n\nA,young,"1,234"\nA,old,3.5\n'
    first, second = _load(folder, "thousands.csv", text)
    assert first.message == (
        "count '1,234' is not a whole number (write it without thousands separators)"
    )
    assert second.message == "count '3.5' is not a whole number"
