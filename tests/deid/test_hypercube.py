"""Perturbation proofs, chained perturbations and bound propagation against the exact solver."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings

from accord.deid.disclosure.check import (
    COMPLEMENTARY,
    HIDDEN,
    PRIMARY,
    attacker_bounds,
    audit_pattern,
    propagate_bounds,
    solve_intervals,
)
from accord.deid.masking.suppression import suppress_cube
from accord.deid.spec.params import Parameters
from tests.deid.conftest import cell_of, make_cube
from tests.deid.test_suppression_properties import tables

PARAMS = Parameters()
# a department that withholds totals (§10.4 (8)): the cases where a total is the small cell
WITH_TOTALS = Parameters(complement_totals=True)


@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_every_proved_interval_lies_inside_the_exact_one(table):
    """A proof is a set of tables the reader cannot exclude: never wider than the truth."""
    leaves, dims, hier = table
    cube, groups = make_cube(leaves, dims, hier)
    result = suppress_cube(cube, groups, PARAMS)
    bounds = attacker_bounds(cube.values, result.status, PARAMS)
    proved = {c: iv for c, iv in result.audit.intervals.items() if iv.method == "proof"}
    exact = solve_intervals(cube, groups, bounds, proved, max_component=10_000)
    outer = propagate_bounds(groups, bounds)
    for cell, iv in proved.items():
        truth = exact[cell]
        assert truth.lo <= iv.lo <= cube.values[cell] <= iv.hi <= truth.hi
        # and propagation only ever gives outer bounds
        assert outer.lb[cell] <= truth.lo and truth.hi <= outer.ub[cell]


def _margin_over_small_parts():
    # a row whose total (10) and every part are small: the total can only fall by lowering
    # several parts in turn, which no single perturbation does
    leaves = {}
    parts = [2, 1, 1, 3, 1, 1, 1, 0]
    for i, v in enumerate(parts):
        leaves[("r1", f"c{i}")] = v
        leaves[("r2", f"c{i}")] = 40 + i
        leaves[("r3", f"c{i}")] = 55 + i
    return make_cube(leaves, ["row", "col"])


def test_chained_perturbations_prove_what_a_single_one_cannot():
    cube, groups = _margin_over_small_parts()
    result = suppress_cube(cube, groups, WITH_TOTALS)
    total = cell_of(cube, row="r1")
    assert result.status[total] == PRIMARY
    audit = audit_pattern(cube, groups, result.status, WITH_TOTALS)
    assert audit.passed
    bounds = attacker_bounds(cube.values, result.status, WITH_TOTALS)
    exact = solve_intervals(cube, groups, bounds, [total])[total]
    assert (exact.lo, exact.hi) == (7, 10)  # seven non-zero parts: at least 7, at most 10
    assert audit.intervals[total].method == "proof"
    assert (audit.intervals[total].lo, audit.intervals[total].hi) == (7, 10)


def test_a_margin_over_too_few_small_parts_is_reported_not_hidden():
    """8 non-zero parts under a small total of 9: the reader knows 8..10, three values.

    No suppression can widen that, so the table is refused with the interval and a remedy.
    """
    leaves = {}
    parts = [1, 1, 1, 2, 1, 1, 1, 1, 0]
    for i, v in enumerate(parts):
        leaves[("r1", f"c{i}")] = v
        leaves[("r2", f"c{i}")] = 40 + i
        leaves[("r3", f"c{i}")] = 55 + i
    cube, groups = make_cube(leaves, ["row", "col"])
    result = suppress_cube(cube, groups, WITH_TOTALS)
    total = cell_of(cube, row="r1")
    assert total in result.audit.failing
    iv = result.audit.intervals[total]
    assert (iv.lo, iv.hi, iv.method) == (8, 10, "propagation")
    finding = next(f for f in result.findings if f.cell == cube.labels(total))
    assert finding.rule == "R4-audit" and "aggregate categories" in finding.message


def test_totals_are_not_complements_by_default():
    """§10.4 (8): a small row total can only hide behind another total, so by default it is
    refused with the remedy; a department that withholds totals gets it protected."""
    cube, groups = _margin_over_small_parts()
    result = suppress_cube(cube, groups, PARAMS)
    complements = np.flatnonzero(result.status == COMPLEMENTARY)
    assert len(complements) and cube.is_interior[complements].all()
    total = cell_of(cube, row="r1")
    assert total in result.audit.failing
    assert (result.audit.intervals[total].lo, result.audit.intervals[total].hi) == (10, 10)
    unprotectable = [f for f in result.findings if f.rule == "R1-unprotectable"]
    assert unprotectable and "totals are not complements" in unprotectable[0].message
    with_totals = suppress_cube(cube, groups, WITH_TOTALS).status
    other_totals = [cell_of(cube, row="r2"), cell_of(cube, row="r3")]
    assert (with_totals[other_totals] == COMPLEMENTARY).any()


def test_cells_suppressed_in_an_earlier_release_stay_suppressed():
    leaves = {(f"r{i}", f"c{j}"): 20 + 3 * i + j for i in range(4) for j in range(4)}
    leaves[("r0", "c0")] = 4
    cube, groups = make_cube(leaves, ["row", "col"])
    before = suppress_cube(cube, groups, PARAMS)
    earlier = np.zeros(cube.size, dtype=bool)
    extra = cell_of(cube, row="r3", col="c3")
    assert before.status[extra] == 0
    earlier[extra] = True
    after = suppress_cube(cube, groups, PARAMS, forced=earlier)
    assert after.status[extra] == COMPLEMENTARY
    assert audit_pattern(cube, groups, after.status, PARAMS, proofs=False).passed


def test_linked_tables_sharing_a_margin_are_protected_together():
    """County x age and county x sex published from one cross-tabulation (DDG.md §10.4 R6).

    The county margin is one cell shared by both tables, so it is withheld in both or in
    neither; the cross-tabulated cells are published nowhere and stay unknown to the reader.
    """
    rng = np.random.default_rng(7)
    leaves = {
        (f"county{c}", f"age{a}", sex): int(rng.integers(1, 4) if c == 0 else rng.integers(5, 40))
        for c in range(4)
        for a in range(3)
        for sex in ("F", "M")
    }
    cube, groups = make_cube(leaves, ["county", "age", "sex"])
    age_j, sex_j = 1, 2
    on_face = (cube.coord_arrays[age_j] == 0) | (cube.coord_arrays[sex_j] == 0)
    result = suppress_cube(cube, groups, PARAMS, hidden=~on_face)
    status, v = result.status, cube.values
    assert not result.findings
    assert np.all(status[~on_face] == HIDDEN)
    small = on_face & (v > 0) & (v < 11)
    assert small.any() and np.all(status[small] == PRIMARY)
    # the solver, seeing both tables at once, agrees that every primary cell keeps 4 values
    audit = audit_pattern(cube, groups, status, PARAMS, proofs=False)
    assert audit.passed, audit.findings
