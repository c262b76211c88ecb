"""Each project choice of DDG.md §16 that the engine implements, pinned by a test."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import numpy as np

from accord.deid.attestation import (
    ExpertAttestation,
    ReleaseRecord,
    expert_determination_document,
)
from accord.deid.disclosure.check import COMPLEMENTARY, PRIMARY, audit_pattern
from accord.deid.findings import has_errors
from accord.deid.io.files import load_release_inputs
from accord.deid.masking.suppression import suppress_cube
from accord.deid.release import release_loaded
from accord.deid.scoring.scoring import score_table
from accord.deid.scoring.steps import assess_step1, check_numerator_denominator, masking_decision
from accord.deid.spec.params import Parameters, parameters_from_mapping
from tests.deid.conftest import cell_of, make_cube

P = Parameters()


def test_a1_exactly_20000_fails_by_default_and_is_configurable():
    counts = np.array([50.0, 60.0])
    assert check_numerator_denominator(counts, [20_000, 20_001], P).failing_denominators == 1
    lenient = dataclasses.replace(P, denominator_passes_at_threshold=True)
    assert check_numerator_denominator(counts, [20_000, 20_001], lenient).passes


def test_a13_unknown_denominator_fails():
    r = check_numerator_denominator(np.array([50.0]), [None], P)
    assert r.unknown_denominators == 1 and r.next_step == 3


def test_a2_high_risk_suppresses_whatever_the_score():
    required, _ = masking_decision(5, high_risk=True, any_small=True, params=P)
    assert required
    required, _ = masking_decision(5, high_risk=False, any_small=True, params=P)
    assert not required


def test_a14_score_without_small_cells_asks_an_expert():
    required, notes = masking_decision(14, high_risk=False, any_small=False, params=P)
    assert required and any(n.rule == "score-without-small-cells" for n in notes)


def test_zero_is_never_suppressed_and_complements_are_never_zero():
    cube, groups = make_cube({("a",): 4, ("b",): 0, ("c",): 0, ("d",): 25}, ["x"])
    result = suppress_cube(cube, groups, P)
    assert result.status[cell_of(cube, x="b")] == 0
    assert result.status[cell_of(cube, x="d")] == COMPLEMENTARY


def test_r2_small_sum_adds_a_third_cell():
    cube, groups = make_cube({("a",): 2, ("b",): 3, ("c",): 40, ("d",): 50}, ["x"])
    result = suppress_cube(cube, groups, P)
    assert result.status[cell_of(cube, x="c")] == COMPLEMENTARY  # smallest candidate
    assert result.status[cell_of(cube, x="d")] == 0


def test_strategy_least_interesting_prefers_unknown():
    leaves = {("a",): 5, ("b",): 30, ("Unknown",): 60}
    cube, groups = make_cube(leaves, ["x"])
    result = suppress_cube(cube, groups, P)
    assert result.status[cell_of(cube, x="Unknown")] == COMPLEMENTARY
    smallest = dataclasses.replace(P, complementary_strategy=("smallest",))
    result = suppress_cube(cube, groups, smallest)
    assert result.status[cell_of(cube, x="b")] == COMPLEMENTARY


def test_strategy_most_similar_prefers_the_adjacent_band():
    leaves = {("0-4",): 40, ("5-9",): 5, ("10-14",): 60, ("15-19",): 30}
    cube, groups = make_cube(leaves, ["age"])
    similar = dataclasses.replace(P, complementary_strategy=("most_similar", "smallest"))
    result = suppress_cube(cube, groups, similar)
    assert result.status[cell_of(cube, age="0-4")] == COMPLEMENTARY


def test_a6_intersex_yes_no_is_an_additive_group():
    cube, groups = make_cube({("yes",): 4, ("no",): 900}, ["intersex"])
    result = suppress_cube(cube, groups, P)
    assert result.status[cell_of(cube, intersex="no")] == COMPLEMENTARY


def test_a22_an_inclusive_total_is_read_not_summed(tmp_path):
    """Select-all-that-apply: 30 Asian and 50 White answers come from 70 people in A. The
    total row is taken as printed (not refused as a mismatch), totals across counties still
    add up, and a small category is protected across counties, not within the county."""
    table = (
        "county,race,n\nA,Asian,30\nA,White,50\nA,Total,70\nB,Asian,4\nB,White,40\n"
        "B,Total,43\nC,Asian,25\nC,White,33\nC,Total,51\n"
    )
    (tmp_path / "t.csv").write_text(table)
    (tmp_path / "s.yaml").write_text("dimensions: [county, race]\ncount: n\nscore: 14\n"
                                     "inclusive: [race]\n")
    loaded, spec, findings = load_release_inputs(tmp_path / "t.csv", tmp_path / "s.yaml")
    assert loaded is not None and spec is not None, findings
    cube = loaded.cube
    assert cube.values[cell_of(cube, county="A")] == 70
    assert cube.values[cell_of(cube)] == 70 + 43 + 51
    assert cube.values[cell_of(cube, race="Asian")] == 30 + 4 + 25
    rel = release_loaded(loaded, spec)
    assert not rel.blocked, rel.findings
    assert rel.status[cell_of(cube, county="B", race="Asian")] == PRIMARY
    assert (rel.status[[cell_of(cube, county=c, race="Asian") for c in "AC"]] > 0).any()

    (tmp_path / "t.csv").write_text(table.replace("B,Total,43\n", ""))
    loaded, _, findings = load_release_inputs(tmp_path / "t.csv", tmp_path / "s.yaml")
    assert loaded is None
    assert [(f.rule, f.cell) for f in findings] == [
        ("inclusive-total-missing", {"county": "B", "race": "Total"})
    ]


def test_a22_inclusive_dimension_has_no_additive_group():
    from accord.deid.model.cube import cube_from_codes
    from accord.deid.model.groups import build_groups
    from accord.deid.model.hierarchy import build_dimension

    dim, _ = build_dimension("race", ["Asian", "White"], "Total", inclusive=True)
    assert dim is not None
    cube = cube_from_codes([dim], [np.array([1, 2])], np.array([4.0, 900.0]))
    groups = build_groups(cube)
    assert groups.count == 0
    result = suppress_cube(cube, groups, P)
    assert int((result.status == COMPLEMENTARY).sum()) == 0
    assert result.status[1] == PRIMARY


def test_hierarchy_parent_groups_are_protected():
    leaves = {
        ("a1", "m"): 4,
        ("a1", "f"): 30,
        ("a2", "m"): 25,
        ("a2", "f"): 40,
        ("b1", "m"): 50,
        ("b1", "f"): 60,
        ("b2", "m"): 70,
        ("b2", "f"): 80,
    }
    hier = {"area": {"a1": "A", "a2": "A", "b1": "B", "b2": "B"}}
    cube, groups = make_cube(leaves, ["area", "sex"], hier)
    result = suppress_cube(cube, groups, P)
    assert not has_errors(result.findings)
    assert audit_pattern(cube, groups, result.status, P, proofs=False).passed
    # the primary's sibling inside region A is used, not a cell in region B
    assert result.status[cell_of(cube, area="a2", sex="m")] == COMPLEMENTARY


def test_parameters_reject_unknown_and_mistyped_keys():
    _, problems = parameters_from_mapping(
        {"min_feasible": 3, "small_cell_threshold": "11", "reason_disclosure": "maybe"}
    )
    assert len(problems) == 3


def test_changed_parameters_are_recorded():
    params, problems = parameters_from_mapping({"min_feasible_values": 5})
    assert not problems and params.changed_from_defaults() == {"min_feasible_values": 5}


def test_a5_default_min_feasible_values_is_4():
    assert P.min_feasible_values == 4


def test_unreachable_min_feasible_values_is_rejected():
    _, problems = parameters_from_mapping({"min_feasible_values": 11})
    assert problems and problems[0].section == "10.5"


def test_unpublished_unknown_margins_need_no_complements():
    from accord.deid.model.tables import LongTable, build_cube
    from accord.deid.release import release_loaded
    from accord.deid.spec.spec import parse_spec

    spec, _ = parse_spec(
        {
            "dimensions": ["x"],
            "count": "n",
            "score": 15,
            "totals": "unpublished",
            "parameters": {"assume_margins_public": False},
        }
    )
    assert spec is not None
    table = LongTable(["x", "n"], {"x": ["a", "b", "c"], "n": ["4", "50", "60"]})
    loaded, _ = build_cube(table, spec)
    assert loaded is not None
    release = release_loaded(loaded, spec)
    assert release.row_status.tolist() == [PRIMARY, 0, 0]
    # with the default (margins assumed public) the same table needs a complement
    spec2, _ = parse_spec({"dimensions": ["x"], "count": "n", "score": 15, "totals": "unpublished"})
    assert spec2 is not None
    loaded2, _ = build_cube(table, spec2)
    assert loaded2 is not None
    assert release_loaded(loaded2, spec2).row_status.tolist() == [PRIMARY, COMPLEMENTARY, 0]


def _survey_release(rows: list[str], survey: dict[str, str]):
    from accord.deid.model.tables import LongTable, build_cube
    from accord.deid.release import release_loaded
    from accord.deid.spec.spec import parse_spec

    header, *body = rows
    names = header.split(",")
    cols: dict[str, list[str]] = {n: [] for n in names}
    for line in body:
        for n, v in zip(names, line.split(","), strict=True):
            cols[n].append(v)
    spec, problems = parse_spec({"dimensions": ["x"], "count": "n", "score": 14, "survey": survey})
    assert spec is not None, problems
    loaded, problems = build_cube(LongTable(names, cols), spec)
    assert loaded is not None, problems
    return release_loaded(loaded, spec)


def test_a15_small_cell_rule_counts_unweighted_respondents_and_both_rules_apply():
    from accord.deid.survey.release_rules import UNRELIABLE

    # a: 6 respondents (weighted estimate irrelevant) → DDG primary suppression;
    # b: 150 respondents but an RSE of 25% → CHIS withholds it as unreliable;
    # c (the smallest, so a's complement), d: reliable
    rel = _survey_release(
        [
            "x,n,den,rse",
            "a,6,500,10",
            "b,150,500,25",
            "c,40,500,5",
            "d,304,500,4",
            "Total,500,500,1",
        ],
        {"profile": "CHIS", "sample_size": "den", "rse": "rse"},
    )
    assert rel.row_status[0] == PRIMARY  # the DDG rule, on the unweighted count
    assert rel.row_reliability[1] == UNRELIABLE  # the survey's own rule, as well
    assert rel.row_status.tolist() == [PRIMARY, 0, COMPLEMENTARY, 0, 0]
    assert rel.row_status[1] == 0  # b is withheld for quality, not as a complement
    assert rel.reliability[0] is None  # no verdict published about a suppressed cell


def test_a20_any_nonzero_category_under_one_percent_shows_lt_1():
    from accord.deid.masking.percent import mask_three_category

    # 10 of 1,100 is 0.909%, which rounds to 1%; the DDG prints "<1%"
    t = mask_three_category({"male": 545, "female": 545, "intersex": 10})
    assert t.shown["intersex"] == "<1%"
    # exactly 1% is not under 1%
    assert mask_three_category({"m": 550, "f": 539, "x": 11}).shown["x"] == "1%"


def test_r6_cells_withheld_earlier_stay_withheld_unless_zero_or_no_masking():
    """§10.4 R6 says an earlier suppression SHOULD stay: it does, as a complement when the cell
    is no longer small. A zero is still shown (§10.2), and a table that needs no masking
    suppresses nothing; both are reported as a warning for the expert, not hidden."""
    from accord.deid.model.tables import LongTable, build_cube
    from accord.deid.release import release_loaded
    from accord.deid.spec.spec import parse_spec

    table = LongTable(
        ["x", "n"], {"x": ["a", "b", "c", "d", "e"], "n": ["4", "30", "40", "0", "50"]}
    )

    def released(score: int, earlier: list[str]):
        spec, _ = parse_spec({"dimensions": ["x"], "count": "n", "score": score})
        assert spec is not None
        loaded, _ = build_cube(table, spec)
        assert loaded is not None
        loaded.earlier = np.zeros(loaded.cube.size, dtype=bool)
        for label in earlier:
            loaded.earlier[cell_of(loaded.cube, x=label)] = True
        return release_loaded(loaded, spec)

    masked = released(14, ["c", "d", "e"])
    assert masked.row_status.tolist() == [PRIMARY, 0, COMPLEMENTARY, 0, COMPLEMENTARY]
    warning = next(f for f in masked.findings if f.rule == "previously-suppressed-published")
    assert "1 of them zero" in warning.message and not masked.blocked
    unmasked = released(5, ["c"])
    assert unmasked.row_status.tolist() == [0, 0, 0, 0, 0]
    assert any(f.rule == "previously-suppressed-published" for f in unmasked.findings)


def test_a19_a_population_restriction_in_the_title_is_scored_and_counted():
    # "births to females 15–44 by county": the restriction is two variables, not none
    base = {
        "events": {"min_nonzero_cell": 1},
        "time": {"period": "year"},
        "geography": {"basis": "residence", "min_population": 39_000_000},
    }
    plain = score_table(base)
    restricted = score_table(
        {**base, "variables": [{"type": "sex"}, {"type": "age", "ranges": [[15, 44]]}]}
    )
    assert set(restricted.variables) == {"sex", "age"}
    assert restricted.interaction == 2  # + 2 variables (§7.9)
    assert restricted.total > plain.total


def test_a17_fig5_order_and_step5_is_the_experts_attestation():
    # no personal characteristics: straight to step 6, no legal review on the way (Fig. 5)
    beds = {"name": "beds", "classification": "facility"}
    age = {"name": "age", "classification": "age"}
    assert assess_step1({"variables": [beds]}).next_step == 6
    assert assess_step1({"variables": [age]}).next_step == 2
    record = ReleaseRecord("r", "why", "not safe harbor", {"steps": {}, "summary": {}})
    assert "## Step 5 — expert review\n_Not yet signed._" in expert_determination_document(record)
    record.attestation = ExpertAttestation(
        "E. Xpert", "statistical de-identification expert", datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert "Signed: E. Xpert" in expert_determination_document(record)
