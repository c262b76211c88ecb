"""SPEC `drop`: a table published without some of its dimensions (DDG.md §10.1)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli.deid import app
from accord.deid.io.files import load_release_inputs
from accord.deid.release import release_loaded
from tests.deid.conftest import cell_of

# `accord deid release` acts as a user and keeps the release in the database
pytestmark = pytest.mark.usefixtures("deid_user")

SPEC = "dimensions: [county, year, sex]\ncount: n\nscore: 14\n"


def two_year_table(small_counties: str = "CD") -> str:
    """Counties C and D have three people in 2023 and dozens in 2024."""
    rows = ["county,year,sex,n"]
    for c, y, s in itertools.product("ABCDE", ["2023", "2024"], ["F", "M"]):
        if c not in small_counties:
            n = 40 + 3 * (y == "2024") + 2 * (s == "M") + ord(c) % 5
        else:
            n = (1 if s == "F" else 2) if y == "2023" else (30 if s == "F" else 35)
        rows.append(f"{c},{y},{s},{n}")
    return "\n".join(rows) + "\n"


def _write(folder: Path, table: str, spec: str) -> tuple[Path, Path]:
    (folder / "t.csv").write_text(table)
    (folder / "s.yaml").write_text(spec)
    return folder / "t.csv", folder / "s.yaml"


def test_a_dropped_dimension_is_summed_over_and_the_release_says_so(tmp_path):
    t, s = _write(tmp_path, two_year_table(), SPEC + "drop: [year]\n")
    loaded, spec, findings = load_release_inputs(t, s)
    assert loaded is not None and spec is not None, findings
    assert spec.dimensions == ("county", "sex") and spec.drop == ("year",)
    assert "year" not in loaded.table.columns
    assert loaded.cube.values[cell_of(loaded.cube, county="C", sex="F")] == 1 + 30
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["release", str(t), "--spec", str(s), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert json.loads((out / "report.json").read_text())["drop"] == ["year"]
    assert "published without year" in (out / "metadata.txt").read_text()
    # the released table, which has no year column, is audited with the SPEC that made it
    audit = CliRunner().invoke(app, ["audit", str(out / "table.csv"), "--spec", str(s)])
    assert audit.exit_code == 0, audit.output


def test_rows_at_a_dropped_total_are_sums_already_and_an_inclusive_one_keeps_only_them(tmp_path):
    table = (
        "county,race,n\nA,Asian,30\nA,White,50\nA,Total,70\nB,Asian,20\nB,White,40\nB,Total,55\n"
    )
    spec = "dimensions: [county, race]\ncount: n\nscore: 14\ndrop: [race]\n"
    t, s = _write(tmp_path, table, spec)
    loaded, _, _ = load_release_inputs(t, s)
    assert loaded is not None
    assert loaded.table.columns["n"] == ["80", "60"]  # summed; the printed totals left out
    t, s = _write(tmp_path, table, spec + "inclusive: [race]\n")
    loaded, _, _ = load_release_inputs(t, s)
    assert loaded is not None
    assert loaded.table.columns["n"] == ["70", "55"]  # people, not answers


def test_the_proposal_offers_to_leave_out_the_year_when_that_keeps_more_detail(tmp_path):
    """Merging C and D (and more) into other counties gives up two distinctions; adding the
    two years together gives up one, and keeps every county; so does publishing the years in a
    table of their own. All are offered, tested."""
    t, s = _write(tmp_path, two_year_table(), SPEC)
    loaded, spec, _ = load_release_inputs(t, s)
    assert loaded is not None and spec is not None
    rel = release_loaded(loaded, spec)
    assert rel.blocked
    proposals = [f.details for f in rel.refusal if f.rule == "aggregation-proposal"]
    # most detail kept first: merged counties, the years in a second table linked by county
    # (DDG §10.1 "split"), the table without the years
    assert [(p.get("drop"), p.get("publish")) for p in proposals] == [
        (None, None),
        (None, [["county", "sex"], ["county", "year"]]),
        (["year"], None),
    ]
    assert all(p["passes"] for p in proposals)
    split = proposals[1]
    assert split["cells"] == 18 + 18 - 6 > proposals[2]["cells"] == 18
    for extra in ("drop: [year]\n", f"publish: {split['publish']}\n"):
        t, s = _write(tmp_path, two_year_table(), SPEC + extra)
        loaded, spec, _ = load_release_inputs(t, s)
        assert loaded is not None and spec is not None
        assert not release_loaded(loaded, spec).blocked


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ("drop: year\n", "drop must be a list of dimension names"),
        ("drop: [region]\n", "drop names 'region', not among dimensions"),
        ("drop: [year, year]\n", "drop names a dimension twice"),
        ("drop: [county, year, sex]\n", "drop leaves no dimension to publish"),
        ("drop: [year]\nrecode: {year: {'2023': '2023-24'}}\n", "which drop leaves out"),
        ("drop: [year]\nstatistics: [n]\n", "drop cannot be combined with statistics"),
        (
            "drop: [year]\npublish: [[county], [sex]]\n",
            "drop cannot be combined with publish: leave the dimension out of its tables",
        ),
    ],
)
def test_bad_drop_is_refused_and_nothing_written(tmp_path, extra, needle):
    t, s = _write(tmp_path, two_year_table(), SPEC + extra)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["release", str(t), "--spec", str(s), "--out", str(out)])
    assert result.exit_code == 2 and needle in result.output
    assert not out.exists()


def test_a_spec_that_already_drops_a_dimension_is_not_offered_a_split(tmp_path):
    """`drop` and `publish` do not combine, so a table that still fails without one dimension
    is offered merges and further drops, never linked tables its SPEC could not take."""
    spec = "dimensions: [county, year, sex, age]\ncount: n\nscore: 14\ndrop: [age]\n"
    rows = ["county,year,sex,age,n"]
    for line in two_year_table().splitlines()[1:]:
        c, y, s, n = line.split(",")
        rows += [f"{c},{y},{s},young,{n}", f"{c},{y},{s},old,{n}"]
    t, s = _write(tmp_path, "\n".join(rows) + "\n", spec)
    loaded, tspec, _ = load_release_inputs(t, s)
    assert loaded is not None and tspec is not None
    rel = release_loaded(loaded, tspec)
    proposals = [f.details for f in rel.refusal if f.rule == "aggregation-proposal"]
    assert rel.blocked and proposals
    assert all("publish" not in p for p in proposals)
    assert ["age", "year"] in [p.get("drop") for p in proposals]
