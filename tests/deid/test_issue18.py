"""Issue 18: five rules read as DDG.md states them, and the ODP codes 3 and 5.

Each test names the DDG.md section it pins. Tables are written as CSV files and read the way
the CLI reads them, so the whole path (SPEC, table, release, output) is exercised.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from accord.cli.deid import app
from accord.deid.disclosure.check import COMPLEMENTARY, PRIMARY
from accord.deid.findings import Severity, has_errors
from accord.deid.io.files import check_table_meta, load_release_inputs, release_files
from accord.deid.io.output import render_human, render_odp
from accord.deid.release import Release, release_loaded
from accord.deid.scoring.scoring import score_table
from accord.deid.scoring.steps import assess_step1
from accord.deid.spec.params import Parameters
from accord.deid.spec.spec import parse_spec
from accord.deid.survey.release_rules import FLAGGED, UNRELIABLE

# `accord deid release` acts as a user and keeps the release in the database
pytestmark = pytest.mark.usefixtures("deid_user")

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


# --- items 2-4: a survey's own rules (DDG.md §12 rule 3 and the profiles table) ---------------


def survey_release(tmp_path: Path, survey: str, table: str, score: int = 5) -> Release:
    spec_text = f"dimensions: [x]\ncount: n\nscore: {score}\nsurvey: {survey}\n"
    table_path, spec_path = write(tmp_path, spec_text, table)
    loaded, spec, problems = load_release_inputs(table_path, spec_path)
    assert loaded is not None and spec is not None, problems
    return release_loaded(loaded, spec)


CHIS_TABLE = """x,n,rse,w
a,2,10,3000
b,40,10,80000
c,30,10,60000
d,50,10,100000
Total,122,5,243000
"""


def test_ddg_12_rule_3_chis_cell_under_3_respondents_is_suppressed_with_a_complement(tmp_path):
    """§12 rule 3 and the CHIS row: "cells < 3 unweighted ... are small; complementary
    suppression in cross-tabs". With a score of 5 the DDG alone masks nothing; CHIS's own rule
    withholds the 2-respondent cell as a primary suppression, and the engine adds its
    complement and audits it."""
    rel = survey_release(tmp_path, "{profile: CHIS, rse: rse, weighted: w}", CHIS_TABLE)
    assert not rel.assessment.masking_required  # the score alone would publish everything
    assert not rel.blocked
    assert rel.row_status[0] == PRIMARY
    assert (rel.row_status == COMPLEMENTARY).sum() == 1
    primary_cells = np.flatnonzero(rel.status == PRIMARY).tolist()
    assert rel.audit.passed and list(rel.audit.intervals) == primary_cells
    assert "survey-confidentiality" in {f.rule for f in rel.findings}
    odp = render_odp(rel)
    assert odp.rows[0][odp.header.index("n")] == "" and odp.rows[0][odp.header.index("w")] == ""
    assert "own confidentiality rules" in odp.notes[0]


def test_ddg_12_rule_3_cahps_item_under_20_responses_and_hsag_numerator_under_11(tmp_path):
    """CAHPS row: "item with < 20 valid responses suppressed"; "HSAG suppresses plan results
    with < 11 in the numerator" — both privacy suppressions with complements, not notes."""
    table = """x,n,den
a,15,18
b,8,200
c,120,300
d,150,300
e,130,300
Total,423,1118
"""
    rel = survey_release(tmp_path, "{profile: CAHPS, sample_size: den}", table)
    assert not rel.assessment.masking_required
    # a: 15 responses of 18 (count not small under the DDG, so withheld as a complement is);
    # b: numerator 8 < 11 (an ordinary primary cell)
    assert rel.row_status[0] == COMPLEMENTARY and rel.row_status[1] == PRIMARY
    assert not rel.blocked


def test_ddg_12_rule_3_ncvs_under_3_cases_is_suppressed_not_only_unreliable(tmp_path):
    """NCVS row: "typically >= 3 unweighted per cell": a cell of 2 is a privacy suppression
    (code 1, with a complement), not only an unreliable estimate; zeros stay (not disclosures)."""
    table = "x,n\na,2\nb,0\nc,40\nd,50\nTotal,92\n"
    rel = survey_release(tmp_path, "{profile: NCVS}", table)
    assert rel.row_status[0] == PRIMARY and rel.row_status[1] == 0
    assert (rel.row_status == COMPLEMENTARY).sum() == 1


def test_ddg_12_weighted_counts_chis_under_500_weighted_is_withheld(tmp_path):
    """CHIS row "< 500 weighted are small", through the SPEC's `survey: {weighted: ...}`: a
    cell of 40 respondents weighing 450 is withheld (code 2: its count is not below 11, so the
    audit may not read it as 1-10) and its weighted count goes with it."""
    table = CHIS_TABLE.replace("b,40,10,80000", "b,40,10,450")
    rel = survey_release(tmp_path, "{profile: CHIS, rse: rse, weighted: w}", table)
    assert rel.row_status[1] == COMPLEMENTARY and not rel.blocked
    odp = render_odp(rel)
    row = odp.rows[1]
    assert row[odp.header.index("n")] == "" and row[odp.header.index("w")] == ""
    assert row[odp.header.index("annotation")] == "2"
    # without the column the weighted rule cannot be applied: a warning, not silence
    unweighted = "\n".join(line.rsplit(",", 1)[0] for line in table.splitlines()) + "\n"
    rel = survey_release(tmp_path, "{profile: CHIS, rse: rse}", unweighted)
    assert rel.row_status[1] == 0
    missing = [f for f in rel.findings if f.rule == "survey-input-missing"]
    assert missing and "weighted" in missing[0].message


def test_ddg_12_weighted_counts_meps_400000_weighted_is_a_recode_review(tmp_path):
    """MEPS row: codes with < 40 unweighted or < 400,000 weighted cases are recoded — a rule
    on the data, not the table: each such cell is a warning for a person, nothing withheld."""
    table = "x,n,den,rse,w\na,60,500,5,350000\nb,400,500,5,4000000\nTotal,460,500,5,4350000\n"
    rel = survey_release(
        tmp_path, "{profile: MEPS, sample_size: den, rse: rse, weighted: w}", table
    )
    assert rel.row_status.tolist() == [0, 0, 0]
    review = [f for f in rel.findings if f.rule == "survey-rule-review"]
    assert [f.row for f in review] == [1] and review[0].severity is Severity.WARNING


def test_ddg_12_chis_statewide_rse_over_20_goes_to_review_not_suppression(tmp_path):
    """CHIS row: "for statewide or non-stratified county-wide estimates, suppress when review
    judges the value misleading". With `stratified: false` an RSE of 25% is published flagged
    (code 4) with a finding for the reviewer; stratified estimates are still withheld."""
    table = CHIS_TABLE.replace("d,50,10,100000", "d,50,25,100000")
    survey = "{profile: CHIS, rse: rse, weighted: w, stratified: false}"
    rel = survey_release(tmp_path, survey, table, score=14)
    c = 3
    assert rel.row_reliability[c] == FLAGGED
    verdict = rel.reliability[c]
    assert verdict is not None and verdict.outcome == "review"
    review = [f for f in rel.findings if f.rule == "survey-misleading-review"]
    assert [f.row for f in review] == [c + 1] and review[0].severity is Severity.WARNING
    _, report = release_files(rel, rel.assessment.spec)
    assert report["rows"][c]["reliability"]["outcome"] == "review"
    assert render_odp(rel).rows[c][render_odp(rel).header.index("annotation")] == "4"
    stratified = survey_release(tmp_path, "{profile: CHIS, rse: rse, weighted: w}", table, 14)
    assert stratified.row_reliability[c] == UNRELIABLE


# --- item 6: ODP annotation codes 3 and 5 (DDG.md §11.1 rule 3) --------------------------------

AVAILABILITY_TABLE = """county,age,n,rate,avail
A,young,3,0.1,
A,old,40,1.2,
A,Total,43,1.3,
B,young,,,no data
B,old,30,0.6,5
B,Total,30,0.6,
C,young,12,0.2,
C,old,20,0.4,
C,Total,32,0.3,
Total,young,15,0.2,
Total,old,90,0.9,
Total,Total,105,0.8,
"""
AVAILABILITY_SPEC = """dimensions: [county, age]
count: n
statistics: [rate]
score: 14
availability: avail
"""


def availability_release(tmp_path: Path, table: str = AVAILABILITY_TABLE) -> Release:
    table_path, spec_path = write(tmp_path, AVAILABILITY_SPEC, table)
    loaded, spec, problems = load_release_inputs(table_path, spec_path)
    assert loaded is not None and spec is not None, problems
    return release_loaded(loaded, spec)


def test_ddg_11_1_codes_3_and_5_are_written_and_are_neither_zero_nor_suppressed(tmp_path):
    """§11.1 rule 3: code 3 "no data available" and 5 "incomplete data". The no-data row is
    written blank (not 0) with code 3 and is never suppressed; the incomplete row keeps its
    count with code 5; every total over the no-data row is the total of the data received,
    so it is marked 5 too. The suppression around A/young is the usual one."""
    rel = availability_release(tmp_path)
    assert not rel.blocked
    b_young, b_old, b_total = 3, 4, 5
    assert rel.row_status[b_young] == 0 and rel.row_status[0] == PRIMARY
    odp = render_odp(rel)
    n, ann = odp.header.index("n"), odp.header.index("annotation")
    rate_ann = odp.header.index("rate_annotation")
    assert odp.rows[b_young][n] == "" and odp.rows[b_young][ann] == "3"
    assert odp.rows[b_young][rate_ann] == "3"
    assert odp.rows[b_old][n] == "30" and odp.rows[b_old][ann] == "5"
    # totals over B/young: B's, young's, and the grand total; Total/old and C/Total are not
    assert [odp.rows[i][ann] for i in (b_total, 9, 11)] == ["5", "5", "5"]
    assert odp.rows[10][ann] == "" and odp.rows[8][ann] in ("", "1", "2")
    assert "3 = no data available" in odp.notes[0] and "5 = incomplete data" in odp.notes[0]
    human = render_human(rel)
    assert human.rows[b_young][human.header.index("n")] == "NA"
    assert human.rows[b_old][human.header.index("n")] == "30 (I)"
    assert any(note.startswith("NA: no data") for note in human.notes)
    _, report = release_files(rel, rel.assessment.spec)
    assert report["rows"][b_young]["availability"] == "no data available"
    assert report["rows"][b_young]["suppressed"] is False
    assert report["rows"][b_old]["availability"] == "incomplete data"


def test_ddg_11_1_no_data_row_adds_nothing_to_its_margins_and_is_never_a_complement(tmp_path):
    """§11.1 with §10.4/§10.5 — our reading (availability.py): a margin over a row with no data
    can only be the sum of the rows that have data, so the engine requires exactly that (a
    margin that counts more is refused) and models the row as adding nothing: a reader who
    took the margin to include an unknown value would know less, so this is the conservative
    model. The row is not a zero either: step 2 and the Events score skip it, and it can never
    be a complement (there is no value to withhold)."""
    one_way = "x,n,avail\na,3,\nb,,3\nc,40,\nTotal,43,\n"
    table_path, spec_path = write(
        tmp_path, "dimensions: [x]\ncount: n\nscore: 14\navailability: avail\n", one_way
    )
    loaded, spec, problems = load_release_inputs(table_path, spec_path)
    assert loaded is not None and spec is not None, problems
    rel = release_loaded(loaded, spec)
    assert rel.row_status.tolist() == [PRIMARY, 0, COMPLEMENTARY, 0]
    assert rel.audit.passed and not rel.blocked
    # step 2 counts only the rows with data: a, c and the total
    assert rel.assessment.step2.unknown_denominators == 3
    # a total that counts the row with no data is not the sum of what was received
    (tmp_path / "table.csv").write_text(one_way.replace("Total,43", "Total,50"))
    loaded, _, problems = load_release_inputs(table_path, spec_path)
    assert loaded is None and [p.rule for p in problems] == ["margin-mismatch"]


def test_ddg_11_1_availability_marks_are_checked(tmp_path):
    """§11.1: a no-data row has no count, an incomplete row has one, a total cannot be
    "no data" over categories with data, and a mark is one of the codes."""
    bad = (
        AVAILABILITY_TABLE.replace("A,old,40,1.2,", "A,old,40,1.2,3")
        .replace("B,old,30,0.6,5", "B,old,30,0.6,maybe")
        .replace("C,young,12,0.2,", "C,young,,,5")
    )
    table_path, spec_path = write(tmp_path, AVAILABILITY_SPEC, bad)
    loaded, _, problems = load_release_inputs(table_path, spec_path)
    assert loaded is None
    assert [p.row for p in problems if p.rule == "bad-availability"] == [2, 5, 7]
    table_path, spec_path = write(
        tmp_path, AVAILABILITY_SPEC, AVAILABILITY_TABLE.replace("C,Total,32,0.3,", "C,Total,,,3")
    )
    _, _, problems = load_release_inputs(table_path, spec_path)
    assert any(p.rule == "bad-availability" and "total" in p.message for p in problems)
    _, problems = parse_spec(
        {"dimensions": ["x"], "count": "n", "availability": "a", "drop": ["x"]}
    )
    assert any("availability cannot yet be combined with drop" in p.message for p in problems)


def test_ddg_12_the_reviewer_records_the_judgement_and_the_release_follows_it(tmp_path):
    """CHIS row: the reviewer judges whether a statewide estimate is misleading. The SPEC's
    `review` column carries the judgement: `withhold` withholds the estimate as unreliable,
    `keep` publishes it flagged; either is recorded in the release's findings, and the column
    itself is never published."""
    header, *rows = CHIS_TABLE.replace("d,50,10,100000", "d,50,25,100000").splitlines()
    marks = {"d": "withhold"}
    table = "\n".join(
        [f"{header},judged", *(f"{r},{marks.get(r.split(',')[0], '')}" for r in rows)]
    )
    survey = "{profile: CHIS, rse: rse, weighted: w, stratified: false, review: judged}"
    withheld = survey_release(tmp_path, survey, table + "\n", score=14)
    assert withheld.row_reliability[3] == UNRELIABLE
    assert [f.row for f in withheld.findings if f.rule == "survey-review-withheld"] == [4]
    assert not [f for f in withheld.findings if f.rule == "survey-misleading-review"]
    odp = render_odp(withheld)
    assert "judged" not in odp.header and odp.rows[3][odp.header.index("rse")] == ""

    kept = survey_release(tmp_path, survey, table.replace("withhold", "keep") + "\n", 14)
    assert kept.row_reliability[3] == FLAGGED
    assert [f.row for f in kept.findings if f.rule == "survey-review-kept"] == [4]
    assert render_odp(kept).rows[3][render_odp(kept).header.index("rse")] == "25"

    unreadable = survey_release(tmp_path, survey, table.replace("withhold", "maybe") + "\n", 14)
    assert unreadable.blocked
    assert any(f.rule == "bad-survey-value" and "maybe" in f.message for f in unreadable.findings)

    waiting = survey_release(tmp_path, survey, table.replace("withhold", "") + "\n", 14)
    pending = [f for f in waiting.findings if f.rule == "survey-misleading-review"]
    assert [f.row for f in pending] == [4] and "column 'judged'" in pending[0].message


def test_ddg_12_a_judgement_on_an_estimate_that_needs_none_is_a_warning(tmp_path):
    header, *rows = CHIS_TABLE.splitlines()
    table = "\n".join([f"{header},judged", *(f"{r},{'keep' if r[0] == 'b' else ''}" for r in rows)])
    survey = "{profile: CHIS, rse: rse, weighted: w, stratified: false, review: judged}"
    rel = survey_release(tmp_path, survey, table + "\n", score=14)
    unasked = [f for f in rel.findings if f.rule == "survey-review-unasked"]
    assert [f.row for f in unasked] == [2] and unasked[0].severity is Severity.WARNING
