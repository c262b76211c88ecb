"""Aggregation proposals (DDG.md §10.1) for tables suppression cannot protect."""

from __future__ import annotations

import numpy as np
import pytest
from typer.testing import CliRunner

from accord.cli import deid as cli_deid
from accord.deid.findings import Finding, shortened
from accord.deid.masking.aggregation import compose_recode, proposal_finding, propose_aggregation
from accord.deid.masking.suppression import suppress_cube
from accord.deid.spec.params import Parameters
from tests.deid.conftest import cell_of, make_cube

# `accord deid release` acts as a user and keeps the release in the database
pytestmark = pytest.mark.usefixtures("deid_user")

PARAMS = Parameters()


def _tiny_row_table():
    # row r5 holds 7 people in all: its total is small and no other total may join it
    leaves = {(f"r{i}", f"c{j}"): 30 + 7 * i + j for i in range(4) for j in range(5)}
    leaves.update({("r4", f"c{j}"): 12 + j for j in range(5)})
    leaves.update({("r5", f"c{j}"): v for j, v in enumerate([1, 2, 0, 1, 3])})
    return make_cube(leaves, ["row", "col"])


def test_a_tiny_category_is_merged_with_its_smallest_sibling_and_then_passes():
    cube, groups = _tiny_row_table()
    refused = suppress_cube(cube, groups, PARAMS)
    assert not refused.protected
    coarse = propose_aggregation(cube, refused, PARAMS)
    assert coarse is not None and coarse.passes
    assert [(m.dimension, m.codes) for m in coarse.merges] == [("row", ("r4", "r5"))]
    assert coarse.recode() == {"row": {"r4": "r4 + r5", "r5": "r4 + r5"}}
    # the merged row is the sum of the two, and nothing else moved
    merged = cell_of(coarse.cube, row="r4 + r5", col="c1")
    assert coarse.cube.values[merged] == 13 + 2
    assert coarse.cube.values[cell_of(coarse.cube)] == cube.values[cell_of(cube)]
    assert coarse.cube.values[cell_of(coarse.cube, row="r2", col="c3")] == 30 + 14 + 3


def test_merges_stay_inside_their_parent():
    """An area merges with an area of its own region, even when another region's is smaller."""
    region = {"a1": "N", "a2": "N", "a3": "N", "b1": "S", "b2": "S", "b3": "S"}
    sizes = {"a1": (11, 12), "a2": (60, 70), "a3": (80, 90), "b1": (40, 44), "b2": (2, 1),
             "b3": (50, 55)}
    leaves = {
        (area, sex): v for area, pair in sizes.items() for sex, v in zip("FM", pair, strict=True)
    }
    cube, groups = make_cube(leaves, ["area", "sex"], {"area": region})
    refused = suppress_cube(cube, groups, PARAMS)
    assert not refused.protected
    coarse = propose_aggregation(cube, refused, PARAMS)
    assert coarse is not None and coarse.passes
    assert [m.codes for m in coarse.merges] == [("b1", "b2")]
    merged = coarse.cube.dims[0]
    assert merged.codes[merged.parents[merged.index["b1 + b2"]]] == "S"


def test_a_protected_table_gets_no_proposal():
    cube, groups = make_cube({("a", "F"): 20, ("a", "M"): 40, ("b", "F"): 30}, ["area", "sex"])
    result = suppress_cube(cube, groups, PARAMS)
    assert result.protected and propose_aggregation(cube, result, PARAMS) is None


def test_the_finding_carries_a_recode_composed_with_the_specs_own():
    cube, groups = _tiny_row_table()
    coarse = propose_aggregation(cube, suppress_cube(cube, groups, PARAMS), PARAMS)
    assert coarse is not None
    finding = proposal_finding(coarse, {"col": {"c0": "c0"}})
    assert finding.rule == "aggregation-proposal" and finding.details["passes"]
    assert finding.details["recode"] == {
        "col": {"c0": "c0"},
        "row": {"r4": "r4 + r5", "r5": "r4 + r5"},
    }
    assert "no small count left" in finding.message
    assert finding.message.endswith(
        "add to the SPEC: {recode: {col: {c0: c0}, row: {r4: r4 + r5, r5: r4 + r5}}}"
    )


def test_recodes_compose():
    first = {"age": {"85-89": "85+", "90+": "85+"}}
    then = {"age": {"85+": "80-84 + 85+", "80-84": "80-84 + 85+"}, "sex": {"X": "X + U"}}
    assert compose_recode(first, then) == {
        "age": {"85-89": "80-84 + 85+", "90+": "80-84 + 85+", "80-84": "80-84 + 85+"},
        "sex": {"X": "X + U"},
    }


def test_proposals_are_deterministic():
    cube, groups = _tiny_row_table()
    runs = [
        propose_aggregation(cube, suppress_cube(cube, groups, PARAMS), PARAMS) for _ in range(2)
    ]
    assert runs[0] is not None and runs[1] is not None
    assert runs[0].merges == runs[1].merges
    assert np.array_equal(runs[0].result.status, runs[1].result.status)


def test_cli_refusal_shows_the_first_findings_a_count_of_the_rest_and_the_proposal(
    tmp_path, monkeypatch
):
    rows = ["area,sex,n"]
    for i in range(40):  # forty areas of 1-3 people beside three large ones
        rows += [f"tiny{i:02},F,1", f"tiny{i:02},M,2"]
    for area in ("big1", "big2", "big3"):
        rows += [f"{area},F,300", f"{area},M,310"]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "s.yaml").write_text("dimensions: [area, sex]\ncount: n\nscore: 14\n")
    out = tmp_path / "out"
    monkeypatch.setattr(cli_deid, "SHOWN_FINDINGS", 0)
    args = ["release", str(tmp_path / "t.csv"), "--spec", str(tmp_path / "s.yaml")]
    result = CliRunner().invoke(cli_deid.app, [*args, "--out", str(out)])
    assert result.exit_code == 2 and not out.exists()
    lines = result.output.splitlines()
    assert "  … and 1 more (1 R1-unprotectable)" in lines
    proposal = next(line for line in lines if "aggregation-proposal" in line)
    assert "tiny38: tiny38 + tiny39, tiny39: tiny38 + tiny39}}}" in proposal
    assert "the coarser table passes" in proposal
    # progress as it goes, unless asked not to
    assert "  … suppressing: 132 cells, 120 of them small" in lines
    assert "  … combining categories, round 1: 20 merges; 0 cells still unprotected" in lines
    quiet = CliRunner().invoke(cli_deid.app, [*args, "--out", str(out), "--quiet"])
    assert quiet.exit_code == 2 and "suppressing" not in quiet.output


def test_shortened_counts_what_it_leaves_out_by_rule():
    found = [Finding("R4-audit", "10.5", "x"), Finding("R4-audit", "10.5", "y"),
             Finding("R1-unprotectable", "10.4", "z"), Finding("R4-audit", "10.5", "w")]
    assert shortened(found, 4) == (found, None)
    assert shortened(found, 1) == (found[:1], "… and 3 more (2 R4-audit, 1 R1-unprotectable)")
