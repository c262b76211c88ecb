"""The audit must find the disclosures the DDG's own examples describe (DDG.md §10.5)."""

from __future__ import annotations

import dataclasses

import numpy as np

from accord.deid.disclosure.check import COMPLEMENTARY, PRIMARY, audit_pattern, structurally_narrow
from accord.deid.spec.params import Parameters
from tests.deid.conftest import cell_of, make_cube


def _pattern(cube, marks: dict[str, int]) -> np.ndarray:
    status = np.zeros(cube.size, dtype=np.int8)
    for label, code in marks.items():
        status[cell_of(cube, a=label)] = code
    return status


def _one_way(values: dict[str, int]):
    return make_cube({(k,): v for k, v in values.items()}, ["a"])


def test_example1_ten_ten_ten_is_pinned(one_way_examples):
    cube, groups = _one_way(one_way_examples["ex1"])
    status = _pattern(cube, {"A1": PRIMARY, "A3": PRIMARY, "A4": PRIMARY})
    report = audit_pattern(cube, groups, status, Parameters(), proofs=False)
    assert not report.passed
    iv = report.intervals[cell_of(cube, a="A1")]
    assert (iv.lo, iv.hi) == (10, 10)


def test_example1_remedy_suppress_a2_passes(one_way_examples):
    cube, groups = _one_way(one_way_examples["ex1"])
    status = _pattern(cube, {"A1": PRIMARY, "A2": COMPLEMENTARY, "A3": PRIMARY, "A4": PRIMARY})
    report = audit_pattern(cube, groups, status, Parameters(), proofs=False)
    assert report.passed


def test_example2_ten_nine_leaves_two_values(one_way_examples):
    cube, groups = _one_way(one_way_examples["ex2"])
    status = _pattern(cube, {"A1": PRIMARY, "A3": PRIMARY})
    report = audit_pattern(cube, groups, status, Parameters(), proofs=False)
    assert not report.passed
    iv = report.intervals[cell_of(cube, a="A3")]
    assert (iv.lo, iv.hi) == (9, 10)


def test_example4_labelled_complement_pins_both(one_way_examples):
    cube, groups = _one_way(one_way_examples["ex4"])
    status = _pattern(cube, {"A3": PRIMARY, "A4": COMPLEMENTARY})
    report = audit_pattern(cube, groups, status, Parameters(), proofs=False)
    assert not report.passed
    assert report.intervals[cell_of(cube, a="A3")].hi == 1


def test_the_audit_says_whether_more_suppression_could_help(
    one_way_examples,
):
    """A cell pinned by the pattern chosen is not pinned by the table: withholding A2 (14) too
    would protect Example 4's A3. Over parts 1, 11, 1 of a total of 13 nothing can: with A2
    withheld as well a reader knows it is at least 11, so A1 + A3 <= 2 pins both."""
    cube, groups = _one_way(one_way_examples["ex4"])
    status = _pattern(cube, {"A3": PRIMARY, "A4": COMPLEMENTARY})
    a3 = cell_of(cube, a="A3")
    assert structurally_narrow(cube, groups, status, Parameters(), [a3]) == set()
    [finding] = audit_pattern(cube, groups, status, Parameters()).findings
    assert "no suppression can widen it" not in finding.message

    cube, groups = _one_way({"A1": 1, "A2": 11, "A3": 1, "A4": 0})
    status = _pattern(cube, {"A1": PRIMARY, "A3": PRIMARY})
    a1 = cell_of(cube, a="A1")
    assert structurally_narrow(cube, groups, status, Parameters(), [a1]) == {a1}
    report = audit_pattern(cube, groups, status, Parameters())
    assert all("no suppression can widen it" in f.message for f in report.findings)


def test_example4_passes_when_reasons_are_not_disclosed(one_way_examples):
    """§16 A4: with one undifferentiated mark the same pattern keeps 11 values."""
    cube, groups = _one_way(one_way_examples["ex4"])
    status = _pattern(cube, {"A3": PRIMARY, "A4": COMPLEMENTARY})
    params = dataclasses.replace(Parameters(), reason_disclosure="undifferentiated")
    report = audit_pattern(cube, groups, status, params, proofs=False)
    assert report.passed
    iv = report.intervals[cell_of(cube, a="A3")]
    assert (iv.lo, iv.hi) == (1, 11)


def test_min_feasible_values_is_the_threshold(one_way_examples):
    """§16 A5: Example 2 leaves two values; it passes only if a department asks for <= 2."""
    cube, groups = _one_way(one_way_examples["ex2"])
    status = _pattern(cube, {"A1": PRIMARY, "A3": PRIMARY})
    lax = dataclasses.replace(Parameters(), min_feasible_values=2)
    assert audit_pattern(cube, groups, status, lax, proofs=False).passed
    strict = dataclasses.replace(Parameters(), min_feasible_values=3)
    assert not audit_pattern(cube, groups, status, strict, proofs=False).passed


def test_two_way_lone_suppression_is_exactly_derivable():
    leaves = {("r1", "c1"): 5, ("r1", "c2"): 30, ("r2", "c1"): 40, ("r2", "c2"): 50}
    cube, groups = make_cube(leaves, ["r", "c"])
    status = np.zeros(cube.size, dtype=np.int8)
    status[cell_of(cube, r="r1", c="c1")] = PRIMARY
    report = audit_pattern(cube, groups, status, Parameters(), proofs=False)
    iv = report.intervals[cell_of(cube, r="r1", c="c1")]
    assert (iv.lo, iv.hi) == (5, 5)
    assert not report.passed


def test_three_way_pattern_that_passes_r1_but_discloses():
    """R1 holds in every line, yet the 3-D pattern pins the cell (why R4 exists)."""
    leaves = {(a, b, c): 30 for a in "xy" for b in "pq" for c in "uv"}
    leaves[("x", "p", "u")] = 4
    cube, groups = make_cube(leaves, ["a", "b", "c"])
    status = np.zeros(cube.size, dtype=np.int8)
    # a "cross" of suppressions: every line through a suppressed cell has two, but the
    # pattern is not closed under the third dimension
    for key in [
        ("x", "p", "u"),
        ("y", "p", "u"),
        ("x", "q", "u"),
        ("x", "p", "v"),
        ("y", "q", "v"),
    ]:
        status[cell_of(cube, a=key[0], b=key[1], c=key[2])] = (
            PRIMARY if leaves[key] < 11 else COMPLEMENTARY
        )
    report = audit_pattern(cube, groups, status, Parameters(), proofs=False)
    assert not report.passed


def test_proof_agrees_with_solver_on_a_safe_two_way_table():
    leaves = {("r1", "c1"): 3, ("r1", "c2"): 30, ("r2", "c1"): 40, ("r2", "c2"): 50}
    cube, groups = make_cube(leaves, ["r", "c"])
    status = np.zeros(cube.size, dtype=np.int8)
    for r, c in [("r1", "c1"), ("r1", "c2"), ("r2", "c1"), ("r2", "c2")]:
        status[cell_of(cube, r=r, c=c)] = PRIMARY if leaves[(r, c)] < 11 else COMPLEMENTARY
    by_proof = audit_pattern(cube, groups, status, Parameters(), proofs=True)
    by_solver = audit_pattern(cube, groups, status, Parameters(), proofs=False)
    cell = cell_of(cube, r="r1", c="c1")
    assert by_proof.passed and by_solver.passed
    assert by_proof.intervals[cell].method == "proof"
    assert by_solver.intervals[cell].lo == 1 and by_solver.intervals[cell].hi == 10
