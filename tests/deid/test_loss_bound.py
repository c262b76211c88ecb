"""The lower bound on complements: never above what a pattern obeying R1–R3 needs, and tight
where the answer is known by hand (issue 5, "Information loss ... report it")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from accord.deid.disclosure.check import COMPLEMENTARY, complement_candidates
from accord.deid.findings import has_errors
from accord.deid.masking.loss_bound import complement_lower_bound
from accord.deid.masking.suppression import primary_status, suppress_cube
from accord.deid.spec.params import Parameters
from tests.deid.conftest import make_cube

DEFAULT = Parameters()
WITH_TOTALS = Parameters(complement_totals=True)
MAX_BRUTE_FORCE = 14  # candidate cells: every subset of them is tried


def fewest_complements(cube, groups, params) -> int | None:
    """The true optimum by trying every set of candidates; None when no set meets R1–R3."""
    status = primary_status(cube, params)
    primary = status > 0
    candidates = np.flatnonzero(complement_candidates(cube, groups, status, params))
    n = len(candidates)
    chosen = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(bool)
    withheld = np.repeat(primary[None, :], 2**n, axis=0)
    withheld[:, candidates] = chosen
    ok = np.ones(2**n, dtype=bool)
    t = params.small_cell_threshold
    for g in range(groups.count):
        members = groups.members(g)
        total, parts = members[0], members[1:]
        count = withheld[:, members].sum(axis=1)
        ok &= (count == 0) | (count >= 2)  # R1
        hidden_values = withheld[:, parts] * cube.values[parts]
        # R2, where the total is published
        r2_applies = withheld[:, parts].any(axis=1) & ~withheld[:, total]
        ok &= ~r2_applies | ((hidden_values.sum(axis=1) >= t) & (hidden_values.max(axis=1) > 3))
    if not ok.any():
        return None
    return int(chosen[ok].sum(axis=1).min())


def bound_of(cube, groups, params):
    return complement_lower_bound(cube, groups, primary_status(cube, params), params)


@st.composite
def small_tables(draw: st.DrawFn):
    n_dims = draw(st.integers(1, 2))
    sizes = [draw(st.integers(2, 4)) for _ in range(n_dims)]
    if n_dims == 2:
        sizes[1] = draw(st.integers(2, 3))
    hierarchy = sizes[0] == 4 and draw(st.booleans())
    cats = [[f"d{j}c{i}" for i in range(s)] for j, s in enumerate(sizes)]
    value = st.one_of(st.just(0), st.integers(1, 10), st.integers(11, 40))
    leaves = {
        tuple(cats[j][k] for j, k in enumerate(key)): draw(value) for key in np.ndindex(*sizes)
    }
    hier = (
        {"d0": {c: ("P1" if i < 2 else "P2") for i, c in enumerate(cats[0])}} if hierarchy else None
    )
    return make_cube(leaves, [f"d{j}" for j in range(n_dims)], hier)


both_settings = pytest.mark.parametrize(
    "params", [DEFAULT, WITH_TOTALS], ids=["default", "complement_totals"]
)


@both_settings
@settings(deadline=None, max_examples=80, suppress_health_check=[HealthCheck.too_slow])
@given(table=small_tables())
def test_never_above_the_true_optimum(params, table):
    cube, groups = table
    status = primary_status(cube, params)
    assume(complement_candidates(cube, groups, status, params).sum() <= MAX_BRUTE_FORCE)
    bound = bound_of(cube, groups, params)
    best = fewest_complements(cube, groups, params)
    if bound.complements is None:
        assert best is None, "said impossible, but a pattern meets R1–R3"
    elif best is not None:
        assert bound.complements <= best


@both_settings
@settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])
@given(table=small_tables())
def test_every_release_withholds_at_least_the_bound(params, table):
    cube, groups = table
    result = suppress_cube(cube, groups, params)
    if has_errors(result.findings):
        return
    bound = bound_of(cube, groups, params)
    assert bound.complements is not None
    assert int((result.status == COMPLEMENTARY).sum()) >= bound.complements


def test_a_lone_small_cell_needs_its_square():
    # with margins published and totals not complements, the only pattern is the 2 × 2 square
    leaves = {("a", "x"): 5, ("a", "y"): 30, ("b", "x"): 40, ("b", "y"): 50}
    cube, groups = make_cube(leaves, ["row", "col"])
    bound = bound_of(cube, groups, DEFAULT)
    assert (bound.primary, bound.complements) == (1, 3)
    assert bound.information_loss == 4.0
    result = suppress_cube(cube, groups, DEFAULT)
    assert int((result.status == COMPLEMENTARY).sum()) == 3  # the engine is optimal here


def test_a_table_no_pattern_can_protect_is_said_so():
    # (a, x) = 5 needs (a, y) withheld; column y then has only a zero and its total
    leaves = {("a", "x"): 5, ("a", "y"): 20, ("b", "x"): 0, ("b", "y"): 0}
    cube, groups = make_cube(leaves, ["row", "col"])
    refused = bound_of(cube, groups, DEFAULT)
    assert refused.complements is None and refused.information_loss is None
    assert fewest_complements(cube, groups, DEFAULT) is None
    # once totals may be complements, the total of column y completes it
    assert bound_of(cube, groups, WITH_TOTALS).complements == fewest_complements(
        cube, groups, WITH_TOTALS
    )


def test_the_audit_is_not_in_the_bound(one_way_examples):
    # DDG Example 1: the three 10s already meet R1–R3, yet the audit needs a complement
    cube, groups = make_cube({(k,): v for k, v in one_way_examples["ex1"].items()}, ["area"])
    assert bound_of(cube, groups, DEFAULT).complements == 0
    assert int((suppress_cube(cube, groups, DEFAULT).status == COMPLEMENTARY).sum()) >= 1


def test_a_hierarchy_splits_the_table_into_programs():
    leaves = {
        (f"c{i}", s): v
        for i, row in enumerate([(3, 40), (30, 25), (60, 2), (18, 33)])
        for s, v in zip(("F", "M"), row, strict=True)
    }
    hier = {"county": {"c0": "North", "c1": "North", "c2": "South", "c3": "South"}}
    cube, groups = make_cube(leaves, ["county", "sex"], hier)
    bound = bound_of(cube, groups, DEFAULT)
    assert bound.programs == 3  # the state, North and South: no group joins two of them
    # each region's small cell needs its square within the region
    assert bound.complements == fewest_complements(cube, groups, DEFAULT) == 6
