"""`accord deid` sub-app: release outputs, bad input, audit of published tables, scoring."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.deid import app
from tests.deid.conftest import COUNTY_AGE_CSV

# `accord deid release` acts as a user and keeps the release in the database
pytestmark = pytest.mark.usefixtures("deid_user")

runner = CliRunner()

TABLE = COUNTY_AGE_CSV
SPEC = "dimensions: [county, age]\ncount: n\nstatistics: [rate]\nscore: 14\n"


def write(tmp: Path, table: str = TABLE, spec: str = SPEC) -> tuple[Path, Path]:
    (tmp / "t.csv").write_text(table)
    (tmp / "s.yaml").write_text(spec)
    return tmp / "t.csv", tmp / "s.yaml"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open() as fh:
        return list(csv.DictReader(fh))


def test_release_writes_both_forms_and_report(tmp_path):
    t, s = write(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, ["release", str(t), "--spec", str(s), "--out", str(out)])
    assert result.exit_code == 0, result.output
    published = rows(out / "table.csv")
    a_young = next(r for r in published if r["county"] == "A" and r["age"] == "young")
    assert a_young["n"] == "" and a_young["rate"] == "" and a_young["annotation"] == "1"
    c_old = next(r for r in published if r["county"] == "C" and r["age"] == "old")
    assert c_old["n"] == "0" and c_old["rate"] == "0.0" and c_old["annotation"] == ""
    # §10.3 rule 3: 12 people shown as 0.0 is withheld (a rounded zero only for a true zero)
    c_young = next(r for r in published if r["county"] == "C" and r["age"] == "young")
    assert c_young["n"] == "12" and c_young["rate"] == ""
    report = json.loads((out / "report.json").read_text())
    assert len(report["rows"]) == 12
    by_cell = {(r["cell"]["county"], r["cell"]["age"]): r for r in report["rows"]}
    assert by_cell[("A", "young")]["reason"] == "primary"
    assert by_cell[("C", "young")]["reason"] == "derived"
    assert by_cell[("A", "young")]["interval"]["feasible_values"] >= 4
    assert sum(r["reason"] == "complementary" for r in report["rows"]) >= 1
    assert (out / "report.html").read_text().startswith("<!doctype html>")
    assert "S: count below 11" in (out / "table.md").read_text()
    assert "rate_annotation" in published[0]  # §16 A16: one annotation per value column


@pytest.mark.parametrize(
    ("table", "spec", "needle"),
    [
        (TABLE.replace("A,young,3,", "A,young,-3,"), SPEC, "count-negative"),
        (TABLE.replace("A,young,3,", "A,young,3.5,"), SPEC, "count-not-integer"),
        (TABLE.replace("A,Total,43,", "A,Total,44,"), SPEC, "margin-mismatch"),
        (TABLE, SPEC.replace("count: n", "count: people"), "unknown-column"),
        (
            TABLE,
            SPEC + "hierarchies:\n  county: {map: {A: R1, B: R1, R1: R2, R2: R1}}\n",
            "hierarchy-cycle",
        ),
        (TABLE, SPEC + "hierarchies:\n  county: {map: {A: R1, B: R1}}\n", "hierarchy-orphan"),
        (TABLE + "A,young,3,0.1\n", SPEC, "duplicate-cell"),
    ],
)
def test_bad_input_lists_problems_and_writes_nothing(tmp_path, table, spec, needle):
    t, s = write(tmp_path, table, spec)
    out = tmp_path / "out"
    result = runner.invoke(app, ["release", str(t), "--spec", str(s), "--out", str(out)])
    assert result.exit_code == 2
    assert needle in result.output
    assert not out.exists()


def test_all_problems_are_listed_at_once(tmp_path):
    bad = TABLE.replace("A,young,3,", "A,young,-3,").replace("B,old,30,", "B,old,x,")
    t, s = write(tmp_path, bad)
    result = runner.invoke(app, ["assess", str(t), "--spec", str(s)])
    assert result.exit_code == 2
    assert "count-negative" in result.output and "count-not-integer" in result.output


def test_hierarchy_file_and_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "counties.csv").write_text("county,region\nA,North\nB,North\nC,South\n")
    spec = SPEC + "hierarchies:\n  county: {file: counties.csv, child: county, parent: region}\n"
    _, s = write(tmp_path, TABLE, spec)
    records = list(csv.DictReader(TABLE.splitlines()))
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "t.parquet")
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["release", str(tmp_path / "t.parquet"), "--spec", str(s), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output


def test_assess_reports_score_and_decision(tmp_path):
    spec = (
        "dimensions: [county, age]\ncount: n\nscoring:\n  time: {period: year}\n"
        "  geography: {basis: residence, min_population: 1163}\n"
    )
    t, s = write(tmp_path, TABLE, spec)
    result = runner.invoke(app, ["assess", str(t), "--spec", str(s)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    # events come from the table's smallest non-zero cell (3; §16 A3 ignores the zero)
    assert doc["score_reports"][0]["components"]["events"] == 7
    assert doc["score_reports"][0]["components"]["interaction"] == -3
    assert doc["masking_required"] is False


def test_audit_finds_example3_rounded_percentage(tmp_path):
    """DDG 4.4.3 Example 3: XXX's 0.0% of 7,500 shows its count is 1 to 3."""
    published = (
        "area,n,pct,pop,annotation\nXXX,,0.0,7500,1\nYYY,15,1.0,1500,\n"
        "ZZZ,0,0.0,900,\nWWW,40,2.0,2000,\nTotal,58,,,\n"
    )
    spec = (
        "dimensions: [area]\ncount: n\ndenominator: pop\n"
        "statistics: [{column: pct, per: 100, decimals: 1}]\n"
    )
    t, s = write(tmp_path, published, spec)
    result = runner.invoke(app, ["audit", str(t), "--spec", str(s)])
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["passed"] is False
    assert "derived-not-suppressed" in result.output


@pytest.mark.parametrize(("annotated", "passes"), [(True, False), (False, True)])
def test_audit_example4_depends_on_reason_disclosure(tmp_path, annotated, passes):
    ann = ["", "", "1", "2", "", "", "", ""]
    vals = ["14", "14", "", "", "0", "0", "0", "30"]
    header = "a,n,annotation" if annotated else "a,n"
    lines = [header] + [
        f"A{i + 1},{v}" + (f",{c}" if annotated else "")
        for i, (v, c) in enumerate(zip(vals, ann, strict=True))
    ]
    lines.append("Total,70" + ("," if annotated else ""))
    t, s = write(tmp_path, "\n".join(lines) + "\n", "dimensions: [a]\ncount: n\n")
    result = runner.invoke(app, ["audit", str(t), "--spec", str(s)])
    assert (result.exit_code == 0) is passes, result.output


def test_score_command_prints_7_10_fields(tmp_path):
    unit = {
        "events": {"min_nonzero_cell": 1},
        "time": {"period": "year"},
        "geography": {"basis": "residence", "min_population": 1163},
    }
    (tmp_path / "u.json").write_text(json.dumps(unit))
    result = runner.invoke(app, ["score", str(tmp_path / "u.json")])
    assert result.exit_code == 0
    doc = json.loads(result.output)
    assert doc["total"] == 14 and doc["masking_required"] is True
    assert doc["components"]["population_table"] == "residence"


def test_score_command_rejects_bad_unit(tmp_path):
    (tmp_path / "u.json").write_text(json.dumps({"time": {"period": "fortnight"}}))
    result = runner.invoke(app, ["score", str(tmp_path / "u.json")])
    assert result.exit_code == 2


HOSPITAL = {"name": "hospital", "classification": "facility"}
CASES = {"name": "mental_illness_cases", "classification": "count"}


@pytest.mark.parametrize(
    ("meta", "has", "next_step"),
    [
        # DDG 5.4 worked cases
        ({"population": "general acute care hospitals", "variables": [HOSPITAL, CASES]}, False, 6),
        (
            {
                "population": "children's hospitals",
                "variables": [HOSPITAL, CASES],
                "implied_characteristics": ["age"],
            },
            True,
            2,
        ),
        ({"variables": [{"name": "prescriber", "classification": "provider"}]}, False, 6),
        (
            {
                "variables": [
                    {"name": "prescriber", "classification": "provider"},
                    {"name": "age_group", "classification": "age"},
                ]
            },
            True,
            2,
        ),
        # DDG 5.5: only a characteristic the mandate expressly requires answers "no"
        (
            {
                "variables": [{"name": "sex", "classification": "sex"}],
                "mandated_characteristics": ["sex"],
            },
            False,
            6,
        ),
        (
            {
                "variables": [
                    {"name": "sex", "classification": "sex"},
                    {"name": "race", "classification": "race"},
                ],
                "mandated_characteristics": ["sex"],
            },
            True,
            2,
        ),
    ],
)
def test_step1_worked_cases(tmp_path, meta, has, next_step):
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    result = runner.invoke(app, ["step1", str(tmp_path / "meta.json")])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["has_personal_characteristics"] is has
    assert doc["next_step"] == next_step and doc["section"] == "5"
    assert bool(doc["reasons"]) is has and doc["confirmed_by"] is None


def test_step1_records_who_confirmed_and_why(tmp_path):
    meta = {"variables": [HOSPITAL], "implied_characteristics": ["age"]}
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    result = runner.invoke(
        app, ["step1", str(tmp_path / "meta.json"), "--confirmed-by", "Dr. Expert"]
    )
    doc = json.loads(result.output)
    assert doc["confirmed_by"] == "Dr. Expert"
    assert doc["reasons"] == ["population implies age (DDG 4.1)"]


def test_step1_lists_every_problem_in_bad_metadata(tmp_path):
    meta = {
        "variables": [{"name": "age_group"}, "sex"],
        "implied_characteristics": "age",
        "colour": "blue",
    }
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    result = runner.invoke(app, ["step1", str(tmp_path / "meta.json")])
    assert result.exit_code == 2
    for needle in (
        "variables[0].classification",
        "variables[1] must be an object",
        "implied_characteristics must be a list",
        "unknown key(s): colour",
    ):
        assert needle in result.output
    (tmp_path / "broken.json").write_text("{not json")
    assert runner.invoke(app, ["step1", str(tmp_path / "broken.json")]).exit_code == 2
    assert runner.invoke(app, ["step1", str(tmp_path / "missing.json")]).exit_code == 2


def test_step1_help_documents_the_metadata_shape():
    result = runner.invoke(app, ["step1", "--help"])
    assert result.exit_code == 0
    for key in (
        "variables",
        "classification",
        "implied_characteristics",
        "mandated_characteristics",
    ):
        assert key in result.output


def test_malformed_spec_is_refused_not_crashed(tmp_path):
    t, s = write(tmp_path, TABLE, SPEC + "parameters: 1\n")
    result = runner.invoke(app, ["assess", str(t), "--spec", str(s)])
    assert result.exit_code == 2, result.output
    assert "bad-spec" in result.output


def test_score_command_refuses_malformed_unit(tmp_path):
    (tmp_path / "u.json").write_text(json.dumps({"time": {"period": []}, "coverage": True}))
    result = runner.invoke(app, ["score", str(tmp_path / "u.json")])
    assert result.exit_code == 2 and "bad-scoring-unit" in result.output


SURVEY_TABLE = """region,sex,n,den,pct,rse
North,m,40,100,40.0,25.0
North,f,60,100,60.0,10.0
North,Total,100,100,100.0,0.0
South,m,15,45,33.3,15.0
South,f,30,45,66.7,12.0
South,Total,45,45,100.0,0.0
Total,m,55,145,37.9,10.0
Total,f,90,145,62.1,8.0
Total,Total,145,145,100.0,0.0
"""
SURVEY_SPEC = (
    "dimensions: [region, sex]\ncount: n\nscore: 14\n"
    "survey: {profile: CHIS, sample_size: den, rse: rse, estimate: pct}\n"
)


def test_release_survey_table_marks_unreliable_estimates_with_code_4(tmp_path):
    t, s = write(tmp_path, SURVEY_TABLE, SURVEY_SPEC)
    out = tmp_path / "out"
    result = runner.invoke(app, ["release", str(t), "--spec", str(s), "--out", str(out)])
    assert result.exit_code == 0, result.output
    published = {(r["region"], r["sex"]): r for r in rows(out / "table.csv")}
    north_m = published[("North", "m")]  # RSE 25% > 20%: withheld for quality
    assert north_m["annotation"] == "4" and north_m["pct_annotation"] == "4"
    assert north_m["pct"] == "" and north_m["n"] == ""
    assert published[("South", "m")]["pct"] == "33.3"  # RSE 15%: published
    assert all(r["annotation"] in ("", "4") for r in published.values())  # no complement needed
    report = json.loads((out / "report.json").read_text())
    entry = next(r for r in report["rows"] if r["cell"] == {"region": "North", "sex": "m"})
    assert entry["reason"] == "unreliable" and entry["suppressed"] is True
    assert entry["reliability"]["rules"] == ["relative standard error above 20%"]
    assert "25" not in json.dumps(entry)  # the report names the rule, not the RSE
    assert report["survey"]["profile"] == "CHIS"
    assert report["summary"]["unreliable_withheld"] == 1
    md = (out / "table.md").read_text()
    assert "| North | m | U |" in md and "U: estimate withheld" in md
    assert "4 = statistically unstable" in (out / "metadata.txt").read_text()


def test_audit_reads_code_4_blanks_as_not_small(tmp_path):
    t, s = write(tmp_path, SURVEY_TABLE, SURVEY_SPEC)
    out = tmp_path / "out"
    runner.invoke(app, ["release", str(t), "--spec", str(s), "--out", str(out)])
    (tmp_path / "audit.yaml").write_text(SURVEY_SPEC.split("survey:")[0])
    audit_spec = str(tmp_path / "audit.yaml")
    result = runner.invoke(app, ["audit", str(out / "table.csv"), "--spec", audit_spec])
    assert result.exit_code == 0, result.output


def test_release_percent_only_through_the_cli(tmp_path):
    spec = "dimensions: [sex]\ncount: n\nscore: 14\npercent_only: {dimension: sex}\n"
    t, s = write(tmp_path, "sex,n\nmale,545\nfemale,545\nintersex,10\nTotal,1100\n", spec)
    out = tmp_path / "out"
    result = runner.invoke(app, ["release", str(t), "--spec", str(s), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [r["percent"] for r in rows(out / "table.csv")] == ["50%", "50%", "<1%", "100%"]
    assert "n" not in rows(out / "table.csv")[0]
    assert "may not sum to 100%" in (out / "table.md").read_text()
    report = json.loads((out / "report.json").read_text())
    assert report["percent_only"]["dimension"] == "sex" and report["percent_only"]["allowed"]
    small = tmp_path / "small"
    t, s = write(tmp_path, "sex,n\nmale,500\nfemale,500\nintersex,10\n", spec)
    result = runner.invoke(app, ["release", str(t), "--spec", str(s), "--out", str(small)])
    assert result.exit_code == 2 and "three-category-total" in result.output
    assert not small.exists()
