"""The rank-based exact-derivability check finds what a reader can solve for (DDG.md §10.5)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from accord.deid.disclosure.check import (
    COMPLEMENTARY,
    PRIMARY,
    audit_pattern,
    exact_disclosures,
    reader_derivable,
)
from accord.deid.disclosure.derivable import derivable
from accord.deid.findings import Severity
from accord.deid.masking.aggregation import hidden_by_faces
from accord.deid.masking.suppression import suppress_cube
from accord.deid.release import rank_check
from accord.deid.spec.params import Parameters
from tests.deid.conftest import cell_of, make_cube
from tests.deid.test_suppression_properties import tables


def _grid(rows: int, cols: int, value: int = 20):
    leaves = {(f"r{i}", f"c{j}"): value for i in range(rows) for j in range(cols)}
    return make_cube(leaves, ["r", "c"])


def _mask(cube, cells: list[tuple[str, str]]) -> np.ndarray:
    mask = np.zeros(cube.size, dtype=bool)
    for r, c in cells:
        mask[cell_of(cube, r=r, c=c)] = True
    return mask


def test_a_lone_withheld_cell_is_derivable(one_way_examples):
    cube, groups = make_cube({(k,): v for k, v in one_way_examples["ex1"].items()}, ["a"])
    alone = np.zeros(cube.size, dtype=bool)
    alone[cell_of(cube, a="A1")] = True
    assert derivable(groups, alone).fixed[cell_of(cube, a="A1")]
    pair = alone.copy()
    pair[cell_of(cube, a="A2")] = True
    result = derivable(groups, pair)
    assert not result.fixed.any()
    assert (result.unknowns, result.rank, result.freedom) == (2, 1, 1)


def test_a_cell_no_single_group_pins_is_found():
    """Two withheld 2 × 2 squares joined by one cell: every row and column holding a withheld
    cell holds two or more (R1 holds everywhere), yet the joining cell is the difference of
    the first square's row and column sums, so a reader computes it exactly. The squares'
    own cells can still move together."""
    cube, groups = _grid(4, 4)
    square_a = [("r0", "c0"), ("r0", "c1"), ("r1", "c0"), ("r1", "c1")]
    square_b = [("r2", "c2"), ("r2", "c3"), ("r3", "c2"), ("r3", "c3")]
    bridge = ("r1", "c2")
    result = derivable(groups, _mask(cube, [*square_a, *square_b, bridge]))
    assert result.fixed[cell_of(cube, r="r1", c="c2")]
    assert int(result.fixed.sum()) == 1
    # closing the chain into a cycle frees it
    closed = _mask(cube, [*square_a, *square_b, bridge, ("r2", "c0")])
    assert not derivable(groups, closed).fixed.any()


def test_the_grand_total_and_hierarchy_parents_count():
    """County within region: a region's parts and the region itself withheld, with the state
    total and the other region published: the withheld region is the difference."""
    counties = {"A": "North", "B": "North", "C": "South", "D": "South"}
    cube, groups = make_cube({(k,): 30 for k in counties}, ["county"], {"county": counties})
    mask = np.zeros(cube.size, dtype=bool)
    for label in ("A", "B", "North"):
        mask[cell_of(cube, county=label)] = True
    fixed = derivable(groups, mask).fixed
    assert fixed[cell_of(cube, county="North")]
    assert not fixed[cell_of(cube, county="A")]


def _solver_fixed(groups, values: np.ndarray, unknown: np.ndarray) -> np.ndarray:
    """The oracle: a linear program per cell, over the same equations, with no bounds."""
    a = groups.matrix.toarray()
    cols = np.flatnonzero(unknown)
    b = -a[:, ~unknown] @ values[~unknown]
    sub = a[:, cols]
    keep = np.abs(sub).sum(axis=1) > 0
    fixed = np.zeros(len(values), dtype=bool)
    for k, cell in enumerate(cols.tolist()):
        ends = []
        for sense in (1.0, -1.0):
            c = np.zeros(len(cols))
            c[k] = sense
            res = linprog(c, A_eq=sub[keep], b_eq=b[keep], bounds=(None, None), method="highs")
            ends.append(res.status == 0)
        fixed[cell] = all(ends)  # bounded both ways: the equations fix it
    return fixed


@settings(deadline=None, max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables(), data=st.data())
def test_agrees_with_a_linear_program_on_random_patterns(table, data):
    leaves, dims, hier = table
    cube, groups = make_cube(leaves, dims, hier)
    share = data.draw(st.sampled_from([0.2, 0.4, 0.7]))
    seed = data.draw(st.integers(0, 2**32 - 1))
    unknown = np.random.default_rng(seed).random(cube.size) < share
    if not unknown.any():
        return
    expected = _solver_fixed(groups, cube.values, unknown)
    assert np.array_equal(derivable(groups, unknown).fixed, expected)


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables())
def test_released_patterns_leave_no_primary_cell_derivable(table):
    """The pattern suppression releases, checked by an independent method: no primary cell
    is solvable, and no cell the witness search moved is one the rank check fixes."""
    leaves, dims, hier = table
    cube, groups = make_cube(leaves, dims, hier)
    params = Parameters()
    result = suppress_cube(cube, groups, params)
    check = exact_disclosures(cube, groups, result.status, params)
    assert check.conflicts == 0
    if result.protected:
        fixed = reader_derivable(cube, groups, result.status).fixed
        assert not fixed[result.status == PRIMARY].any()
        assert check.passed, check


def test_exact_disclosures_counts_the_kinds(one_way_examples):
    """Example 1 labelled: the three tens are pinned by their bounds, not by the equations;
    with one of them alone, the equations fix it."""
    cube, groups = make_cube({(k,): v for k, v in one_way_examples["ex1"].items()}, ["a"])
    status = np.zeros(cube.size, dtype=np.int8)
    for label in ("A1", "A3", "A4"):
        status[cell_of(cube, a=label)] = PRIMARY
    check = exact_disclosures(cube, groups, status, Parameters())
    assert (check.derivable, check.pinned, check.movable) == (0, 3, 0)
    status[:] = 0
    status[cell_of(cube, a="A1")] = PRIMARY
    check = exact_disclosures(cube, groups, status, Parameters())
    assert (check.derivable, check.pinned, check.unsettled) == (1, 0, 0)
    status[cell_of(cube, a="A2")] = COMPLEMENTARY
    check = exact_disclosures(cube, groups, status, Parameters())
    assert check.passed


def test_the_release_refuses_a_pattern_the_rank_check_solves(one_way_examples):
    """The last gate of a release: were the search ever to leave a primary cell solvable,
    the release names the cell and refuses."""
    cube, groups = make_cube({(k,): v for k, v in one_way_examples["ex2"].items()}, ["a"])
    status = np.zeros(cube.size, dtype=np.int8)
    status[cell_of(cube, a="A3")] = PRIMARY
    [finding] = rank_check(cube, groups, status)
    assert (finding.rule, finding.severity) == ("R4-derivable", Severity.ERROR)
    assert finding.cell == {"a": "A3"}
    status[cell_of(cube, a="A1")] = PRIMARY
    [finding] = rank_check(cube, groups, status)
    assert finding.severity is Severity.INFO
    assert "none of the 2 primary cells" in finding.message


def test_beyond_the_solver_the_audit_still_reports_what_the_equations_fix():
    """A table published elsewhere whose linked blanks exceed the solver's limit: a cell the
    equations fix is a disclosure (one value), not merely "could not verify"."""
    cube, groups = _grid(4, 4)
    square_a = [("r0", "c0"), ("r0", "c1"), ("r1", "c0"), ("r1", "c1")]
    square_b = [("r2", "c2"), ("r2", "c3"), ("r3", "c2"), ("r3", "c3")]
    status = _mask(cube, [*square_a, *square_b, ("r1", "c2")]).astype(np.int8) * COMPLEMENTARY
    bridge = cell_of(cube, r="r1", c="c2")
    status[bridge] = PRIMARY
    status[cell_of(cube, r="r0", c="c0")] = PRIMARY
    params = Parameters(reason_disclosure="undifferentiated")
    report = audit_pattern(cube, groups, status, params, proofs=False, max_component=2)
    rules = {f.cell["r"] + f.cell["c"]: f.rule for f in report.findings}
    assert rules == {"r1c2": "R4-audit", "r0c0": "R4-not-verified"}
    assert (report.intervals[bridge].lo, report.intervals[bridge].hi) == (20, 20)


@settings(deadline=None, max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(table=tables(), data=st.data())
def test_the_hidden_cross_tabulation_of_linked_tables_can_be_left_out(table, data):
    """Linked tables are faces of a cube whose other cells nobody prints. The rank check
    leaves the groups through those cells out; over real values it must find exactly what
    the whole system, with every hidden cell an unknown, finds."""
    leaves, dims, hier = table
    cube, groups = make_cube(leaves, dims, hier)
    n = len(dims)
    if n < 2:
        return
    # tables of fewer dimensions than the cube, so that something is hidden
    subsets = st.lists(st.integers(0, n - 1), min_size=1, max_size=n - 1, unique=True)
    faces = tuple(tuple(sorted(f)) for f in data.draw(st.lists(subsets, min_size=1, max_size=3)))
    hidden = hidden_by_faces(cube, faces)
    seed = data.draw(st.integers(0, 2**32 - 1))
    withheld = (np.random.default_rng(seed).random(cube.size) < 0.4) & ~hidden
    whole = derivable(groups, withheld | hidden).fixed
    reduced = derivable(groups, withheld | hidden, hidden).fixed
    assert np.array_equal(whole & ~hidden, reduced)


def test_a_system_too_large_for_the_limit_is_said_to_be_unchecked(monkeypatch, one_way_examples):
    """The elimination keeps its memory bounded: beyond the limit it gives up and says so,
    and a release reports that it rests on its proofs alone, instead of running out of memory."""
    cube, groups = _grid(4, 4)
    square = _mask(cube, [("r0", "c0"), ("r0", "c1"), ("r1", "c0"), ("r1", "c1")])
    assert derivable(groups, square).complete
    monkeypatch.setattr("accord.deid.disclosure.derivable.MAX_ENTRIES", 1)
    result = derivable(groups, square)
    assert not result.complete and not result.fixed.any()
    status = square.astype(np.int8) * PRIMARY
    [finding] = rank_check(cube, groups, status)
    assert (finding.rule, finding.severity) == ("rank-check-too-large", Severity.WARNING)
