"""Issue 18: five rules read as DDG.md states them, and the ODP codes 3 and 5.

Each test names the DDG.md section it pins. Tables are written as CSV files and read the way
the CLI reads them, so the whole path (SPEC, table, release, output) is exercised.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from accord.cli.deid import app
from accord.deid.audit import COMPLEMENTARY, PRIMARY
from accord.deid.files import check_table_meta, load_release_inputs, release_files
from accord.deid.findings import Severity, has_errors
from accord.deid.params import Parameters
from accord.deid.release import release_loaded
from accord.deid.scoring import score_table
from accord.deid.steps import assess_step1

runner = CliRunner()


def write(folder: Path, spec: str, table: str) -> tuple[Path, Path]:
    (folder / "spec.yaml").write_text(spec, encoding="utf-8")
    (folder / "table.csv").write_text(table, encoding="utf-8")
    return folder / "table.csv", folder / "spec.yaml"


# --- item 5: record-level output (DDG.md §1 rule 2) --------------------------------------------


def test_ddg_1_rule_2_record_level_step1_answers_expert_review_never_a_score(tmp_path):
    """§1 rule 2: record-level output leaves the aggregate pipeline; step 1 says so and gives
    no next step (so nothing downstream scores it), even when its variables are personal."""
    meta = {
        "record_level": True,
        "variables": [{"name": "age", "classification": "age"}],
    }
    checked, problems = check_table_meta(meta)
    assert checked is not None, problems
    result = assess_step1(checked)
    assert result.next_step is None and result.record_level
    doc = result.to_dict()
    assert doc["section"] == "1" and "case-by-case expert review" in doc["expert_review_required"]
    assert "score" not in json.dumps(doc)
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    cli = runner.invoke(app, ["step1", str(tmp_path / "meta.json")])
    assert cli.exit_code == 0, cli.output
    assert json.loads(cli.output)["next_step"] is None
    # an aggregate table's answer is unchanged
    assert assess_step1({"variables": [{"name": "age", "classification": "age"}]}).next_step == 2
    assert check_table_meta({"record_level": "yes"})[0] is None


def test_ddg_1_rule_2_a_spec_declaring_record_level_is_refused_unscored(tmp_path):
    """§1 rule 2: `record_level: true` in a SPEC refuses assess and release with the reason."""
    table, spec = write(
        tmp_path,
        "dimensions: [person]\ncount: n\nscore: 5\nrecord_level: true\n",
        "person,n\na,1\nb,1\nTotal,2\n",
    )
    loaded, parsed, problems = load_release_inputs(table, spec)
    assert loaded is None and parsed is None
    assert [p.rule for p in problems] == ["record-level-output"]
    assert problems[0].section == "1"
    for command in ("assess", "release"):
        args = [command, str(table), "--spec", str(spec)]
        if command == "release":
            args += ["--out", str(tmp_path / "out")]
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and "record-level" in result.output
        assert '"score"' not in result.output


# --- item 1: high-risk populations named by the unit (DDG.md §9.2, §7.7 immigration) ----------

STATEWIDE_YEAR = {
    "time": {"period": "year"},
    "geography": {"basis": "residence", "min_population": 39_000_000},
}
NONCITIZEN = {"type": "immigration", "scheme": "detailed_noncitizen"}


def test_ddg_9_2_and_7_7_detailed_noncitizen_unit_requires_masking_and_says_why():
    """§7.7 scores detailed noncitizen statuses "no score: high-risk population, §9.2", and
    §9.2 suppresses 1–10 in such tables whatever the score: the unit alone requires masking."""
    unit = {**STATEWIDE_YEAR, "events": {"min_nonzero_cell": 4}, "variables": [NONCITIZEN]}
    report = score_table(unit)
    assert report.total <= 12
    assert report.masking_required
    assert report.high_risk_populations == ["detailed noncitizen status"]
    assert report.to_dict()["high_risk_populations"] == ["detailed noncitizen status"]
    assert "high-risk-population-named" in {f.rule for f in report.findings}
    assert not has_errors(report.findings)
    # no small cell: nothing to suppress, so no masking
    big = score_table({**unit, "events": {"min_nonzero_cell": 40}})
    assert not big.masking_required
    # the department's list decides: without the entry only the review note remains
    lenient = Parameters(high_risk_populations=("serious mental illness",))
    assert not score_table(unit, lenient).masking_required


def test_ddg_9_2_a_population_named_by_an_other_variable_counts_too():
    """§9.2's list is the department's: an `other` variable whose name is one of its entries
    (or one alternative of an "a or b" entry) names that population."""
    homeless = {"type": "other", "name": "Homelessness_status", "n_groups": 3}
    unit = {**STATEWIDE_YEAR, "events": {"min_nonzero_cell": 4}, "variables": [homeless]}
    assert score_table(unit).high_risk_populations == ["housing instability or homelessness"]
    assert score_table(unit).masking_required
    plain = {"type": "other", "name": "hospital_bed_size", "n_groups": 3}
    assert not score_table({**unit, "variables": [plain]}).high_risk_populations


def test_ddg_9_2_explicit_high_risk_false_over_such_a_variable_is_an_error():
    """§9.2 "always": `high_risk: false` over a named high-risk population is an error finding
    (the release is refused), not a silent override; masking stays required."""
    unit = {
        **STATEWIDE_YEAR,
        "events": {"min_nonzero_cell": 4},
        "variables": [NONCITIZEN],
        "high_risk": False,
    }
    report = score_table(unit)
    assert report.masking_required
    assert [f.rule for f in report.findings if f.severity is Severity.ERROR] == [
        "high-risk-override"
    ]


NONCITIZEN_TABLE = """status,n
citizen,500
lawful permanent resident,120
nonimmigrant,4
undocumented,90
Total,714
"""
NONCITIZEN_SPEC = """dimensions: [status]
count: n
denominator: null
scoring:
  time: {period: year}
  geography: {basis: residence, min_population: 39000000}
  variables: [{type: immigration, scheme: detailed_noncitizen}]
"""


def test_ddg_9_2_release_of_a_detailed_noncitizen_table_suppresses_with_complements(tmp_path):
    """§9.2 through a release: the small cell is suppressed with a complement although the
    score is below 13, and report.json says why; a SPEC `high_risk: false` is refused."""
    table, spec = write(tmp_path, NONCITIZEN_SPEC, NONCITIZEN_TABLE)
    loaded, parsed, problems = load_release_inputs(table, spec)
    assert loaded is not None and parsed is not None, problems
    rel = release_loaded(loaded, parsed)
    assert rel.assessment.score_total is not None and rel.assessment.score_total <= 12
    assert rel.assessment.masking_required and not rel.blocked
    assert rel.row_status.tolist() == [0, 0, PRIMARY, COMPLEMENTARY, 0]
    _, report = release_files(rel, parsed)
    rules = {f["rule"] for f in report["findings"]}
    assert {"high-risk-population-named", "high-risk-population"} <= rules
    assert report["score"]["high_risk_populations"] == ["detailed noncitizen status"]
    table, spec = write(tmp_path, NONCITIZEN_SPEC + "high_risk: false\n", NONCITIZEN_TABLE)
    loaded, parsed, problems = load_release_inputs(table, spec)
    assert loaded is not None and parsed is not None, problems
    refused = release_loaded(loaded, parsed)
    assert refused.blocked
    assert [f.rule for f in refused.refusal] == ["high-risk-override"]
