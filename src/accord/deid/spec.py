"""The release SPEC (YAML): which columns are dimensions, counts, denominators, statistics.

Keys and meanings follow issue 5's "Surface" section; additions are `total_label` (the code that
marks a margin row, default "Total"), `inclusive` (select-all-that-apply dimensions, §16 A22),
`annotation_column` and `title`, `survey` (DDG.md §12: which reliability profile applies and
which columns carry its inputs), `percent_only` (§10.6: publish one three-category variable
as whole percentages), and for linked releases (§10.4 R6, §14) `publish` (the tables of the
release as subsets of the dimensions) and `previously_suppressed` (an earlier release whose
withheld cells stay withheld). Every problem in a SPEC is reported at once.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from accord.deid.findings import Finding
from accord.deid.params import Parameters, parameters_from_mapping
from accord.deid.survey import SurveyProfile, find_profile

KNOWN_KEYS = {
    "dimensions",
    "count",
    "totals",
    "hierarchies",
    "denominator",
    "statistics",
    "scoring",
    "score",
    "high_risk",
    "parameters",
    "total_label",
    "inclusive",
    "annotation_column",
    "title",
    "survey",
    "percent_only",
    "publish",
    "previously_suppressed",
}
SURVEY_KEYS = {
    "profile",
    "sample_size",
    "numerator",
    "estimate",
    "estimate_per",
    "rse",
    "se",
    "design_effect",
}
PERCENT_ONLY_KEYS = {"dimension", "column", "counts_published_elsewhere"}


@dataclass(frozen=True)
class Statistic:
    """A column derived from the count. `per` and `decimals` let the audit read what a
    published value reveals (e.g. 0.0 per 100 with 1 decimal, DDG 4.4.3 Example 3)."""

    column: str
    per: float | None = None
    decimals: int | None = None


@dataclass(frozen=True)
class SurveySpec:
    """Where a survey table keeps the inputs of its reliability tests (DDG.md §12).

    The SPEC's `count` is the unweighted number of respondents in the cell: the DDG's < 11 rule
    is applied to it (§16 A15). `sample_size` is the unweighted sample cases behind the
    estimate's denominator; `numerator` defaults to the count. `estimate` is the published
    estimate, on a scale of `estimate_per` (100 for percentages, 1 for proportions); `rse` is
    the relative standard error in percent, or `se` a standard error on the estimate's scale
    (RSE = SE / estimate × 100). `design_effect` is a column or one number (CSFII).
    """

    profile: SurveyProfile
    sample_size: str | None = None
    numerator: str | None = None
    estimate: str | None = None
    estimate_per: float = 100.0
    rse: str | None = None
    se: str | None = None
    design_effect: str | float | None = None

    def columns(self) -> list[str]:
        named = [self.sample_size, self.numerator, self.estimate, self.rse, self.se]
        if isinstance(self.design_effect, str):
            named.append(self.design_effect)
        return [c for c in named if c]

    def value_columns(self) -> list[str]:
        """Columns that describe the cell's estimate and go with it when it is withheld."""
        return [c for c in (self.estimate, self.rse, self.se) if c]


@dataclass(frozen=True)
class PercentOnlySpec:
    """§10.6: the three-category `dimension` is published as whole percentages in `column`."""

    dimension: str
    column: str = "percent"
    counts_published_elsewhere: bool = False


@dataclass(frozen=True)
class TableSpec:
    dimensions: tuple[str, ...]
    count: str
    totals: str = "published"
    hierarchies: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    denominator: str | None = None
    statistics: tuple[Statistic, ...] = ()
    scoring: Mapping[str, Any] | None = None
    score: int | None = None
    high_risk: bool = False
    parameters: Parameters = field(default_factory=Parameters)
    total_label: str = "Total"
    inclusive: tuple[str, ...] = ()
    annotation_column: str = "annotation"
    title: str = ""
    survey: SurveySpec | None = None
    percent_only: PercentOnlySpec | None = None
    publish: tuple[tuple[str, ...], ...] = ()
    previously_suppressed: Path | None = None

    @property
    def margins_known(self) -> bool:
        """§3 assume_margins_public: natural margins count as known even when not printed."""
        return self.totals == "published" or self.parameters.assume_margins_public

    def columns(self) -> list[str]:
        cols = [*self.dimensions, self.count]
        if self.denominator:
            cols.append(self.denominator)
        cols.extend(s.column for s in self.statistics)
        if self.survey is not None:
            cols.extend(c for c in self.survey.columns() if c not in cols)
        return cols


def table_name(face: tuple[str, ...]) -> str:
    """How a published table of a linked release is named in its outputs: "county × age"."""
    return " × ".join(face)


def _publish(
    raw: Any, dims: list[str], spec: Mapping[str, Any]
) -> tuple[tuple[tuple[str, ...], ...], list[Finding]]:
    """Parse `publish`: each entry is one table of the release, a subset of the dimensions
    (the cells whose other dimensions are at their total). Linked tables share those totals."""
    if not isinstance(raw, list) or not raw:
        return (), [Finding("bad-spec", "10.4", "publish must be a non-empty list of tables")]
    f: list[Finding] = []
    faces: list[tuple[str, ...]] = []
    seen: dict[frozenset[str], int] = {}
    for i, entry in enumerate(raw):
        if not isinstance(entry, list) or not all(isinstance(d, str) for d in entry):
            f.append(Finding("bad-spec", "10.4", f"publish[{i}] must be a list of dimensions"))
            continue
        if not entry:
            f.append(Finding("bad-spec", "10.4", f"publish[{i}] names no dimension"))
            continue
        unknown = [d for d in entry if d not in dims]
        if unknown:
            f.append(
                Finding(
                    "bad-spec",
                    "10.4",
                    f"publish[{i}] names {', '.join(map(repr, unknown))}, not among dimensions",
                )
            )
        if len(set(entry)) != len(entry):
            f.append(Finding("bad-spec", "10.4", f"publish[{i}] repeats a dimension"))
        key = frozenset(entry)
        if key in seen:
            f.append(
                Finding(
                    "bad-spec", "10.4", f"publish[{i}] is the same table as publish[{seen[key]}]"
                )
            )
        seen.setdefault(key, i)
        faces.append(tuple(entry))
    # Features that describe input rows one by one have no value for a table's generated rows
    # (a margin no input row printed); until they do, they are refused rather than left blank.
    for other, why in (
        ("statistics", "statistics"),
        ("survey", "survey estimates"),
        ("percent_only", "the percent-only form"),
    ):
        if spec.get(other):
            f.append(Finding("bad-spec", "10.4", f"publish cannot yet be combined with {why}"))
    if spec.get("totals") == "unpublished":
        f.append(
            Finding(
                "bad-spec",
                "10.4",
                "publish prints each table with its totals; it cannot be combined with "
                "totals: unpublished",
            )
        )
    return tuple(faces), f


def _previously_suppressed(raw: Any, base: Path | None) -> tuple[Path | None, list[Finding]]:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("file"), str):
        return None, [
            Finding("bad-spec", "10.4", "previously_suppressed must be a mapping with a file")
        ]
    f = [
        Finding("bad-spec", "10.4", f"unknown previously_suppressed key {k!r}")
        for k in raw
        if k != "file"
    ]
    file = str(raw["file"])
    path = Path(file) if base is None or Path(file).is_absolute() else base / file
    if not path.is_file():
        f.append(Finding("bad-spec", "10.4", f"previously suppressed file {path} does not exist"))
    return (None if f else path), f


def _hierarchy(name: str, raw: Any, base: Path | None) -> tuple[dict[str, str], list[Finding]]:
    if not isinstance(raw, Mapping):
        return {}, [Finding("bad-spec", "10.4", f"hierarchies.{name} must be a mapping")]
    if "map" in raw:
        mapping = raw["map"]
        if not isinstance(mapping, Mapping):
            return {}, [Finding("bad-spec", "10.4", f"hierarchies.{name}.map must be a mapping")]
        return {str(k): str(v) for k, v in mapping.items()}, []
    file, child, parent = raw.get("file"), raw.get("child"), raw.get("parent")
    if not (isinstance(file, str) and isinstance(child, str) and isinstance(parent, str)):
        return {}, [
            Finding("bad-spec", "10.4", f"hierarchies.{name} needs file, child and parent (or map)")
        ]
    path = Path(file) if base is None or Path(file).is_absolute() else base / file
    if not path.exists():
        return {}, [Finding("bad-spec", "10.4", f"hierarchy file {path} does not exist")]
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if rows and (child not in rows[0] or parent not in rows[0]):
        return {}, [
            Finding(
                "bad-spec", "10.4", f"hierarchy file {path} lacks column {child!r} or {parent!r}"
            )
        ]
    out: dict[str, str] = {}
    problems: list[Finding] = []
    for i, r in enumerate(rows, start=2):
        c, p = r[child].strip(), r[parent].strip()
        if c in out and out[c] != p:
            problems.append(
                Finding(
                    "hierarchy-two-parents",
                    "10.4",
                    f"{path}:{i}: {c!r} has two parents ({out[c]!r}, {p!r})",
                )
            )
        out[c] = p
    return out, problems


def parse_spec(raw: Any, base: Path | None = None) -> tuple[TableSpec | None, list[Finding]]:
    if not isinstance(raw, Mapping):
        return None, [Finding("bad-spec", "11", "SPEC must be a mapping")]
    f: list[Finding] = []
    for key in raw:
        if key not in KNOWN_KEYS:
            f.append(Finding("bad-spec", "11", f"unknown SPEC key {key!r}"))
    dims = raw.get("dimensions")
    if not isinstance(dims, list) or not dims or not all(isinstance(d, str) for d in dims):
        f.append(Finding("bad-spec", "2", "dimensions must be a non-empty list of column names"))
        dims = []
    if len(set(dims)) != len(dims):
        f.append(Finding("bad-spec", "2", "dimensions are repeated"))
    count = raw.get("count")
    if not isinstance(count, str):
        f.append(Finding("bad-spec", "2", "count must name the count column"))
        count = ""
    totals = raw.get("totals", "published")
    if totals not in ("published", "unpublished"):
        f.append(Finding("bad-spec", "10.4", "totals must be published or unpublished"))
    params, pf = parameters_from_mapping(raw.get("parameters") or {})
    f.extend(pf)
    hierarchies: dict[str, dict[str, str]] = {}
    for name, h in (raw.get("hierarchies") or {}).items():
        if name not in dims:
            f.append(Finding("bad-spec", "10.4", f"hierarchy for unknown dimension {name!r}"))
            continue
        mapping, hf = _hierarchy(str(name), h, base)
        hierarchies[str(name)] = mapping
        f.extend(hf)
    stats: list[Statistic] = []
    for s in raw.get("statistics") or []:
        if isinstance(s, str):
            stats.append(Statistic(s))
        elif isinstance(s, Mapping) and isinstance(s.get("column"), str):
            stats.append(Statistic(s["column"], s.get("per"), s.get("decimals")))
        else:
            f.append(Finding("bad-spec", "10.3", f"bad statistics entry {s!r}"))
    score = raw.get("score")
    if score is not None and (not isinstance(score, int) or isinstance(score, bool)):
        f.append(Finding("bad-spec", "7", "score must be an integer"))
        score = None
    scoring = raw.get("scoring")
    if scoring is not None and not isinstance(scoring, Mapping):
        f.append(Finding("bad-spec", "7.10", "scoring must be a ScoringUnit mapping"))
        scoring = None
    inclusive = raw.get("inclusive") or []
    for d in inclusive:
        if d not in dims:
            f.append(Finding("bad-spec", "16 A22", f"inclusive dimension {d!r} is not a dimension"))
    survey: SurveySpec | None = None
    if raw.get("survey") is not None:
        survey, sf = _survey(raw["survey"], params)
        f.extend(sf)
        for col in survey.value_columns() if survey else []:
            if all(s.column != col for s in stats):
                stats.append(Statistic(col))
    percent_only: PercentOnlySpec | None = None
    if raw.get("percent_only") is not None:
        percent_only, pof = _percent_only(raw["percent_only"], dims, hierarchies)
        f.extend(pof)
        if raw.get("survey") is not None:
            f.append(
                Finding(
                    "bad-spec",
                    "10.6",
                    "percent_only publishes counts as percentages; it cannot be combined with "
                    "survey estimates",
                )
            )
    publish: tuple[tuple[str, ...], ...] = ()
    if raw.get("publish") is not None:
        publish, puf = _publish(raw["publish"], dims, raw)
        f.extend(puf)
    earlier: Path | None = None
    if raw.get("previously_suppressed") is not None:
        earlier, esf = _previously_suppressed(raw["previously_suppressed"], base)
        f.extend(esf)
    if f:
        return None, f
    spec = TableSpec(
        dimensions=tuple(dims),
        count=count,
        totals=str(totals),
        hierarchies=hierarchies,
        denominator=raw.get("denominator"),
        statistics=tuple(stats),
        scoring=scoring,
        score=score,
        high_risk=bool(raw.get("high_risk", False)),
        parameters=params,
        total_label=str(raw.get("total_label", "Total")),
        inclusive=tuple(inclusive),
        annotation_column=str(raw.get("annotation_column", "annotation")),
        title=str(raw.get("title", "")),
        survey=survey,
        percent_only=percent_only,
        publish=publish,
        previously_suppressed=earlier,
    )
    return spec, []


def _optional_text(raw: Mapping[str, Any], key: str, f: list[Finding]) -> str | None:
    value = raw.get(key)
    if value is None or isinstance(value, str):
        return value
    f.append(Finding("bad-spec", "12", f"survey.{key} must name a column"))
    return None


def _survey(raw: Any, params: Parameters) -> tuple[SurveySpec | None, list[Finding]]:
    """Parse `survey:`; check the profile exists and that its tests' inputs are named."""
    if not isinstance(raw, Mapping):
        return None, [Finding("bad-spec", "12", "survey must be a mapping")]
    f = [
        Finding("bad-spec", "12", f"unknown survey key {k!r}") for k in raw if k not in SURVEY_KEYS
    ]
    name = raw.get("profile")
    if name is not None and not isinstance(name, str):
        f.append(Finding("bad-spec", "12", "survey.profile must be a survey name"))
        name = None
    profile = find_profile(name, params)
    if profile is None:
        f.append(Finding("bad-spec", "12", f"no reliability profile for survey {name!r}"))
        return None, f
    per = raw.get("estimate_per", 100)
    if not isinstance(per, int | float) or isinstance(per, bool) or per <= 0:
        f.append(Finding("bad-spec", "12", "survey.estimate_per must be a positive number"))
        per = 100
    deff = raw.get("design_effect")
    if deff is not None and (isinstance(deff, bool) or not isinstance(deff, str | int | float)):
        f.append(Finding("bad-spec", "12", "survey.design_effect must be a column or a number"))
        deff = None
    survey = SurveySpec(
        profile,
        sample_size=_optional_text(raw, "sample_size", f),
        numerator=_optional_text(raw, "numerator", f),
        estimate=_optional_text(raw, "estimate", f),
        estimate_per=float(per),
        rse=_optional_text(raw, "rse", f),
        se=_optional_text(raw, "se", f),
        design_effect=deff if isinstance(deff, str) else None if deff is None else float(deff),
    )
    named = {
        "denominator": survey.sample_size,
        "numerator": "count",
        "proportion": survey.estimate,
        "rse": survey.rse or (survey.se and survey.estimate),
        "design_effect": survey.design_effect,
    }
    keys = {
        "denominator": "sample_size",
        "proportion": "estimate",
        "rse": "rse (or se with estimate)",
        "design_effect": "design_effect",
    }
    for need in sorted(profile.inputs()):
        if named.get(need) is None:
            f.append(
                Finding(
                    "bad-spec",
                    "12",
                    f"survey profile {profile.name} needs survey.{keys[need]}",
                )
            )
    return survey, f


def _percent_only(
    raw: Any, dims: list[str], hierarchies: Mapping[str, Mapping[str, str]]
) -> tuple[PercentOnlySpec | None, list[Finding]]:
    if not isinstance(raw, Mapping):
        return None, [Finding("bad-spec", "10.6", "percent_only must be a mapping")]
    f = [
        Finding("bad-spec", "10.6", f"unknown percent_only key {k!r}")
        for k in raw
        if k not in PERCENT_ONLY_KEYS
    ]
    dim = raw.get("dimension")
    if dim not in dims:
        f.append(Finding("bad-spec", "10.6", "percent_only.dimension must name a dimension"))
    elif dim in hierarchies:
        f.append(
            Finding("bad-spec", "10.6", f"percent_only dimension {dim!r} cannot have a hierarchy")
        )
    column = raw.get("column", "percent")
    if not isinstance(column, str) or not column:
        f.append(Finding("bad-spec", "10.6", "percent_only.column must be a column name"))
    elsewhere = raw.get("counts_published_elsewhere", False)
    if not isinstance(elsewhere, bool):
        f.append(
            Finding(
                "bad-spec", "10.6", "percent_only.counts_published_elsewhere must be true or false"
            )
        )
    if f:
        return None, f
    return PercentOnlySpec(str(dim), str(column), bool(elsewhere)), []


def load_spec(path: Path) -> tuple[TableSpec | None, list[Finding]]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return None, [Finding("bad-spec", "11", f"cannot read SPEC {path}: {exc}")]
    return parse_spec(raw, path.parent)
