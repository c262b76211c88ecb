"""Department parameters (DDG.md §3), each defaulting to the DDG's own value.

Departments may be stricter than the DDG; any change from a default is listed by
`changed_from_defaults` so the release's assessment record shows it (DDG.md §3 preamble).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from accord.deid.findings import Finding
from accord.deid.quoting import quoted

ReasonDisclosure = Literal["distinct", "undifferentiated"]
Strategy = Literal["least_interesting", "smallest", "most_similar"]

DEFAULT_STRATEGY: tuple[Strategy, ...] = ("least_interesting", "smallest", "most_similar")
DEFAULT_HIGH_RISK: tuple[str, ...] = (
    "substance use disorder",
    "serious mental illness",
    "psychological or emotional trauma",
    "developmental disability",
    "child welfare",
    "housing instability or homelessness",
    "victims of crime and abuse",
    "justice-involved",
    "detailed noncitizen status",
    "emergency services",
    "reproductive health",
    "gender-affirming care",
)
DEFAULT_LEAST_INTERESTING: tuple[str, ...] = (
    "other",
    "unknown",
    "don't know",
    "dont know",
    "not reported",
    "missing",
    "refused",
)


@dataclass(frozen=True)
class Parameters:
    """All configurable values of DDG.md §3 (names as in the spec's table)."""

    small_cell_threshold: int = 11
    zero_is_small: bool = False
    denominator_threshold: int = 20_000
    denominator_passes_at_threshold: bool = False
    release_score_max: int = 12
    risk_method: str = "publication_scoring_criteria"
    events_min_ignores_zero: bool = True
    interaction_score_4plus_variables: int = 4
    time_more_than_5_years: int = -5
    open_age_upper_bound: int = 99
    means_tested_interaction_max_enrollment: int = 10_000_000
    high_risk_populations: tuple[str, ...] = DEFAULT_HIGH_RISK
    complementary_strategy: tuple[Strategy, ...] = DEFAULT_STRATEGY
    least_interesting_labels: tuple[str, ...] = DEFAULT_LEAST_INTERESTING
    assume_margins_public: bool = True
    reason_disclosure: ReasonDisclosure = "distinct"
    min_feasible_values: int = 4
    three_category_min_total: int = 1_100
    primary_symbol: str = "S"
    complementary_symbol: str = "C"
    survey_min_denominator_sample: int = 30
    complement_totals: bool = False
    variable_score_overrides: Mapping[str, int] = field(default_factory=dict)

    def is_small(self, n: int) -> bool:
        """DDG 4.2: a value is small when 0 < n < T; zeros are never small unless configured."""
        if n == 0:
            return self.zero_is_small
        return 0 < n < self.small_cell_threshold

    def denominator_passes(self, population: int | None) -> bool:
        """DDG 4.2 vs 16.2 (§16 A1): exactly the threshold fails by default."""
        if population is None:
            return False
        if self.denominator_passes_at_threshold:
            return population >= self.denominator_threshold
        return population > self.denominator_threshold

    def changed_from_defaults(self) -> dict[str, Any]:
        default = Parameters()
        changed: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            mine, theirs = getattr(self, f.name), getattr(default, f.name)
            if mine != theirs:
                changed[f.name] = _plain(mine)
        return changed

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


_CHOICES: dict[str, tuple[str, ...]] = {
    "reason_disclosure": ("distinct", "undifferentiated"),
}


def parameters_from_mapping(raw: Mapping[str, Any]) -> tuple[Parameters, list[Finding]]:
    """Build Parameters from a SPEC's `parameters:` block, reporting every bad key at once."""
    findings: list[Finding] = []
    fields = {f.name: f for f in dataclasses.fields(Parameters)}
    default = Parameters()
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in fields:
            findings.append(Finding("unknown-parameter", "3", f"unknown parameter {quoted(key)}"))
            continue
        expected = getattr(default, key)
        problem = _check_value(key, value, expected)
        if problem:
            findings.append(Finding("bad-parameter", "3", problem))
            continue
        if isinstance(expected, tuple):
            value = tuple(value)
        values[key] = value
    strategies = values.get("complementary_strategy", ())
    for s in strategies:
        if s not in DEFAULT_STRATEGY:
            findings.append(
                Finding("bad-parameter", "10.4", f"unknown complementary strategy {quoted(s)}")
            )
    if findings:
        return default, findings
    params = dataclasses.replace(default, **values)
    if params.small_cell_threshold < 2:
        findings.append(Finding("bad-parameter", "3", "small_cell_threshold must be at least 2"))
    if params.min_feasible_values < 1:
        findings.append(Finding("bad-parameter", "10.5", "min_feasible_values must be at least 1"))
    if (
        params.reason_disclosure == "distinct"
        and params.min_feasible_values > params.small_cell_threshold - 1
    ):
        findings.append(
            Finding(
                "bad-parameter",
                "10.5",
                "with distinct reasons a primary cell can take at most "
                f"{params.small_cell_threshold - 1} values; min_feasible_values is unreachable",
            )
        )
    return params, findings


def _check_value(key: str, value: Any, expected: Any) -> str | None:
    if key in _CHOICES and value not in _CHOICES[key]:
        return f"{key} must be one of {', '.join(_CHOICES[key])}, not {quoted(value)}"
    if isinstance(expected, bool):
        return None if isinstance(value, bool) else f"{key} must be true or false"
    if isinstance(expected, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else f"{key} must be an integer"
    if isinstance(expected, str):
        return None if isinstance(value, str) else f"{key} must be a string"
    if isinstance(expected, tuple):
        ok = isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)
        return None if ok else f"{key} must be a list of strings"
    if isinstance(expected, Mapping):
        ok = isinstance(value, Mapping) and all(
            isinstance(v, int) and not isinstance(v, bool) for v in value.values()
        )
        return None if ok else f"{key} must map names to integer scores"
    return None
