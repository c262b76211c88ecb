"""Linked releases (DDG.md §10.4 R6, §14): tables that share margins, and earlier releases.

County × age and county × sex are published from one county × age × sex cross-tabulation
(SPEC `publish`); the county margin is one cell printed in both tables and the cross-tabulation
itself is printed nowhere. A SPEC's `previously_suppressed` names an earlier release whose
withheld cells stay withheld.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from accord.cli.deid import app
from accord.deid.disclosure.check import COMPLEMENTARY, HIDDEN, PRIMARY, PUBLISHED, audit_pattern
from accord.deid.io.files import load_release_inputs
from accord.deid.io.report import build_report
from accord.deid.model.tables import LoadedTable
from accord.deid.release import release_loaded
from accord.deid.scoring.assessment import assess_loaded
from accord.deid.spec.spec import TableSpec
from tests.deid.conftest import cell_of

# `accord deid release` acts as a user and keeps the release in the database
pytestmark = pytest.mark.usefixtures("deid_user")

runner = CliRunner()

COUNTIES = ("Alpine", "Butte", "Colusa", "Del Norte")
AGES = ("0-17", "18-64", "65+")
SEXES = ("F", "M")
SPEC = (
    "dimensions: [county, age, sex]\ncount: n\nscore: 14\npublish: [[county, age], [county, sex]]\n"
)
FACES = {"county × age": ("county", "age"), "county × sex": ("county", "sex")}


def crosstab(bump: int = 0) -> dict[tuple[str, str, str], int]:
    """Alpine is small everywhere, so both tables need suppression; the rest are large."""
    rng = np.random.default_rng(3)
    return {
        (c, a, s): int(rng.integers(1, 5) if c == "Alpine" else rng.integers(12, 40)) + bump
        for c in COUNTIES
        for a in AGES
        for s in SEXES
    }


def table_text(values: dict[tuple[str, str, str], int]) -> str:
    lines = ["county,age,sex,n", *(f"{c},{a},{s},{n}" for (c, a, s), n in values.items())]
    return "\n".join(lines) + "\n"


def write(folder: Path, table: str, spec: str = SPEC) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "t.csv").write_text(table)
    (folder / "s.yaml").write_text(spec)
    return folder / "t.csv", folder / "s.yaml"


def load(folder: Path, table: str, spec: str = SPEC) -> tuple[LoadedTable, TableSpec]:
    loaded, tspec, findings = load_release_inputs(*write(folder, table, spec))
    assert loaded is not None and tspec is not None, findings
    return loaded, tspec


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def release_cli(table: Path, spec: Path, out: Path) -> None:
    result = runner.invoke(app, ["release", str(table), "--spec", str(spec), "--out", str(out)])
    assert result.exit_code == 0, result.output


def test_release_prints_each_face_once_and_hides_the_crosstab(tmp_path):
    loaded, spec = load(tmp_path, table_text(crosstab()))
    rel = release_loaded(loaded, spec)
    assert not rel.blocked, rel.findings
    cube, view = rel.loaded.cube, rel.loaded.table
    # every cell of both faces, and nothing else: 5×4 + 5×3 records, 30 distinct cells
    assert view.n_rows == 35 and len(set(rel.loaded.row_cell.tolist())) == 30
    assert view.columns["table"] == ["county × age"] * 20 + ["county × sex"] * 15
    for i in range(view.n_rows):
        face = FACES[view.columns["table"][i]]
        for dim in ("county", "age", "sex"):
            if dim not in face:
                assert view.columns[dim][i] == "Total"
    # the interior is hidden from the reader, never withheld
    interior = cube.is_interior
    assert np.all(rel.status[interior] == HIDDEN)
    assert not np.isin(rel.loaded.row_cell, np.flatnonzero(interior)).any()
    assert (rel.row_status == PRIMARY).any() and (rel.row_status == COMPLEMENTARY).any()
    # the solver, seeing both tables at once, agrees that every primary cell keeps 4 values
    assert audit_pattern(cube, rel.groups, rel.status, spec.parameters, proofs=False).passed


def test_shared_county_margin_has_one_status_in_both_tables(tmp_path):
    values = crosstab()
    values[("Butte", "0-17", "F")] = 1  # a small Butte row in each table
    loaded, spec = load(tmp_path, table_text(values))
    rel = release_loaded(loaded, spec)
    view = rel.loaded.table
    by_table: dict[str, dict[str, int]] = {name: {} for name in FACES}
    for i in range(view.n_rows):
        if view.columns["age"][i] == "Total" and view.columns["sex"][i] == "Total":
            by_table[view.columns["table"][i]][view.columns["county"][i]] = int(rel.row_status[i])
    assert by_table["county × age"] == by_table["county × sex"]
    assert set(by_table["county × age"]) == {*COUNTIES, "Total"}
    # the summary counts a withheld shared total once, though two tables print it
    for key in values:
        if key[0] == "Alpine":
            values[key] = 1  # Alpine's total, 6, is small: withheld in both tables
    rel = release_loaded(*load(tmp_path / "small", table_text(values)))
    summary = build_report(rel)["summary"]
    withheld = {int(c) for c in rel.loaded.row_cell[rel.row_status == PRIMARY].tolist()}
    shared = [c for c in withheld if (rel.loaded.row_cell == c).sum() == 2]
    assert shared and summary["primary"] == len(withheld)


def test_generated_margin_rows_and_input_margins_agree(tmp_path):
    """Margin rows are optional in the input; when given they must add up (as ever)."""
    values = crosstab()
    alpine = sum(n for (c, _, _), n in values.items() if c == "Alpine")
    text = table_text(values) + f"Alpine,Total,Total,{alpine}\n"
    loaded, spec = load(tmp_path, text)
    rel = release_loaded(loaded, spec)
    counts = [
        rel.loaded.table.columns["n"][i]
        for i in range(rel.loaded.table.n_rows)
        if rel.loaded.table.columns["county"][i] == "Alpine"
        and rel.loaded.table.columns["age"][i] == "Total"
        and rel.loaded.table.columns["sex"][i] == "Total"
    ]
    assert counts == [str(alpine), str(alpine)]
    wrong = table_text(values) + f"Alpine,Total,Total,{alpine + 1}\n"
    _, _, findings = load_release_inputs(*write(tmp_path / "bad", wrong))
    assert any(f.rule == "margin-mismatch" for f in findings)


def test_steps_2_and_3_look_at_published_cells_only(tmp_path):
    """A small cell of the hidden cross-tabulation is printed nowhere: it fails no step-2
    condition and is not the Events score's smallest cell."""
    values = {(c, a, s): 30 for c in COUNTIES for a in AGES for s in SEXES}
    values[("Butte", "65+", "M")] = 2  # faces: Butte 65+ = 32, Butte M = 92
    scoring = "scoring:\n  time: {period: year}\n"
    spec = "dimensions: [county, age, sex]\ncount: n\n" + scoring
    flat, flat_spec = load(tmp_path / "flat", table_text(values), spec)
    linked, linked_spec = load(
        tmp_path / "linked", table_text(values), spec + "publish: [[county, age], [county, sex]]\n"
    )
    assert assess_loaded(flat, flat_spec).step2.small_numerators == 1
    a = assess_loaded(linked, linked_spec)
    assert a.step2.small_numerators == 0 and not a.masking_required
    flat_events = assess_loaded(flat, flat_spec).scores[0].events
    assert a.scores[0].events < flat_events  # smallest published cell 30, not 2
    rel = release_loaded(linked, linked_spec)
    assert not (rel.row_status > 0).any()


def test_a_small_shared_margin_counts_once_in_step_2(tmp_path):
    values = {(c, a, s): 30 for c in COUNTIES for a in AGES for s in SEXES}
    for a in AGES:
        for s in SEXES:
            values[("Alpine", a, s)] = 0
    values[("Alpine", "65+", "F")] = 4  # Alpine: 4 in 65+, in F, and as its county total
    loaded, spec = load(tmp_path, table_text(values))
    assert assess_loaded(loaded, spec).step2.small_numerators == 3


def test_cli_release_and_audit_of_the_released_linked_table(tmp_path):
    t, s = write(tmp_path, table_text(crosstab()))
    out = tmp_path / "out"
    release_cli(t, s, out)
    published = read_rows(out / "table.csv")
    assert list(published[0]) == ["table", "county", "age", "sex", "n", "annotation"]
    assert [r["table"] for r in published] == ["county × age"] * 20 + ["county × sex"] * 15
    assert not any(r["age"] != "Total" and r["sex"] != "Total" for r in published)
    withheld = [r for r in published if r["annotation"] in ("1", "2")]
    assert withheld and all(r["n"] == "" for r in withheld)
    shared = {}
    for r in published:
        if r["age"] == r["sex"] == "Total":
            shared.setdefault(r["county"], set()).add((r["n"], r["annotation"]))
    assert all(len(v) == 1 for v in shared.values())
    report = json.loads((out / "report.json").read_text())
    assert [r["table"] for r in report["rows"]] == [r["table"] for r in published]
    assert report["summary"]["tables"] == ["county × age", "county × sex"]
    assert report["summary"]["cells_published"] == 30
    assert "linked table(s)" in (out / "metadata.txt").read_text()
    assert "| table | county | age | sex | n |" in (out / "table.md").read_text()
    # the released file is read back as one set of cells; the cross-tabulation is unknown
    result = runner.invoke(app, ["audit", str(out / "table.csv"), "--spec", str(s)])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["passed"] and len(doc["intervals"]) == len(withheld)
    assert all(
        iv["feasible_values"] is None or iv["feasible_values"] >= 4 for iv in doc["intervals"]
    )


def test_audit_of_a_linked_table_catches_an_unprotected_small_cell(tmp_path):
    t, s = write(tmp_path, table_text(crosstab()))
    out = tmp_path / "out"
    release_cli(t, s, out)
    text = (out / "table.csv").read_text().splitlines()
    # print every complementary cell after all: the primary cells become computable
    values = crosstab()
    fixed = [text[0]]
    for line in text[1:]:
        table, county, age, sex, _, ann = line.split(",")
        if ann == "2":
            face_value = sum(
                v
                for (c, a, x), v in values.items()
                if c == county and age in (a, "Total") and sex in (x, "Total")
            )
            line = f"{table},{county},{age},{sex},{face_value},"
        fixed.append(line)
    (tmp_path / "leaky.csv").write_text("\n".join(fixed) + "\n")
    result = runner.invoke(app, ["audit", str(tmp_path / "leaky.csv"), "--spec", str(s)])
    assert result.exit_code == 1, result.output
    assert not json.loads(result.output)["passed"]


def test_audit_refuses_tables_that_disagree_on_a_shared_total(tmp_path):
    t, s = write(tmp_path, table_text(crosstab()))
    out = tmp_path / "out"
    release_cli(t, s, out)
    lines = (out / "table.csv").read_text().splitlines()
    last = lines[-1].split(",")  # county × sex, Total, Total, Total: the grand total
    last[4] = str(int(last[4]) + 1)
    lines[-1] = ",".join(last)
    (tmp_path / "edited.csv").write_text("\n".join(lines) + "\n")
    result = runner.invoke(app, ["audit", str(tmp_path / "edited.csv"), "--spec", str(s)])
    assert result.exit_code == 2
    assert "linked-tables-disagree" in result.output


def test_previously_suppressed_round_trip_keeps_every_withheld_cell(tmp_path):
    first_t, first_s = write(tmp_path / "first", table_text(crosstab()))
    release_cli(first_t, first_s, tmp_path / "first" / "out")
    before = read_rows(tmp_path / "first" / "out" / "table.csv")
    withheld = {(r["table"], r["county"], r["age"], r["sex"]) for r in before if r["n"] == ""}
    assert withheld
    # a year later every count has grown: Alpine's cells are no longer all small
    spec = SPEC + "previously_suppressed: {file: ../first/out/table.csv}\n"
    t, s = write(tmp_path / "second", table_text(crosstab(bump=6)), spec)
    out = tmp_path / "second" / "out"
    release_cli(t, s, out)
    after = read_rows(out / "table.csv")
    again = {(r["table"], r["county"], r["age"], r["sex"]) for r in after if r["n"] == ""}
    assert withheld <= again
    report = json.loads((out / "report.json").read_text())
    marked = {
        (r["table"], *(r["cell"][d] for d in ("county", "age", "sex")))
        for r in report["rows"]
        if r.get("previously_suppressed")
    }
    assert marked == withheld
    assert report["summary"]["previously_suppressed"] == len({w[1:] for w in withheld})
    # some were small then and are complementary now: the earlier release still pins them
    reasons = {r["reason"] for r in report["rows"] if r.get("previously_suppressed")}
    assert "complementary" in reasons
    assert "withheld in the earlier related release" in (out / "metadata.txt").read_text()
    assert "withheld in the earlier release" in (out / "report.html").read_text()


def test_previously_suppressed_without_annotations_reads_blank_counts(tmp_path):
    values = {(c, a, s): 30 for c in COUNTIES for a in AGES for s in SEXES}
    (tmp_path / "earlier.csv").write_text(
        "county,age,sex,n\nButte,Total,Total,\nColusa,Total,Total,180\n"
    )
    spec = (
        "dimensions: [county, age, sex]\ncount: n\nhigh_risk: true\n"
        "previously_suppressed: {file: earlier.csv}\n"
    )
    loaded, tspec = load(tmp_path, table_text(values), spec)
    assert loaded.earlier is not None and int(loaded.earlier.sum()) == 1
    rel = release_loaded(loaded, tspec)
    butte = cell_of(rel.loaded.cube, county="Butte")
    assert rel.status[butte] == COMPLEMENTARY
    assert not rel.blocked, rel.findings
    # totals are not complements (§10.4 (8)), so nothing joins it: derivable, and said so
    assert any(f.rule == "R6-derivable" and f.cell == rel.loaded.cube.labels(butte)
               for f in rel.findings)


BAD_SPECS = [
    (SPEC.replace("[county, sex]]", "[county, race]]"), "'race', not among dimensions"),
    (SPEC.replace("[county, sex]]", "[]]"), "publish[1] names no dimension"),
    (SPEC.replace("[county, sex]]", "[age, county]]"), "same table as publish[0]"),
    (SPEC.replace("[county, sex]]", "[sex, sex]]"), "repeats a dimension"),
    (SPEC.replace("publish: [[county, age], [county, sex]]", "publish: county"), "non-empty list"),
    (SPEC + "totals: unpublished\n", "totals: unpublished"),
    (SPEC + "statistics: [rate]\n", "cannot yet be combined with statistics"),
    (SPEC + "previously_suppressed: {file: nowhere.csv}\n", "does not exist"),
    (SPEC + "previously_suppressed: earlier.csv\n", "mapping with a file"),
]


@pytest.mark.parametrize(("spec", "needle"), BAD_SPECS)
def test_bad_linked_spec_lists_findings_and_writes_nothing(tmp_path, spec, needle):
    t, s = write(tmp_path, table_text(crosstab()), spec)
    out = tmp_path / "out"
    result = runner.invoke(app, ["release", str(t), "--spec", str(s), "--out", str(out)])
    assert result.exit_code == 2
    assert needle in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("earlier", "needle"),
    [
        ("county,age,sex,n\nAmador,Total,Total,\n", "'Amador' is not a category"),
        ("county,age,n\nAlpine,Total,\n", "lacks dimension column(s) 'sex'"),
        ("county,age,sex\nAlpine,Total,Total\n", "neither the annotation column"),
    ],
)
def test_bad_previously_suppressed_file_writes_nothing(tmp_path, earlier, needle):
    (tmp_path / "earlier.csv").write_text(earlier)
    spec = SPEC + "previously_suppressed: {file: earlier.csv}\n"
    t, s = write(tmp_path, table_text(crosstab()), spec)
    out = tmp_path / "out"
    result = runner.invoke(app, ["release", str(t), "--spec", str(s), "--out", str(out)])
    assert result.exit_code == 2
    assert needle in result.output
    assert not out.exists()


def test_an_input_with_a_table_column_is_refused(tmp_path):
    text = "table," + table_text(crosstab()).replace("\n", "\nx,").removesuffix("x,")
    _, _, findings = load_release_inputs(*write(tmp_path, text))
    assert [f.rule for f in findings] == ["publish-column-taken"]


@pytest.mark.parametrize(
    ("file", "needle"),
    [("../earlier.csv", "plain file name"), ("missing.csv", "was not uploaded")],
)
def test_uploaded_spec_may_name_only_uploaded_earlier_files(tmp_path, file, needle):
    (tmp_path / "earlier.csv").write_text("county,age,sex,n\n")
    folder = tmp_path / "upload"
    spec = SPEC + f"previously_suppressed: {{file: {file}}}\n"
    t, s = write(folder, table_text(crosstab()), spec)
    loaded, _, findings = load_release_inputs(t, s, confine_to=folder)
    assert loaded is None
    assert any(needle in f.message and "previously_suppressed" in f.message for f in findings)


def test_without_publish_every_cell_is_published(tmp_path):
    spec = SPEC.replace("publish: [[county, age], [county, sex]]\n", "")
    loaded, tspec = load(tmp_path, table_text(crosstab()), spec)
    rel = release_loaded(loaded, tspec)
    assert rel.loaded is loaded and "table" not in rel.loaded.table.columns
    assert not (rel.status == HIDDEN).any()
    assert rel.status[loaded.row_cell].tolist() == rel.row_status.tolist()
    assert set(np.unique(rel.status).tolist()) <= {PUBLISHED, PRIMARY, COMPLEMENTARY}


def test_linked_tables_of_recoded_categories_release_and_audit(tmp_path):
    """`recode` with `publish`: the cross-tabulation is recoded first, each table prints the
    merged county, and the released file, read back with the same SPEC, passes the audit."""
    spec = SPEC + 'recode: {county: {Alpine: "Alpine + Butte", Butte: "Alpine + Butte"}}\n'
    t, s = write(tmp_path, table_text(crosstab()), spec)
    out = tmp_path / "out"
    release_cli(t, s, out)
    published = read_rows(out / "table.csv")
    counties = {r["county"] for r in published}
    assert counties == {"Alpine + Butte", "Colusa", "Del Norte", "Total"}
    values = crosstab()
    merged = sum(n for (c, _, _), n in values.items() if c in ("Alpine", "Butte"))
    shared = {
        (r["table"], r["n"])
        for r in published
        if r["county"] == "Alpine + Butte" and r["age"] == r["sex"] == "Total"
    }
    assert shared == {("county × age", str(merged)), ("county × sex", str(merged))}
    result = runner.invoke(app, ["audit", str(out / "table.csv"), "--spec", str(s)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["passed"]
