"""§12 survey reliability: each profile on both sides of its threshold, and the release."""

from __future__ import annotations

import dataclasses

import pytest

from accord.deid.model.tables import LongTable, build_cube
from accord.deid.release import release_loaded
from accord.deid.spec.params import Parameters
from accord.deid.spec.spec import parse_spec
from accord.deid.survey.release_rules import FLAGGED, UNRELIABLE
from accord.deid.survey.reliability import (
    SurveyEstimate,
    default_profile,
    find_profile,
    survey_profiles,
    survey_reliability,
)


def outcome(profile: str, **fields: float) -> str:
    found = find_profile(profile)
    assert found is not None
    base = {"numerator": 200, "denominator": 1_000, "proportion": 0.3, "rse": 5.0}
    base.update(fields)
    estimate = SurveyEstimate(
        numerator=int(base["numerator"]),
        denominator=int(base["denominator"]),
        proportion=base["proportion"],
        rse=base["rse"],
        design_effect=base.get("design_effect"),
    )
    return survey_reliability(estimate, found).outcome


# (profile, field, value that passes, value that fails, outcome when failing)
THRESHOLDS = [
    ("CHIS", "rse", 20.0, 20.01, "suppress"),
    ("BRFSS", "denominator", 50, 49, "suppress"),
    ("NHIS", "denominator", 50, 49, "suppress"),
    ("NHIS", "rse", 30.0, 30.1, "suppress"),
    ("NHANES", "denominator", 30, 29, "suppress"),
    ("NHANES", "rse", 30.0, 30.1, "suppress"),
    ("MEPS", "denominator", 70, 69, "suppress"),
    ("MEPS", "rse", 30.0, 30.1, "suppress"),
    ("NSFG", "denominator", 50, 49, "suppress"),
    ("NSFG", "rse", 30.0, 30.1, "suppress"),
    ("NSDUH", "rse", 17.5, 17.6, "suppress"),
    ("NSDUH", "proportion", 0.0005, 0.00049, "suppress"),
    ("NSDUH", "proportion", 0.9999, 0.99995, "suppress"),
    ("YRBSS", "denominator", 100, 99, "suppress"),
    ("SHPPS", "denominator", 30, 29, "suppress"),
    ("NAMCS", "numerator", 30, 29, "suppress"),
    ("NAMCS", "rse", 30.0, 30.1, "suppress"),
    ("NHDS", "numerator", 60, 59, "flag"),
    ("NHDS", "numerator", 29, 29, "suppress"),  # 29 < 30: suppressed, not merely flagged
    ("NHDS", "rse", 30.0, 30.1, "suppress"),
    ("NCVS", "numerator", 11, 10, "suppress"),
    ("MTF", "denominator", 100, 99, "suppress"),
    ("MTF", "proportion", 0.0005, 0.0004, "suppress"),
    ("CAHPS", "denominator", 100, 99, "suppress"),
]


@pytest.mark.parametrize(("profile", "field", "ok", "bad", "expected"), THRESHOLDS)
def test_each_profile_on_both_sides_of_its_threshold(profile, field, ok, bad, expected):
    if not (profile == "NHDS" and ok == bad):
        assert outcome(profile, **{field: ok}) == "publish"
    assert outcome(profile, **{field: bad}) == expected


def test_every_shipped_profile_is_covered_by_a_threshold_case():
    covered = {p for p, *_ in THRESHOLDS} | {"CSFII"}
    assert {p.name for p in survey_profiles().values()} == covered


def test_nhds_30_to_59_records_are_flagged_not_suppressed():
    assert [outcome("NHDS", numerator=n) for n in (29, 30, 59, 60)] == [
        "suppress",
        "flag",
        "flag",
        "publish",
    ]


def test_chis_rse_example():
    """CHIS: SE 2.4 on an estimate of 10.0% is an RSE of 24% > 20%: withheld; the standard
    formula divides by the estimate, not by 100 minus it (which would give 2.7%)."""
    chis = find_profile("chis")
    assert chis is not None
    result = survey_reliability(SurveyEstimate(numerator=80, rse=2.4 / 10.0 * 100), chis)
    assert result.outcome == "suppress"
    assert result.failed == ["relative standard error above 20%"]
    assert survey_reliability(SurveyEstimate(numerator=80, rse=19.9), chis).reliable


def test_nsduh_p_bounds_and_alias():
    nsduh = find_profile("NHSDA")
    assert nsduh is not None and nsduh.name == "NSDUH"
    for p, reliable in [(0.0004999, False), (0.0005, True), (0.9999499, True), (0.99995, False)]:
        est = SurveyEstimate(numerator=500, proportion=p, rse=1.0)
        assert survey_reliability(est, nsduh).reliable is reliable, p


def test_default_profile_is_the_30_case_rule():
    other = find_profile(None)
    assert other is not None and other.name == "DEFAULT"
    assert survey_reliability(SurveyEstimate(denominator=29), other).outcome == "suppress"
    assert survey_reliability(SurveyEstimate(denominator=30), other).reliable
    assert find_profile("other") == default_profile()
    stricter = default_profile(dataclasses.replace(Parameters(), survey_min_denominator_sample=40))
    assert not survey_reliability(SurveyEstimate(denominator=35), stricter).reliable


def test_unknown_survey_has_no_profile():
    assert find_profile("No Such Survey") is None


@pytest.mark.parametrize(
    ("p", "n", "deff", "rse", "reliable"),
    [
        (0.10, 80, 1.0, 5.0, True),  # 8 × 1 / 0.10 = 80 cases needed
        (0.10, 79, 1.0, 5.0, False),
        (0.90, 80, 1.0, 5.0, True),  # 8 × 1 / (1 − 0.90) = 80
        (0.90, 79, 1.0, 5.0, False),
        (0.50, 45, 1.5, 30.0, True),  # 30 × 1.5 = 45; CV at 30% passes
        (0.50, 44, 1.5, 30.0, False),
        (0.50, 45, 1.5, 30.1, False),
        (0.25, 31, 1.0, 5.0, False),  # at 25% the stricter outer formula asks for 32
        (0.25, 32, 1.0, 5.0, True),
    ],
)
def test_csfii_formula(p, n, deff, rse, reliable):
    csfii = find_profile("CSFII")
    assert csfii is not None
    est = SurveyEstimate(numerator=10, denominator=n, proportion=p, rse=rse, design_effect=deff)
    assert survey_reliability(est, csfii).reliable is reliable


def test_missing_input_is_not_assumed_reliable():
    chis = find_profile("CHIS")
    assert chis is not None
    result = survey_reliability(SurveyEstimate(numerator=50), chis)
    assert result.outcome == "suppress" and result.missing == ["rse"]


def test_zero_estimate_only_meets_denominator_tests():
    nhis = find_profile("NHIS")
    assert nhis is not None
    assert survey_reliability(SurveyEstimate(numerator=0, denominator=60), nhis).reliable
    assert not survey_reliability(SurveyEstimate(numerator=0, denominator=40), nhis).reliable


def _release(rows: list[str], survey: dict[str, str]):
    header, *body = rows
    names = header.split(",")
    cols: dict[str, list[str]] = {n: [] for n in names}
    for line in body:
        for n, v in zip(names, line.split(","), strict=True):
            cols[n].append(v)
    spec, problems = parse_spec(
        {"dimensions": ["sex"], "count": "n", "score": 14, "survey": survey}
    )
    assert spec is not None, problems
    loaded, problems = build_cube(LongTable(names, cols), spec)
    assert loaded is not None, problems
    return release_loaded(loaded, spec)


def test_release_flags_and_suppresses_per_profile():
    rel = _release(
        ["sex,n,den,rse", "m,45,90,9", "f,45,90,9", "Total,90,90,5"],
        {"profile": "NHDS", "sample_size": "den", "rse": "rse"},
    )
    # 45 records: low reliability (flag), value kept; 90: fine
    assert rel.row_reliability.tolist() == [FLAGGED, FLAGGED, 0]
    assert rel.row_status.tolist() == [0, 0, 0]


def test_unreliable_estimate_needs_no_complementary_cell():
    rel = _release(
        ["sex,n,den,pct", "m,20,20,50", "f,400,400,40", "Total,420,420,40"],
        {"sample_size": "den", "estimate": "pct"},
    )
    assert rel.row_reliability.tolist() == [UNRELIABLE, 0, 0]
    assert rel.row_status.tolist() == [0, 0, 0]  # no disclosure suppression, no complement
    assert rel.count_withheld.tolist() == [True, False, False]


def test_survey_spec_problems_are_listed_together():
    _, problems = parse_spec(
        {
            "dimensions": ["x"],
            "count": "n",
            "survey": {"profile": "CSFII", "sample_size": "den", "weights": "w"},
        }
    )
    messages = " | ".join(p.message for p in problems)
    assert "unknown survey key 'weights'" in messages
    assert "needs survey.estimate" in messages and "needs survey.design_effect" in messages
    _, problems = parse_spec({"dimensions": ["x"], "count": "n", "survey": {"profile": "XYZ"}})
    assert problems[0].rule == "bad-spec" and "XYZ" in problems[0].message
