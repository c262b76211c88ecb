"""Publication scoring criteria (DDG.md §7) against the DDG's worked scenarios (§7.5)."""

from __future__ import annotations

import dataclasses

import pytest

from accord.deid.scoring.scoring import score_presentation, score_table
from accord.deid.spec.params import Parameters

ANNUAL = {"period": "year"}
STATE = {"basis": "residence", "min_population": 39_000_000}


def unit(min_cell: int = 1, **kw):
    base = {"events": {"min_nonzero_cell": min_cell}, "time": ANNUAL, "geography": STATE}
    base.update(kw)
    return base


def county(pop: int):
    return {"basis": "residence", "min_population": pop}


def payer(enrollment: int):
    return {"programs": [{"name": "p", "enrollment": enrollment}]}


def test_statewide_annual_events_is_releasable():
    r = score_table(unit())
    assert r.total == 2 and not r.masking_required


@pytest.mark.parametrize(("pop", "total"), [(1_163, 14), (10_000, 12), (30_000, 11)])
def test_events_by_county(pop, total):
    assert score_table(unit(geography=county(pop))).total == total


@pytest.mark.parametrize(
    ("enrollment", "statewide", "alpine"),
    [
        (14_000_000, 2, 14),
        (2_752_067, 5, 17),
        (5_500_000, 4, 16),
        (1_000_000, 5, 17),
        (13_000, 10, 22),
    ],
)
def test_events_by_means_tested_program(enrollment, statewide, alpine):
    assert score_table(unit(expected_payer=payer(enrollment))).total == statewide
    assert (
        score_table(unit(expected_payer=payer(enrollment), geography=county(1_163))).total == alpine
    )


@pytest.mark.parametrize(("members", "total"), [(3_999, 12), (10_000, 12), (30_000, 11)])
def test_health_plans(members, total):
    cov = {"min_members": members, "geography_population": 39_000_000}
    r = score_table(unit(coverage=cov))
    assert r.total == total and r.population_table == "coverage"


@pytest.mark.parametrize(("members", "total"), [(10_000, 15), (30_000, 14), (150_000, 11)])
def test_health_plans_by_wic(members, total):
    cov = {"min_members": members, "geography_population": 39_000_000}
    assert score_table(unit(coverage=cov, expected_payer=payer(1_000_000))).total == total


def test_plan_larger_than_area_uses_residence_table():
    cov = {"min_members": 50_000, "geography_population": 3_000}
    r = score_table(unit(coverage=cov))
    assert r.population_table == "residence" and r.total == 14


def test_a12_every_plan_area_pair_keeps_the_highest():
    pairs = [
        {"min_members": 500_000, "geography_population": 39_000_000},
        {"min_members": 50_000, "geography_population": 3_000},
    ]
    assert score_table(unit(coverage=pairs)).population == 7


def test_a12_residence_and_service_together_keep_the_higher():
    geos = [{"basis": "service", "min_population": 30_000}, county(30_000)]
    r = score_table(unit(geography=geos))
    assert (r.population, r.population_table) == (4, "residence")


def test_most_granular_age_band_wins():
    r = score_table(unit(variables=[{"type": "age", "ranges": [[0, 11], [12, 14], [15, 18]]}]))
    assert r.variables == {"age": 5}


def test_a11_open_band_ends_at_99_and_table3_rules():
    r = score_table(unit(variables=[{"type": "age", "ranges": [[0, 84], [85, None]]}]))
    assert r.variables["age"] == 2  # 85..99 is 15 years
    six = score_table(unit(variables=[{"type": "age", "ranges": [[0, 5]]}]))
    assert six.variables["age"] == 3  # Table 3 (6–10 years), not Table 2's population band


def test_detailed_race_smallest_group_wins():
    groups = [
        {"name": "Chinese", "population": 1_500_000},
        {"name": "Japanese", "population": 250_000},
        {"name": "Cambodian", "population": 90_000},
        {"name": "Malaysian", "population": 10_000},
    ]
    r = score_table(unit(variables=[{"type": "race", "scheme": "detailed", "groups": groups}]))
    assert r.variables["race"] == 7


@pytest.mark.parametrize(
    ("cats", "score"),
    [
        (["White", "Asian", "Black or African American"], 2),
        (["White", "American Indian or Alaska Native"], 3),  # A18: AIAN without NHPI
        (["White", "Asian", "Unknown"], 2),  # A18: unknown does not raise
        (["White", "Some other race"], 3),
    ],
)
def test_a18_broad_race_categories(cats, score):
    r = score_table(unit(variables=[{"type": "race", "scheme": "broad", "categories": cats}]))
    assert r.variables["race"] == score


def test_race_by_ethnicity_cross_tab_counts_two_variables():
    r = score_table(
        unit(
            variables=[
                {"type": "race", "scheme": "broad", "categories": ["White", "Asian"]},
                {"type": "ethnicity", "scheme": "hispanic_yes_no"},
            ]
        )
    )
    assert r.variables == {"race": 2, "ethnicity": 1} and r.interaction == 2


@pytest.mark.parametrize(("n", "interaction"), [(1, 1), (2, 2), (3, 4), (4, 4), (5, 4)])
def test_a9_interaction_tops_out_at_4(n, interaction):
    variables = [{"type": "other", "name": f"v{i}", "n_groups": 2} for i in range(n)]
    assert score_table(unit(variables=variables)).interaction == interaction


@pytest.mark.parametrize(("min_cell", "interaction"), [(1, 0), (2, 0), (3, -3), (4, -3), (5, -5)])
def test_interaction_without_extra_variables(min_cell, interaction):
    assert score_table(unit(min_cell)).interaction == interaction


def test_a8_medi_cal_only_table_can_earn_negative_interaction():
    r = score_table(unit(7, expected_payer=payer(14_000_000)))
    assert r.expected_payer == 0 and r.interaction == -5


@pytest.mark.parametrize(("enrollment", "counts"), [(10_000_000, True), (10_000_001, False)])
def test_a7_program_of_10_million_counts_as_a_variable(enrollment, counts):
    r = score_table(unit(expected_payer=payer(enrollment)))
    assert r.interaction == (1 if counts else 0)
    assert r.expected_payer == (1 if counts else 0)


@pytest.mark.parametrize(
    ("time", "score"),
    [
        ({"period": "multi_year", "years": 7}, -5),
        ({"period": "multi_year", "years": 5}, -5),
        ({"period": "multi_year", "years": 3}, -3),
        ({"period": "half_year"}, 3),
        ({"period": "quarter"}, 4),
        ({"period": "week"}, 5),
    ],
)
def test_a10_time(time, score):
    assert score_table(unit(time=time)).time == score


def test_a10_more_than_five_years_is_configurable():
    params = dataclasses.replace(Parameters(), time_more_than_5_years=-6)
    assert score_table(unit(time={"period": "multi_year", "years": 6}), params).time == -6


def test_service_address_rural_and_hospital():
    rural = {"basis": "service", "level": "address", "area": "rural", "provider_is_hospital": False}
    assert score_table(unit(geography=rural)).population == 5
    assert score_table(unit(geography={**rural, "provider_is_hospital": True})).population == 3


def test_high_risk_masks_any_small_cell_whatever_the_score():
    r = score_table(unit(3, high_risk=True))
    assert r.total < 13 and r.masking_required


def test_detailed_language_uses_reference_data_and_needs_review():
    r = score_table(
        unit(
            variables=[
                {
                    "type": "language",
                    "scheme": "detailed",
                    "groups": [{"name": "Navajo"}, {"name": "Hindi"}],
                }
            ]
        )
    )
    assert r.variables["language"] == 7
    assert any("language" in reason for reason in r.expert_review_required)


def test_bad_unit_reports_findings_not_exceptions():
    r = score_table({"events": {"min_nonzero_cell": -1}, "time": {"period": "fortnight"}})
    rules = {f.rule for f in r.findings}
    assert rules == {"bad-scoring-unit"} and len(r.findings) >= 3


def test_independent_presentation_scores_each_unit():
    doc = {
        "presentation": "independent",
        "units": [
            {**unit(), "name": "by sex", "variables": [{"type": "sex"}]},
            {**unit(), "name": "by age", "variables": [{"type": "age", "ranges": [[0, 1]]}]},
        ],
    }
    reports = score_presentation(doc)
    assert [r.name for r in reports] == ["by sex", "by age"]
    assert reports[1].variables["age"] == 7


def test_report_field_names_follow_7_10():
    d = score_table(unit()).to_dict()
    assert set(d) >= {"components", "total", "masking_required", "expert_review_required"}
    assert set(d["components"]) == {
        "events",
        "time",
        "population",
        "population_table",
        "variables",
        "expected_payer",
        "interaction",
    }


@pytest.mark.parametrize(
    "variable",
    [
        {"type": "other", "name": "x" * 1_000_000, "n_groups": "many"},
        {"type": "nonsense", "scheme": "y" * 1_000_000},
        {"type": "nonsense", **{f"k{i}": i for i in range(100_000)}},
    ],
)
def test_a_huge_value_is_quoted_shortened(variable):
    from accord.deid.io.files import score_document

    unit = {"variables": [variable], "time": {"period": "z" * 1_000_000}}
    _, problems = score_document(unit)
    assert problems
    assert all(len(f.message) < 1_000 for f in problems), [len(f.message) for f in problems]
