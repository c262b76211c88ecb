"""Step 3: the publication scoring criteria (DDG.md §7), over the ScoringUnit of §7.10.

Input is the plain mapping of §7.10 (as read from JSON or YAML) so field names stay exactly the
normative ones; problems in it come back as findings rather than exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from accord.deid.findings import Finding, Severity
from accord.deid.quoting import quoted
from accord.deid.scoring import bands
from accord.deid.scoring.bands import band_score
from accord.deid.scoring.reference import language_population
from accord.deid.spec.params import Parameters


@dataclass
class ScoreReport:
    """Field names follow DDG.md §7.10."""

    events: int = 0
    time: int = 0
    population: int = 0
    population_table: str = "residence"
    variables: dict[str, int] = field(default_factory=dict)
    expected_payer: int = 0
    interaction: int = 0
    total: int = 0
    masking_required: bool = False
    expert_review_required: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    name: str | None = None
    # §9.2 populations on the department's list that the unit itself names (its variables)
    high_risk_populations: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "components": {
                "events": self.events,
                "time": self.time,
                "population": self.population,
                "population_table": self.population_table,
                "variables": dict(self.variables),
                "expected_payer": self.expected_payer,
                "interaction": self.interaction,
            },
            "total": self.total,
            "masking_required": self.masking_required,
            "expert_review_required": list(self.expert_review_required),
        }
        if self.name is not None:
            out["name"] = self.name
        if self.high_risk_populations:
            out["high_risk_populations"] = list(self.high_risk_populations)
        if self.findings:
            out["findings"] = [f.to_dict() for f in self.findings]
        return out


def type_name(value: Any) -> str:
    """The JSON/YAML name of a value's type, for findings about a value of the wrong type."""
    if value is None:
        return "null"
    for kind, name in _TYPE_NAMES:
        if isinstance(value, kind):
            return name
    return type(value).__name__


_TYPE_NAMES: tuple[tuple[type, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "text"),
    (Mapping, "mapping"),
    (list, "list"),
)


def describe_value(value: Any) -> str:
    """A wrong value as a finding quotes it: its type and (shortened) the value itself."""
    if value is None or isinstance(value, bool):
        return type_name(value) if value is None else f"boolean {str(value).lower()}"
    text = quoted(value)  # never the whole of a huge value: only what is shown
    return f"{type_name(value)} {text if len(text) <= 40 else text[:37] + '...'}"


class _Bad(Exception):
    """Internal: a malformed part of the unit; turned into a finding where it is caught."""

    def __init__(self, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.details = dict(details or {})


def _wrong(key: str, expected: str, value: Any) -> _Bad:
    """`key` holds a value of the wrong type: say what was expected and what was given."""
    key = key if len(key) <= 80 else key[:77] + "..."  # it may hold a variable's name
    return _Bad(
        f"{key} must be {expected}, not {describe_value(value)}",
        {"key": key, "expected": expected, "given": type_name(value)},
    )


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _wrong(where, "an object", value)
    return value


def _int(obj: Mapping[str, Any], key: str, where: str) -> int:
    value = obj.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _wrong(f"{where}.{key}", "a non-negative integer", value)
    return value


def _score_time(time: Mapping[str, Any], params: Parameters) -> int:
    period = time.get("period")
    if not isinstance(period, str):
        raise _wrong("time.period", f"one of multi_year, {', '.join(bands.TIME)}", period)
    if period == "multi_year":
        years = _int(time, "years", "time")
        if years > 5:
            return params.time_more_than_5_years
        if years == 5:
            return -5
        return -3 if years >= 2 else 0
    if period not in bands.TIME:
        choices = ", ".join(bands.TIME)
        raise _Bad(f"time.period {quoted(period)} is not one of multi_year, {choices}")
    return bands.TIME[str(period)]


def _score_geography(geo: Mapping[str, Any], restricted: bool) -> tuple[int, str]:
    basis = geo.get("basis")
    if basis == "service" and geo.get("level") == "address":
        area = geo.get("area")
        if not isinstance(area, str) or area not in bands.SERVICE_ADDRESS:
            raise _Bad("geography.area must be urban, rural or frontier")
        if geo.get("provider_is_hospital") is True:
            return bands.SERVICE_ADDRESS["urban"], "service"  # §7.4 rule 3
        return bands.SERVICE_ADDRESS[str(area)], "service"
    pop = _int(geo, "min_population", "geography")
    if basis == "residence":
        return band_score(pop, bands.RESIDENCE), "residence"
    if basis == "service":
        service = band_score(pop, bands.SERVICE)
        if restricted:  # §7.4 rule 2: service limited to residents is residence geography
            residence = band_score(pop, bands.RESIDENCE)
            if residence > service:
                return residence, "residence"
        return service, "service"
    raise _Bad("geography.basis must be residence or service")


def _population_of_groups(var: Mapping[str, Any], kind: str) -> int:
    if "min_group_population" in var:
        return _int(var, "min_group_population", kind)
    groups = var.get("groups")
    if not isinstance(groups, list) or not groups:
        raise _Bad(f"{kind}: detailed scheme needs min_group_population or groups (a list)")
    pops: list[int] = []
    for i, item in enumerate(groups):
        g = _object(item, f"{kind}.groups[{i}]")
        if "population" in g:
            pops.append(_int(g, "population", kind))
        elif "population_band" in g:
            band = g["population_band"]
            if not isinstance(band, list) or len(band) != 2 or not isinstance(band[0], int):
                raise _Bad(f"{kind}: population_band must be [lo, hi]")
            pops.append(band[0])  # the band's low end: the riskiest reading
        elif kind == "language" and language_population(str(g.get("name"))) is not None:
            pops.append(int(language_population(str(g.get("name"))) or 0))
        else:
            raise _Bad(f"{kind}: group {quoted(g.get('name'))} has no population")
    return min(pops)


def _score_variable(
    var: Mapping[str, Any], params: Parameters, review: list[str]
) -> tuple[str, int]:
    kind = var.get("type")
    scheme = var.get("scheme")
    if not isinstance(kind, str):
        raise _wrong("variables.type", "a variable type (§7.10)", kind)
    if scheme is not None and not isinstance(scheme, str):
        raise _wrong(f"{kind}.scheme", "a scheme name", scheme)
    if kind == "age":
        ranges = var.get("ranges")
        if not isinstance(ranges, list) or not ranges:
            raise _Bad("age.ranges must be a non-empty list of [lo, hi]")
        widths = []
        for r in ranges:
            if not isinstance(r, list) or len(r) != 2 or not isinstance(r[0], int):
                raise _Bad("age.ranges entries must be [lo, hi] or [lo, null]")
            hi = params.open_age_upper_bound if r[1] is None else r[1]
            if not isinstance(hi, int) or hi < r[0]:
                raise _Bad(f"age range {r} is empty")
            widths.append(hi - r[0] + 1)
        return "age", band_score(min(widths), bands.AGE_WIDTH)
    if kind in ("race", "race_ethnicity"):
        if scheme == "broad":
            categories = var.get("categories", [])
            if not isinstance(categories, list):
                raise _wrong(f"{kind}.categories", "a list of categories", categories)
            cats = {str(c).strip().casefold() for c in categories}
            if not cats:
                raise _Bad(f"{kind}: broad scheme needs categories")
            unknown = cats - bands.RACE_BASIC - bands.RACE_EXTENDED - bands.RACE_NEUTRAL
            if unknown:
                raise _Bad(f"{kind}: {sorted(unknown)} are not broad categories; use detailed")
            return str(kind), 2 if cats <= bands.RACE_BASIC | bands.RACE_NEUTRAL else 3
        return str(kind), band_score(_population_of_groups(var, str(kind)), bands.POPULATION)
    if kind in ("ethnicity", "language") and (str(kind), scheme) not in bands.SIMPLE_VARIABLES:
        if kind == "language":
            review.append("detailed language (§7.7, DDG 16.2.5)")
        return str(kind), band_score(_population_of_groups(var, str(kind)), bands.POPULATION)
    if kind == "immigration" and scheme == "detailed_noncitizen":
        review.append("detailed noncitizen statuses: high-risk population (§9.2)")
        return "immigration", 0
    if kind == "other":
        name = var.get("name")
        if not isinstance(name, str) or not name:
            raise _Bad("other: name is required")
        review.append(f"other variable {quoted(name)} (§7.8)")
        if "min_group_population" in var:
            return name, band_score(_int(var, "min_group_population", name), bands.POPULATION)
        return name, band_score(_int(var, "n_groups", name), bands.OTHER_GROUPS)
    key = (kind, scheme if kind not in ("sex", "sexual_orientation") else None)
    if key in bands.SIMPLE_VARIABLES:
        return str(kind), bands.SIMPLE_VARIABLES[key]
    raise _Bad(f"variable {quoted(dict(var))} is not a known type/scheme (§7.10)")


# The §7.7 immigration scheme that scores "no score: high-risk population, §9.2" and the entry
# of DEFAULT_HIGH_RISK that names it.
DETAILED_NONCITIZEN = ("immigration", "detailed_noncitizen", "detailed noncitizen status")


def _phrase(text: str) -> str:
    return " ".join(text.casefold().replace("_", " ").replace("-", " ").split())


def named_high_risk(variables: Any, params: Parameters) -> list[str]:
    """The department's `high_risk_populations` (§3, §9.2) that a unit's own variables name.

    Two ways to name one: the §7.7 immigration scheme `detailed_noncitizen`, which is the list
    entry "detailed noncitizen status"; or a variable's `name` containing an entry as a phrase,
    or one of the alternatives an entry joins with "or" ("homelessness" of "housing
    instability or homelessness"). Case, underscores and hyphens are ignored. A department
    that takes an entry off its list takes its rule off too: only the list decides.
    """
    listed = {_phrase(entry): entry for entry in params.high_risk_populations}
    found: list[str] = []
    kind, scheme, entry = DETAILED_NONCITIZEN
    for var in variables if isinstance(variables, list) else []:
        if not isinstance(var, Mapping):
            continue
        if var.get("type") == kind and var.get("scheme") == scheme and _phrase(entry) in listed:
            found.append(listed[_phrase(entry)])
        name = var.get("name")
        if not isinstance(name, str):
            continue
        words = f" {_phrase(name)} "
        for key, original in listed.items():
            pieces = [key, *(p.strip() for p in key.split(" or ") if len(p.strip()) > 3)]
            if any(f" {piece} " in words for piece in pieces):
                found.append(original)
    return list(dict.fromkeys(found))


def _interaction(extra: int, min_cell: int, params: Parameters) -> int:
    if extra == 0:
        if min_cell >= 5:
            return -5
        return -3 if min_cell >= 3 else 0
    return {1: 1, 2: 2, 3: 4}.get(extra, params.interaction_score_4plus_variables)


def score_table(unit: Mapping[str, Any], params: Parameters | None = None) -> ScoreReport:
    """Score one ScoringUnit (DDG.md §7.10); malformed parts come back as findings."""
    params = params or Parameters()
    report = ScoreReport()
    review = report.expert_review_required

    def refuse(label: str, exc: _Bad, section: str = "7.10") -> None:
        message = f"{label}: {exc}"
        report.findings.append(Finding("bad-scoring-unit", section, message, details=exc.details))

    def part(label: str, fn: Any) -> Any:
        try:
            return fn()
        except _Bad as exc:
            refuse(label, exc)
            return None

    def flag(key: str) -> bool:
        value = unit.get(key, False)
        if isinstance(value, bool):
            return value
        refuse(key, _wrong(key, "true or false", value))
        return False

    name = unit.get("name")
    if name is None or isinstance(name, str):
        report.name = name
    else:
        refuse("name", _wrong("name", "a text", name))
    events = unit.get("events")
    min_cell = part("events", lambda: _int(_object(events, "events"), "min_nonzero_cell", "events"))
    if min_cell is not None:
        report.events = band_score(max(min_cell, 1), bands.EVENTS)
    time = unit.get("time")
    report.time = part("time", lambda: _score_time(_object(time, "time"), params)) or 0
    restricted = flag("service_restricted_to_residents")
    geo = unit.get("geography")
    if geo is None:
        refuse("geography", _Bad("required (statewide: min_population of the state)"), "7.1")
    elif not isinstance(geo, Mapping | list):
        refuse("geography", _wrong("geography", "an object or a list of objects", geo), "7.1")
    geos = geo if isinstance(geo, list) else [geo] if isinstance(geo, Mapping) else []
    scored = [
        part("geography", lambda g=g: _score_geography(_object(g, "geography"), restricted))
        for g in geos
    ]
    scored = [s for s in scored if s is not None]
    if scored:  # §16 A12: residence and service together → the higher
        report.population, report.population_table = max(scored, key=lambda s: s[0])
    coverage = unit.get("coverage")
    if coverage is not None:
        pairs = coverage if isinstance(coverage, list) else [coverage]
        results = [
            part("coverage", lambda c=c: _score_coverage(_object(c, "coverage"))) for c in pairs
        ]
        results = [r for r in results if r is not None]
        if results:  # §7.5 rule 2 / §16 A12: every plan–area pair, keep the highest
            report.population, report.population_table = max(results, key=lambda r: r[0])
    payer = unit.get("expected_payer")
    extra_program = 0
    if payer is not None:
        programs = payer.get("programs") if isinstance(payer, Mapping) else None
        if not isinstance(payer, Mapping):
            refuse("expected_payer", _wrong("expected_payer", "an object", payer))
        elif not isinstance(programs, list) or not programs:
            refuse("expected_payer", _wrong("programs", "a non-empty list", programs))
        else:
            sizes = [
                part(
                    "expected_payer",
                    lambda i=i, p=p: _int(_object(p, f"programs[{i}]"), "enrollment", "program"),
                )
                for i, p in enumerate(programs)
            ]
            sizes = [s for s in sizes if s is not None]
            if sizes:
                report.expected_payer = band_score(min(sizes), bands.EXPECTED_PAYER)
                if min(sizes) <= params.means_tested_interaction_max_enrollment:
                    extra_program = 1  # §7.5 rule 4, §16 A7
    variables = unit.get("variables")
    if variables is not None and not isinstance(variables, list):
        refuse("variables", _wrong("variables", "a list", variables))
    for i, var in enumerate(variables if isinstance(variables, list) else []):
        scored_var = part(
            "variables",
            lambda i=i, v=var: _score_variable(_object(v, f"variables[{i}]"), params, review),
        )
        if scored_var is None:
            continue
        var_name, value = scored_var
        if var_name in params.variable_score_overrides:
            value = params.variable_score_overrides[var_name]
            review.append(f"department score override for {quoted(var_name)} (§3)")
        key, n = var_name, 2
        while key in report.variables:
            key, n = f"{var_name}#{n}", n + 1
        report.variables[key] = value
    extra = len(report.variables) + extra_program
    report.interaction = _interaction(extra, min_cell or 0, params)
    report.total = (
        report.events
        + report.time
        + report.population
        + sum(report.variables.values())
        + report.expected_payer
        + report.interaction
    )
    high_risk = flag("high_risk")
    if high_risk:
        review.append("high-risk population (§9.2)")
    named = named_high_risk(variables, params)
    if named:
        # §9.2: such a table always gets suppression of 1–10, whatever the score or the flag
        report.high_risk_populations = named
        listed = ", ".join(named)
        report.findings.append(
            Finding(
                "high-risk-population-named",
                "9.2",
                f"the unit's variables name a high-risk population on the department's list "
                f"({listed}): values from 1 to {params.small_cell_threshold - 1} are "
                "suppressed whatever the score",
                Severity.INFO,
            )
        )
        if unit.get("high_risk") is False:
            report.findings.append(
                Finding(
                    "high-risk-override",
                    "9.2",
                    f"high_risk: false is given, but the unit names {listed}, which §9.2 "
                    "always suppresses; remove the override (or take the population off the "
                    "department's high_risk_populations list, a documented department decision)",
                )
            )
        high_risk = True
    small = min_cell is not None and 0 < min_cell < params.small_cell_threshold
    report.masking_required = report.total > params.release_score_max or (high_risk and small)
    return report


def _score_coverage(cov: Mapping[str, Any]) -> tuple[int, str]:
    members = _int(cov, "min_members", "coverage")
    area = _int(cov, "geography_population", "coverage")
    if members < area:
        return band_score(members, bands.COVERAGE), "coverage"
    return band_score(area, bands.RESIDENCE), "residence"


def score_presentation(
    doc: Mapping[str, Any], params: Parameters | None = None
) -> list[ScoreReport]:
    """A unit, or {presentation: independent, units: [...]} (one report per breakdown, §7.1)."""
    if doc.get("presentation") == "independent":
        units = doc.get("units")
        if not isinstance(units, Sequence) or isinstance(units, str | bytes) or not units:
            bad = ScoreReport(
                findings=[
                    Finding("bad-scoring-unit", "7.10", "independent presentation needs units")
                ]
            )
            return [bad]
        return [_score_unit(i, u, params) for i, u in enumerate(units)]
    return [score_table(doc, params)]


def _score_unit(i: int, unit: Any, params: Parameters | None) -> ScoreReport:
    if isinstance(unit, Mapping):
        return score_table(unit, params)
    bad = _wrong(f"units[{i}]", "a ScoringUnit object", unit)
    return ScoreReport(
        findings=[Finding("bad-scoring-unit", "7.10", str(bad), details=bad.details)]
    )
