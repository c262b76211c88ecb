"""Nothing leaves that was not described (issue 12): every column of a released table is
named by its SPEC or passed through on purpose, and a wide spreadsheet is read as the long
table it is, its totals checked and then published as margins (DDG.md §10.4, §11.1)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from accord.deid.findings import Finding, Severity
from accord.deid.io.files import assess_document, load_release_inputs, release_files
from accord.deid.model.tables import read_table
from accord.deid.release import release_loaded

# the table of the issue: Alpine 0-17 = 3 and 18-44 = 7 are small, and 65+ = 5 follows from Total
WIDE_CSV = """County,0-17,18-44,45-64,65+,Total
Alpine,3,7,12,5,27
Butte,40,120,95,60,315
Colusa,22,41,30,18,111
Del Norte,25,38,33,26,122
"""
WIDE_SPEC = """\
title: Enrollees by county and age band
dimensions: [County, age_band]
count: enrollees
score: 14
wide: {dimension: age_band, columns: [0-17, 18-44, 45-64, 65+], total: Total}
"""


def release(tmp: Path, table: str, spec: str) -> tuple[dict[str, str] | None, list[Finding]]:
    """The files a release writes from these texts, or None and why it was refused."""
    (tmp / "t.csv").write_text(table)
    (tmp / "s.yaml").write_text(spec)
    loaded, tspec, findings = load_release_inputs(tmp / "t.csv", tmp / "s.yaml")
    if loaded is None or tspec is None:
        return None, findings
    rel = release_loaded(loaded, tspec)
    if rel.blocked:
        return None, rel.refusal
    files, _ = release_files(rel, tspec)
    return files, rel.findings


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def named(findings: list[Finding], rule: str) -> list[str]:
    return [str(f.details.get("column")) for f in findings if f.rule == rule]


def test_the_wide_table_taken_as_long_is_refused_naming_each_undescribed_column(tmp_path):
    """The issue's release: County as the dimension and 65+ as the count published 0-17 = 3."""
    spec = "dimensions: [County]\ncount: 65+\nscore: 14\n"
    files, findings = release(tmp_path, WIDE_CSV, spec)
    assert files is None
    assert named(findings, "undescribed-column") == ["0-17", "18-44", "45-64", "Total"]
    assert all(f.severity is Severity.ERROR for f in findings if f.rule == "undescribed-column")


def test_an_assessment_warns_about_undescribed_columns_without_refusing(tmp_path):
    (tmp_path / "t.csv").write_text(WIDE_CSV)
    (tmp_path / "s.yaml").write_text("dimensions: [County]\ncount: 65+\nscore: 14\n")
    loaded, spec, _ = load_release_inputs(tmp_path / "t.csv", tmp_path / "s.yaml")
    assert loaded is not None and spec is not None
    doc, findings = assess_document(loaded, spec)
    warned = [f for f in findings if f.rule == "undescribed-column"]
    assert len(warned) == 4 and all(f.severity is Severity.WARNING for f in warned)
    assert doc["masking_required"] is True


def test_a_wide_table_releases_in_long_form_with_alpine_protected(tmp_path):
    files, _ = release(tmp_path, WIDE_CSV, WIDE_SPEC)
    assert files is not None
    published = rows(files["table.csv"])
    assert list(published[0]) == ["County", "age_band", "enrollees", "annotation"]
    alpine = {r["age_band"]: r for r in published if r["County"] == "Alpine"}
    small = ("0-17", "18-44", "65+")
    assert [alpine[band]["enrollees"] for band in small] == ["", "", ""]
    assert [alpine[band]["annotation"] for band in small] == ["1", "1", "1"]
    # the row total stays published (a margin); each withheld column needs a partner
    assert alpine["Total"]["enrollees"] == "27"
    complements = [r for r in published if r["annotation"] == "2"]
    assert complements and all(r["age_band"] != "Total" for r in complements)
    for band in small:
        assert sum(r["age_band"] == band and r["enrollees"] == "" for r in published) >= 2
    report = json.loads(files["report.json"])
    assert report["summary"]["audit_passed"] is True
    assert report["summary"]["primary"] == 3
    # no published number equals a withheld small count in Alpine's row
    assert all(r["enrollees"] not in ("3", "7", "5") for r in published)


def test_a_wide_total_that_disagrees_with_its_cells_is_refused(tmp_path):
    table = WIDE_CSV.replace("Alpine,3,7,12,5,27", "Alpine,3,7,12,5,28")
    files, findings = release(tmp_path, table, WIDE_SPEC)
    assert files is None
    mismatch = [f for f in findings if f.rule == "margin-mismatch"]
    assert len(mismatch) == 1 and mismatch[0].cell == {"County": "Alpine", "age_band": "Total"}


def test_text_in_a_wide_count_column_names_the_column(tmp_path):
    table = WIDE_CSV.replace("Butte,40,120", "Butte,forty,120")
    files, findings = release(tmp_path, table, WIDE_SPEC)
    assert files is None
    assert named(findings, "count-not-integer") == ["0-17"]
    assert "'forty'" in findings[0].message and findings[0].row == 2


def test_a_wide_table_without_its_total_column_sums_the_margin(tmp_path):
    table = "\n".join(",".join(line.split(",")[:5]) for line in WIDE_CSV.splitlines()) + "\n"
    spec = WIDE_SPEC.replace(", total: Total", "")
    files, _ = release(tmp_path, table, spec)
    assert files is not None
    alpine = {r["age_band"]: r["enrollees"] for r in rows(files["table.csv"])
              if r["County"] == "Alpine"}
    assert alpine["0-17"] == alpine["18-44"] == ""
    assert "Total" not in alpine  # no total row is printed that the file did not have


NOTE_CSV = """county,age,n,note,fips
A,young,3,estimate revised,6001
A,old,40,,6001
B,young,25,,6007
B,old,30,,6007
C,young,12,,6011
C,old,0,,6011
"""
NOTE_SPEC = "dimensions: [county, age]\ncount: n\nscore: 14\n"


def test_text_passed_through_is_published_as_it_is(tmp_path):
    files, findings = release(tmp_path, NOTE_CSV, NOTE_SPEC + "pass_through: [note]\n")
    assert files is None and named(findings, "undescribed-column") == ["fips"]
    spec = NOTE_SPEC + "pass_through: {note: free text, fips: the county's FIPS code}\n"
    files, _ = release(tmp_path, NOTE_CSV, spec)
    assert files is not None
    published = rows(files["table.csv"])
    assert published[0]["note"] == "estimate revised" and published[0]["n"] == ""
    assert [r["fips"] for r in published] == ["6001", "6001", "6007", "6007", "6011", "6011"]
    assert "fips" in files["table.md"].splitlines()[0]


def test_a_column_of_numbers_passed_through_without_a_reason_is_refused(tmp_path):
    files, findings = release(tmp_path, NOTE_CSV, NOTE_SPEC + "pass_through: [note, fips]\n")
    assert files is None
    assert named(findings, "pass-through-numeric") == ["fips"]
    assert "'6001' in row 1" in findings[0].message


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("statistics: [rate, rate]\n", "column 'rate' is named twice as a statistic"),
        ("denominator: county\n", "column 'county' is named twice, as a dimension and as the"),
        ("pass_through: [n]\n", "column 'n' is named twice, as the count and as passed through"),
    ],
)
def test_a_spec_giving_a_column_two_meanings_is_refused(tmp_path, extra, message):
    files, findings = release(tmp_path, NOTE_CSV, NOTE_SPEC + extra)
    assert files is None
    assert any(message in f.message for f in findings), findings


def test_a_dimension_that_is_also_the_count_is_refused(tmp_path):
    files, findings = release(tmp_path, NOTE_CSV, "dimensions: [county, n]\ncount: n\n")
    assert files is None
    assert any("named twice, as a dimension and as the count" in f.message for f in findings)


@pytest.mark.parametrize(
    ("wide", "message"),
    [
        ("{dimension: band, columns: [young]}", "wide.dimension 'band' must also be listed"),
        ("{dimension: age, columns: []}", "wide.columns must be a non-empty list"),
        ("{dimension: age, columns: [a, a]}", "wide.columns names a column twice"),
        ("{dimension: age, columns: [a], width: 3}", "unknown wide key 'width'"),
        ("{dimension: age, columns: [a, Total]}", "give it as wide.total"),
    ],
)
def test_bad_wide_specs_say_what_is_wrong(tmp_path, wide, message):
    spec = f"dimensions: [county, age]\ncount: n\nwide: {wide}\n"
    files, findings = release(tmp_path, WIDE_CSV, spec)
    assert files is None
    assert any(message in f.message for f in findings), findings


@pytest.mark.parametrize("dimension", ["row", "reason", "suppressed", "interval"])
def test_report_rows_keep_dimension_values_apart_from_their_own_keys(tmp_path, dimension):
    table = NOTE_CSV.replace("county,", f"{dimension},", 1)
    spec = NOTE_SPEC.replace("[county,", f"[{dimension},") + "pass_through: [note]\n"
    table = "\n".join(",".join(line.split(",")[:4]) for line in table.splitlines()) + "\n"
    files, _ = release(tmp_path, table, spec)
    assert files is not None
    report = json.loads(files["report.json"])
    first = report["rows"][0]
    assert first["cell"] == {dimension: "A", "age": "young"}
    assert first["row"] == 1 and first["suppressed"] is True and first["reason"] == "primary"
    page = files["report.html"]
    assert f'<th scope="col">{dimension}</th>' in page
    assert "<td>A</td><td>young</td>" in page


def test_report_html_reads_as_the_page_does(tmp_path):
    """report.html is the page's report (issue 12 item 5): words, not JSON fragments, and the
    technical notes (§16 choices, degrees of freedom) only inside the reviewer's details."""
    files, _ = release(tmp_path, WIDE_CSV, WIDE_SPEC)
    assert files is not None
    page = files["report.html"]
    assert "The table is ready to publish:</strong> 3 small counts were withheld" in page
    assert "<dt>Publication score (step 3)</dt><dd>14: masking is required</dd>" in page
    assert "{" not in page.split("</style>")[1]  # no raw JSON
    main, details = page.split("Details for the reviewer")
    assert "degrees of freedom" not in main and "§16" not in main
    assert "degrees of freedom" in details


def test_a_label_a_spreadsheet_would_run_is_published_as_text_and_reads_back(tmp_path):
    """table.csv is opened in spreadsheets: a county named like a formula is written behind an
    apostrophe (OWASP), and the file read back (as an earlier release is) gives the name."""
    attack = "=HYPERLINK(\"http://evil.example\")"  # no comma: the input is plain CSV
    files, _ = release(tmp_path, WIDE_CSV.replace("Colusa", attack), WIDE_SPEC)
    assert files is not None
    assert "'=HYPERLINK" in files["table.csv"] and "\n=HYPERLINK" not in files["table.csv"]
    (tmp_path / "published.csv").write_text(files["table.csv"])
    table, findings = read_table(tmp_path / "published.csv")
    assert table is not None and not findings
    assert attack in table.columns["County"]
