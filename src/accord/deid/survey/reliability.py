"""Statistical reliability of survey estimates (DDG.md §12).

Reliability is a quality question, separate from confidentiality: a survey table goes through
the whole DDG procedure (scoring, suppression of values derived from fewer than 11 unweighted
respondents, §16 A15) *and* through its survey's own reliability rules. A survey listed in
`data/survey_profiles.yaml` uses its profile; any other survey uses the DDG default, an
estimate whose denominator rests on fewer than `survey_min_denominator_sample` sample cases.

A survey's own confidentiality rules (§12 rule 3: "a survey with its own published
de-identification rules follows them") are `ConfidentialityRule`s: cells they call small are
withheld as primary suppressions, with complements, whatever the score (`release_rules`).
A rule that changes the data rather than the table (MEPS recodes rare codes) is a `review`
rule: Accord names the cells, a person recodes.

Two readings of the table are ours (§12 does not settle them):
- a zero estimate (no sample case in the numerator) is a true zero: only the denominator tests
  apply to it, since an RSE, a numerator minimum or the CSFII formula say nothing about it;
- CSFII's bands overlap at 25% and 75%; those points use the outer formula (8 × deff / p),
  which asks for 32 × deff cases rather than the middle band's 30 × deff: the stricter reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml

from accord.deid.quoting import quoted
from accord.deid.spec.params import Parameters

Action = Literal["suppress", "flag"]
Outcome = Literal["publish", "flag", "review", "suppress"]
RuleAction = Literal["suppress", "review"]
RULE_CHECKS = ("numerator_below", "denominator_below", "weighted_below")
CHECKS = (
    "denominator_below",
    "numerator_below",
    "numerator_between",
    "rse_above",
    "proportion_below",
    "proportion_at_least",
    "csfii",
)
DEFAULT_PROFILE = "DEFAULT"
_EPS = 1e-9  # 8 / (1 − 0.9) is 80.00000000000001 in floating point; 80 cases meet it


@dataclass(frozen=True)
class ReliabilityTest:
    """One way an estimate fails its survey's reliability standard."""

    check: str
    limit: float = 0.0
    low: float = 0.0
    high: float = 0.0
    action: Action = "suppress"
    unit: str = "sample cases"
    # CHIS: for statewide or non-stratified county-wide estimates a failure goes to a
    # reviewer, who withholds the value only when it is misleading (§12 profiles table)
    unstratified: Literal["review"] | None = None

    def inputs(self) -> tuple[str, ...]:
        """The estimate's fields this test reads (`rse` may come from a standard error)."""
        return {
            "denominator_below": ("denominator",),
            "numerator_below": ("numerator",),
            "numerator_between": ("numerator",),
            "rse_above": ("rse",),
            "proportion_below": ("proportion",),
            "proportion_at_least": ("proportion",),
            "csfii": ("proportion", "denominator", "design_effect", "rse"),
        }[self.check]

    def describe(self) -> str:
        """The rule in words, without the estimate's own values (the report may travel)."""
        lim = f"{self.limit:g}"
        return {
            "denominator_below": f"denominator below {lim} {self.unit}",
            "numerator_below": f"numerator below {lim} {self.unit}",
            "numerator_between": (
                f"numerator of {self.low:g} to {self.high:g} {self.unit} (low reliability)"
            ),
            "rse_above": f"relative standard error above {lim}%",
            "proportion_below": f"estimate below {self.limit * 100:g}%",
            "proportion_at_least": f"estimate at or above {self.limit * 100:g}%",
            "csfii": "CSFII sample size or coefficient of variation criterion",
        }[self.check]


@dataclass(frozen=True)
class ConfidentialityRule:
    """A cell the survey's own rules call small (§12 rule 3): `numerator_below` reads the
    unweighted numerator (the SPEC count unless `survey.numerator` names another column),
    `denominator_below` the unweighted sample cases behind the estimate (`sample_size`; CAHPS's
    valid responses to the item), `weighted_below` the weighted count (`survey.weighted`).
    A zero is never small (zeros are not disclosures, §10.2 rule 2)."""

    check: str
    limit: float
    action: RuleAction = "suppress"
    unit: str = "respondents"
    source: str = ""

    def input(self) -> str:
        return {
            "numerator_below": "numerator",
            "denominator_below": "denominator",
            "weighted_below": "weighted",
        }[self.check]

    def describe(self) -> str:
        lim = f"{self.limit:,.0f}"
        what = {
            "numerator_below": f"fewer than {lim} unweighted {self.unit}",
            "denominator_below": f"fewer than {lim} {self.unit}",
            "weighted_below": f"fewer than {lim} weighted {self.unit}",
        }[self.check]
        return f"{what} ({self.source})" if self.source else what

    def small(self, numerator: float | None, value: float | None) -> bool | None:
        """True when the cell is small; None when the value the rule reads is missing."""
        if numerator == 0:
            return False
        if value is None:
            return None
        return value < self.limit


@dataclass(frozen=True)
class SurveyProfile:
    """A survey's reliability tests, its own confidentiality rules, and the rules of its own
    that need a person."""

    name: str
    title: str
    tests: tuple[ReliabilityTest, ...]
    review: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    rules: tuple[ConfidentialityRule, ...] = ()

    def inputs(self) -> set[str]:
        return {i for t in self.tests for i in t.inputs()}


@dataclass(frozen=True)
class SurveyEstimate:
    """What the tests read about one published estimate; None when not supplied.

    `numerator` and `denominator` are unweighted sample cases; `proportion` is the estimate on
    a 0..1 scale; `rse` is the relative standard error in percent (SE / estimate × 100).
    """

    numerator: int | None = None
    denominator: int | None = None
    proportion: float | None = None
    rse: float | None = None
    design_effect: float | None = None


@dataclass
class ReliabilityResult:
    """The verdict on one estimate: publish, flag (kept, annotation 4) or suppress (blank, 4)."""

    profile: str
    outcome: Outcome = "publish"
    failed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def reliable(self) -> bool:
        return self.outcome == "publish"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"profile": self.profile, "outcome": self.outcome}
        if self.failed:
            out["rules"] = list(self.failed)
        if self.missing:
            out["missing"] = list(self.missing)
        return out


def _fails(test: ReliabilityTest, e: SurveyEstimate) -> bool | None:
    """True / False, or None when an input the test needs is missing."""
    zero = e.numerator == 0 or e.proportion == 0
    if zero and test.check != "denominator_below":
        return False
    if test.check == "denominator_below":
        return None if e.denominator is None else e.denominator < test.limit
    if test.check == "numerator_below":
        return None if e.numerator is None else e.numerator < test.limit
    if test.check == "numerator_between":
        return None if e.numerator is None else test.low <= e.numerator <= test.high
    if test.check == "rse_above":
        return None if e.rse is None else e.rse > test.limit
    if test.check == "proportion_below":
        return None if e.proportion is None else e.proportion < test.limit
    if test.check == "proportion_at_least":
        return None if e.proportion is None else e.proportion >= test.limit
    return _csfii_fails(e)


def _csfii_fails(e: SurveyEstimate) -> bool | None:
    p, n, deff = e.proportion, e.denominator, e.design_effect
    if p is None or n is None or deff is None:
        return None
    if p <= 0.25:
        return n < 8 * deff / p - _EPS
    if p >= 0.75:
        return n < 8 * deff / (1 - p) - _EPS if p < 1 else False
    if e.rse is None:
        return None
    return e.rse > 30 or n < 30 * deff - _EPS


def survey_reliability(
    estimate: SurveyEstimate, profile: SurveyProfile, stratified: bool = True
) -> ReliabilityResult:
    """Apply every test of `profile` to `estimate` (DDG.md §12, §15).

    Any failed `suppress` test suppresses; otherwise a failed test that the profile sends to
    review for an estimate that is not `stratified` (CHIS statewide or non-stratified
    county-wide estimates) asks a reviewer; otherwise any failed `flag` test flags. A test
    whose input is missing is listed in `missing` and treated as failed: reliability that
    cannot be shown is not assumed.
    """
    result = ReliabilityResult(profile.name)
    suppress = flag = review = False
    for test in profile.tests:
        verdict = _fails(test, estimate)
        if verdict is None:
            result.missing.extend(i for i in test.inputs() if getattr(estimate, i) is None)
        if verdict is None or verdict:
            result.failed.append(test.describe())
            if not stratified and test.unstratified == "review" and verdict:
                review = True
                continue
            suppress |= test.action == "suppress"
            flag |= test.action == "flag"
    result.missing = sorted(set(result.missing))
    result.outcome = (
        "suppress" if suppress else "review" if review else "flag" if flag else "publish"
    )
    return result


def default_profile(params: Parameters | None = None) -> SurveyProfile:
    """'Any other survey without its own rules': the DDG's 30-case denominator rule."""
    params = params or Parameters()
    return SurveyProfile(
        DEFAULT_PROFILE,
        "Survey without its own reliability rules (DDG default)",
        (ReliabilityTest("denominator_below", limit=params.survey_min_denominator_sample),),
    )


def _test(raw: Mapping[str, Any]) -> ReliabilityTest:
    check = str(raw["check"])
    if check not in CHECKS:
        raise ValueError(f"unknown reliability check {quoted(check)}")
    action = raw.get("action", "suppress")
    if action not in ("suppress", "flag"):
        raise ValueError(f"unknown action {quoted(action)}")
    unstratified = raw.get("unstratified")
    if unstratified not in (None, "review"):
        raise ValueError(f"unknown unstratified action {quoted(unstratified)}")
    return ReliabilityTest(
        check,
        limit=float(raw.get("limit", 0)),
        low=float(raw.get("low", 0)),
        high=float(raw.get("high", 0)),
        action=action,
        unit=str(raw.get("unit", "sample cases")),
        unstratified=unstratified,
    )


def _rule(raw: Mapping[str, Any]) -> ConfidentialityRule:
    check = str(raw["check"])
    if check not in RULE_CHECKS:
        raise ValueError(f"unknown confidentiality check {quoted(check)}")
    action = raw.get("action", "suppress")
    if action not in ("suppress", "review"):
        raise ValueError(f"unknown rule action {quoted(action)}")
    return ConfidentialityRule(
        check,
        float(raw["limit"]),
        action,
        str(raw.get("unit", "respondents")),
        str(raw.get("source", "")),
    )


@cache
def survey_profiles() -> dict[str, SurveyProfile]:
    """The shipped profiles by upper-case name and alias (data/survey_profiles.yaml)."""
    path = resources.files("accord.deid").joinpath("data", "survey_profiles.yaml")
    text = path.read_text("utf-8")
    raw = yaml.safe_load(text)
    out: dict[str, SurveyProfile] = {}
    for name, body in raw.items():
        profile = SurveyProfile(
            str(name),
            str(body["title"]),
            tuple(_test(t) for t in body["tests"]),
            tuple(str(r) for r in body.get("review", ())),
            tuple(str(a) for a in body.get("aliases", ())),
            tuple(_rule(r) for r in body.get("rules", ())),
        )
        for key in (profile.name, *profile.aliases):
            out[key.upper()] = profile
    return out


def find_profile(name: str | None, params: Parameters | None = None) -> SurveyProfile | None:
    """The named profile; the DDG default for None, "default" or "other"; None when unknown."""
    if name is None or name.strip().upper() in (DEFAULT_PROFILE, "OTHER"):
        return default_profile(params)
    return survey_profiles().get(name.strip().upper())
