"""The release SPEC (YAML): which columns are dimensions, counts, denominators, statistics.

Keys and meanings follow issue 5's "Surface" section; additions are `total_label` (the code that
marks a margin row, default "Total"), `inclusive` (select-all-that-apply dimensions, §16 A22),
`annotation_column` and `title`, `survey` (DDG.md §12: which reliability profile applies and
which columns carry its inputs), `percent_only` (§10.6: publish one three-category variable
as whole percentages), and for linked releases (§10.4 R6, §14) `publish` (the tables of the
release as subsets of the dimensions) and `previously_suppressed` (an earlier release whose
withheld cells stay withheld), and `recode` (§10.1: categories merged before suppression, so a
table that small cells make unpublishable can be coarsened instead).

Nothing is published that the SPEC does not describe: `pass_through` lists the columns
published as they are (text that carries no counts; a column of numbers only with the reason
it is safe), and any other column refuses the release. `wide` reads a table as spreadsheets
hold it (one column per category of a dimension, and their total) in the long form the
engine works on. Every problem in a SPEC is reported at once.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from accord import plain_yaml
from accord.deid.findings import Finding
from accord.deid.quoting import quoted, shown
from accord.deid.scoring.scoring import describe_value, type_name
from accord.deid.spec.params import Parameters, parameters_from_mapping
from accord.deid.survey.reliability import SurveyProfile, find_profile

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
    "recode",
    "drop",
    "pass_through",
    "wide",
    "record_level",
    "availability",
}
WIDE_KEYS = {"dimension", "columns", "total"}
SURVEY_KEYS = {
    "profile",
    "sample_size",
    "numerator",
    "estimate",
    "estimate_per",
    "rse",
    "se",
    "design_effect",
    "weighted",
    "stratified",
    "review",
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
    `weighted` is the cell's weighted count, read by a profile's weighted threshold (CHIS
    < 500, MEPS < 400,000) and withheld with the cell. `stratified: false` marks statewide or
    non-stratified county-wide estimates, whose CHIS RSE failures go to a reviewer (§12);
    `review` names the column where the reviewer records the judgement on each such estimate,
    `withhold` (misleading) or `keep`. It is read, never published.
    """

    profile: SurveyProfile
    sample_size: str | None = None
    numerator: str | None = None
    estimate: str | None = None
    estimate_per: float = 100.0
    rse: str | None = None
    se: str | None = None
    design_effect: str | float | None = None
    weighted: str | None = None
    stratified: bool = True
    review: str | None = None

    def columns(self) -> list[str]:
        named = [self.sample_size, self.numerator, self.estimate, self.rse, self.se]
        named.extend((self.weighted, self.review))
        if isinstance(self.design_effect, str):
            named.append(self.design_effect)
        return [c for c in named if c]

    def value_columns(self) -> list[str]:
        """Columns that describe the cell's estimate and go with it when it is withheld."""
        return [c for c in (self.estimate, self.rse, self.se, self.weighted) if c]


@dataclass(frozen=True)
class PercentOnlySpec:
    """§10.6: the three-category `dimension` is published as whole percentages in `column`."""

    dimension: str
    column: str = "percent"
    counts_published_elsewhere: bool = False


@dataclass(frozen=True)
class WideSpec:
    """A wide table: one row per category of the other dimensions, and one column per
    category of `dimension` (`columns`, whose headers are the categories), with their total
    in column `total` when the file has it. It is read as the long form, one record per
    cell, so the margin is checked against its parts like any printed total."""

    dimension: str
    columns: tuple[str, ...]
    total: str | None = None


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
    high_risk: bool | None = None  # None: not given (an explicit false is checked, §9.2)
    parameters: Parameters = field(default_factory=Parameters)
    total_label: str = "Total"
    inclusive: tuple[str, ...] = ()
    annotation_column: str = "annotation"
    title: str = ""
    survey: SurveySpec | None = None
    percent_only: PercentOnlySpec | None = None
    publish: tuple[tuple[str, ...], ...] = ()
    previously_suppressed: Path | None = None
    recode: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    pass_through: Mapping[str, str] = field(default_factory=dict)  # column -> why it is safe
    wide: WideSpec | None = None
    availability: str | None = None  # column marking rows 3 no data / 5 incomplete (§11.1)

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
        if self.availability and self.availability not in cols:
            cols.append(self.availability)
        return cols

    def published_columns(self) -> list[str]:
        """Every column a release may write: the described ones and those passed through,
        less those only read (the reviewer's judgements)."""
        read_only = self.read_only_columns()
        described = [c for c in self.columns() if c not in read_only]
        return [*described, *(c for c in self.pass_through if c not in self.columns())]

    def read_only_columns(self) -> list[str]:
        """Described columns a release reads and never writes."""
        return [self.survey.review] if self.survey and self.survey.review else []


def table_name(face: tuple[str, ...]) -> str:
    """How a published table of a linked release is named in its outputs: "county × age"."""
    return " × ".join(face)


def _wrong(key: str, expected: str, value: Any, section: str = "11") -> Finding:
    """`key` holds a value of the wrong type: the finding says what was expected and given."""
    return Finding(
        "bad-spec",
        section,
        f"{key} must be {expected}, not {describe_value(value)}",
        details={"key": key, "expected": expected, "given": type_name(value)},
    )


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def _is_texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_scalar(value: Any) -> bool:
    """A category code as YAML may read it: text or a number (not true/false, not null)."""
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _expect(
    raw: Mapping[str, Any],
    key: str,
    ok: Callable[[Any], bool],
    expected: str,
    f: list[Finding],
    section: str = "11",
    default: Any = None,
    where: str = "",
) -> Any:
    """raw[key] when it is absent or null (as `default`) or passes `ok`; else a finding."""
    value = raw.get(key)
    if value is None:
        return default
    if ok(value):
        return value
    f.append(_wrong(where + key, expected, value, section))
    return default


def _publish(
    raw: Any, dims: list[str], spec: Mapping[str, Any]
) -> tuple[tuple[tuple[str, ...], ...], list[Finding]]:
    """Parse `publish`: each entry is one table of the release, a subset of the dimensions
    (the cells whose other dimensions are at their total). Linked tables share those totals."""
    if not isinstance(raw, list) or not raw:
        return (), [_wrong("publish", "a non-empty list of tables", raw, "10.4")]
    f: list[Finding] = []
    faces: list[tuple[str, ...]] = []
    seen: dict[frozenset[str], int] = {}
    for i, entry in enumerate(raw):
        if not _is_texts(entry):
            f.append(_wrong(f"publish[{i}]", "a list of dimensions", entry, "10.4"))
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
    if not isinstance(raw, Mapping):
        return None, [_wrong("previously_suppressed", "a mapping with a file", raw, "10.4")]
    if not isinstance(raw.get("file"), str):
        return None, [_wrong("previously_suppressed.file", "a file name", raw.get("file"), "10.4")]
    f = [
        Finding("bad-spec", "10.4", f"unknown previously_suppressed key {quoted(k)}")
        for k in raw
        if k != "file"
    ]
    file = str(raw["file"])
    path = Path(file) if base is None or Path(file).is_absolute() else base / file
    if not path.is_file():
        f.append(Finding("bad-spec", "10.4", f"previously suppressed file {path} does not exist"))
    return (None if f else path), f


# What `recode` cannot be combined with, and why (DDG.md §10.1).
RECODE_CONFLICTS = (
    ("statistics", "statistics: a statistic cannot be re-derived from summed rows"),
    ("survey", "survey estimates: an estimate cannot be re-derived from summed rows"),
    ("percent_only", "percent_only: it publishes the categories as printed"),
    (
        "previously_suppressed",
        "previously_suppressed: the earlier release's suppressions name the old categories",
    ),
)
# `publish` chooses which dimensions each table keeps: with it, `drop` says nothing more
DROP_CONFLICTS = (*RECODE_CONFLICTS, ("publish", "publish: leave the dimension out of its tables"))


def _recode(
    raw: Any, dims: list[str], total_label: str, inclusive: list[str], spec: Mapping[str, Any]
) -> tuple[dict[str, dict[str, str]], list[Finding]]:
    """Parse `recode`: per dimension, old category -> new category. Codes are read like the
    codes of a hierarchy map (a number such as 2023 means "2023"); the table is not needed
    here, so codes absent from it are reported when the table is recoded."""
    expected = "a mapping of dimension to {category: new category}"
    if not isinstance(raw, Mapping):
        return {}, [_wrong("recode", expected, raw, "10.1")]
    f: list[Finding] = []
    out: dict[str, dict[str, str]] = {}
    for name, mapping in raw.items():
        if name not in dims:
            f.append(Finding("bad-spec", "10.1", f"recode for unknown dimension {quoted(name)}"))
            continue
        key = f"recode.{shown(name)}"
        if name in inclusive:
            f.append(
                Finding(
                    "bad-spec",
                    "10.1",
                    f"{key}: {quoted(name)} is select-all-that-apply (inclusive); its categories "
                    "overlap, so their counts cannot be summed",
                )
            )
            continue
        if not isinstance(mapping, Mapping):
            f.append(_wrong(key, "a mapping of category to new category", mapping, "10.1"))
            continue
        codes: dict[str, str] = {}
        for old, new in mapping.items():
            if not _is_scalar(old):
                keyed = "a mapping with categories (text or numbers) as keys"
                f.append(_wrong(key, keyed, old, "10.1"))
                continue
            if not _is_scalar(new):
                wanted = "a new category (text or number)"
                f.append(_wrong(f"{key}[{quoted(old)}]", wanted, new, "10.1"))
                continue
            o, n = str(old).strip(), str(new).strip()
            if not o or not n:
                empty = "a category" if not o else f"the new category of {quoted(o)}"
                f.append(Finding("bad-spec", "10.1", f"{key}: {empty} is empty"))
            elif o == total_label:
                f.append(
                    Finding(
                        "bad-spec",
                        "10.1",
                        f"{key}: the total {quoted(total_label)} cannot be recoded",
                    )
                )
            elif n == total_label:
                f.append(
                    Finding(
                        "bad-spec",
                        "10.1",
                        f"{key}: {quoted(o)} cannot become {quoted(n)}, the total label",
                    )
                )
            elif codes.get(o, n) != n:
                f.append(
                    Finding(
                        "bad-spec",
                        "10.1",
                        f"{key}: {quoted(o)} is recoded twice ({quoted(codes[o])}, {quoted(n)})",
                    )
                )
            else:
                codes[o] = n
        for o, n in codes.items():
            if n in codes and codes[n] != n:
                f.append(
                    Finding(
                        "bad-spec",
                        "10.1",
                        f"{key}: {quoted(n)} is both a new category (of {quoted(o)}) and recoded "
                        f"to {quoted(codes[n])}; write the final category",
                    )
                )
        out[str(name)] = codes
    if raw:
        f.extend(
            Finding("bad-spec", "10.1", f"recode cannot be combined with {why}")
            for other, why in RECODE_CONFLICTS
            if spec.get(other)
        )
    return out, f


def _drop(
    raw: Any, dims: list[str], spec: Mapping[str, Any]
) -> tuple[tuple[str, ...], list[Finding]]:
    """Parse `drop`: dimensions the table is published without (summed over; DDG.md §10.1
    "split into tables with fewer variables", "multi-year aggregation")."""
    if not isinstance(raw, list) or not all(isinstance(d, str) for d in raw):
        return (), [_wrong("drop", "a list of dimension names", raw, "10.1")]
    f = [
        Finding("bad-spec", "10.1", f"drop names {quoted(d)}, not among dimensions")
        for d in raw
        if d not in dims
    ]
    if len(set(raw)) < len(raw):
        f.append(Finding("bad-spec", "10.1", "drop names a dimension twice"))
    if raw and set(dims) <= set(raw):
        f.append(Finding("bad-spec", "10.1", "drop leaves no dimension to publish"))
    recoded = spec.get("recode")
    if isinstance(recoded, Mapping):
        f.extend(
            Finding("bad-spec", "10.1", f"recode names {quoted(d)}, which drop leaves out")
            for d in raw
            if d in recoded
        )
    if raw:
        f.extend(
            Finding("bad-spec", "10.1", f"drop cannot be combined with {why}")
            for other, why in DROP_CONFLICTS
            if spec.get(other)
        )
    return tuple(raw), f


def _hierarchy(name: str, raw: Any, base: Path | None) -> tuple[dict[str, str], list[Finding]]:
    key = f"hierarchies.{shown(name)}"
    if not isinstance(raw, Mapping):
        return {}, [_wrong(key, "a mapping (map, or file with child and parent)", raw, "10.4")]
    if "map" in raw:
        mapping = raw["map"]
        expected = "a mapping of category to parent category"
        if not isinstance(mapping, Mapping):
            return {}, [_wrong(f"{key}.map", expected, mapping, "10.4")]
        bad = [(k, v) for k, v in mapping.items() if not (_is_scalar(k) and _is_scalar(v))]
        if bad:
            return {}, [_wrong(f"{key}.map[{quoted(bad[0][0])}]", expected, bad[0][1], "10.4")]
        return {str(k): str(v) for k, v in mapping.items()}, []
    f: list[Finding] = []
    file = _expect(raw, "file", _is_text, "a file name", f, "10.4", where=f"{key}.")
    child = _expect(raw, "child", _is_text, "a column name", f, "10.4", where=f"{key}.")
    parent = _expect(raw, "parent", _is_text, "a column name", f, "10.4", where=f"{key}.")
    if f:
        return {}, f
    if file is None or child is None or parent is None:
        return {}, [Finding("bad-spec", "10.4", f"{key} needs file, child and parent (or map)")]
    path = Path(file) if base is None or Path(file).is_absolute() else base / file
    if not path.is_file():
        return {}, [Finding("bad-spec", "10.4", f"hierarchy file {path} does not exist")]
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, ValueError, csv.Error) as exc:
        return {}, [Finding("bad-spec", "10.4", f"cannot read hierarchy file {path}: {exc}")]
    if rows and (child not in rows[0] or parent not in rows[0]):
        return {}, [
            Finding(
                "bad-spec",
                "10.4",
                f"hierarchy file {path} lacks column {quoted(child)} or {quoted(parent)}",
            )
        ]
    out: dict[str, str] = {}
    problems: list[Finding] = []
    for i, r in enumerate(rows, start=2):
        c, p = (r[child] or "").strip(), (r[parent] or "").strip()
        if c in out and out[c] != p:
            problems.append(
                Finding(
                    "hierarchy-two-parents",
                    "10.4",
                    f"{path}:{i}: {quoted(c)} has two parents ({quoted(out[c])}, {quoted(p)})",
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
            f.append(Finding("bad-spec", "11", f"unknown SPEC key {quoted(key)}"))
    dims = raw.get("dimensions")
    if not _is_texts(dims) or not dims:
        f.append(_wrong("dimensions", "a non-empty list of column names", dims, "2"))
        dims = []
    if len(set(dims)) != len(dims):
        f.append(Finding("bad-spec", "2", "dimensions are repeated"))
    count = raw.get("count")
    if not isinstance(count, str):
        f.append(_wrong("count", "the name of the count column", count, "2"))
        count = ""
    totals = raw.get("totals", "published")
    if not isinstance(totals, str) or totals not in ("published", "unpublished"):
        f.append(_wrong("totals", "published or unpublished", totals, "10.4"))
    params_raw = _expect(raw, "parameters", _is_mapping, "a mapping", f, "3", {})
    params, pf = parameters_from_mapping(params_raw)
    f.extend(pf)
    hierarchies: dict[str, dict[str, str]] = {}
    hierarchies_raw = _expect(
        raw, "hierarchies", _is_mapping, "a mapping of dimension to hierarchy", f, "10.4", {}
    )
    for name, h in hierarchies_raw.items():
        if name not in dims:
            f.append(Finding("bad-spec", "10.4", f"hierarchy for unknown dimension {quoted(name)}"))
            continue
        mapping, hf = _hierarchy(str(name), h, base)
        hierarchies[str(name)] = mapping
        f.extend(hf)
    denominator = _expect(raw, "denominator", _is_text, "a column name", f, "6")
    stats, sf = _statistics(raw.get("statistics"))
    f.extend(sf)
    score = raw.get("score")
    if score is not None and (not isinstance(score, int) or isinstance(score, bool)):
        f.append(_wrong("score", "an integer", score, "7"))
        score = None
    scoring = _expect(raw, "scoring", _is_mapping, "a ScoringUnit mapping", f, "7.10")
    high_risk = _expect(raw, "high_risk", _is_bool, "true or false", f, "9.2", None)
    inclusive = _expect(raw, "inclusive", _is_texts, "a list of dimension names", f, "16 A22", [])
    for d in inclusive:
        if d not in dims:
            f.append(
                Finding("bad-spec", "16 A22", f"inclusive dimension {quoted(d)} is not a dimension")
            )
    total_label = _expect(raw, "total_label", _is_text, "a text", f, "11", "Total")
    annotation = _expect(raw, "annotation_column", _is_text, "a column name", f, "11", "annotation")
    title = _expect(raw, "title", _is_text, "a text", f, "11", "")
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
    recode: dict[str, dict[str, str]] = {}
    if raw.get("recode") is not None:
        recode, rf = _recode(raw["recode"], dims, total_label, inclusive, raw)
        f.extend(rf)
    drop: tuple[str, ...] = ()
    if raw.get("drop") is not None:
        drop, df = _drop(raw["drop"], dims, raw)
        f.extend(df)
    pass_through: dict[str, str] = {}
    if raw.get("pass_through") is not None:
        pass_through, ptf = _pass_through(raw["pass_through"])
        f.extend(ptf)
    wide: WideSpec | None = None
    if raw.get("wide") is not None:
        wide, wf = _wide(raw["wide"], dims, raw)
        f.extend(wf)
    f.extend(
        _named_twice(
            dims, count, denominator, raw.get("statistics"), pass_through, wide, total_label
        )
    )
    f.extend(_record_level(raw.get("record_level")))
    availability = _expect(raw, "availability", _is_text, "a column name", f, "11.1")
    if availability is not None:
        f.extend(
            Finding("bad-spec", "11.1", f"availability cannot yet be combined with {key}")
            for key in AVAILABILITY_CONFLICTS
            if raw.get(key)
        )
    if f:
        return None, f
    spec = TableSpec(
        dimensions=tuple(dims),
        count=count,
        totals=str(totals),
        hierarchies=hierarchies,
        denominator=denominator,
        statistics=tuple(stats),
        scoring=scoring,
        score=score,
        high_risk=high_risk,
        parameters=params,
        total_label=total_label,
        inclusive=tuple(inclusive),
        annotation_column=annotation,
        title=title,
        survey=survey,
        percent_only=percent_only,
        publish=publish,
        previously_suppressed=earlier,
        recode=recode,
        drop=drop,
        pass_through=pass_through,
        wide=wide,
        availability=availability,
    )
    return spec, []


def _pass_through(raw: Any) -> tuple[dict[str, str], list[Finding]]:
    """Parse `pass_through`: column names (text published as it is), or a mapping of column
    to the reason its values are safe to publish unchanged (needed for a column of numbers,
    which could otherwise be a count published unprotected)."""
    expected = "a list of columns, or a mapping of column to the reason it is safe"
    if _is_texts(raw):
        return {str(c): "" for c in raw}, []
    if not isinstance(raw, Mapping):
        return {}, [_wrong("pass_through", expected, raw, "11")]
    out: dict[str, str] = {}
    f: list[Finding] = []
    for column, why in raw.items():
        if not isinstance(column, str):
            f.append(_wrong("pass_through", expected, column, "11"))
        elif not isinstance(why, str) or not why.strip():
            reason = "the reason the column is safe (text)"
            f.append(_wrong(f"pass_through.{shown(column)}", reason, why, "11"))
        else:
            out[column] = why.strip()
    return out, f


# What `wide` cannot be combined with: values that belong to a wide row, not to one cell
WIDE_CONFLICTS = (
    ("statistics", "statistics: a wide row's statistic belongs to none of its cells"),
    ("survey", "survey estimates: a wide row's estimate belongs to none of its cells"),
    ("availability", "availability: a wide row's mark belongs to none of its cells"),
)


def _wide(
    raw: Any, dims: list[str], spec: Mapping[str, Any]
) -> tuple[WideSpec | None, list[Finding]]:
    """Parse `wide`: the dimension whose categories are columns, those columns, their total."""
    if not isinstance(raw, Mapping):
        return None, [_wrong("wide", "a mapping with dimension, columns and total", raw, "11.1")]
    f = [
        Finding("bad-spec", "11.1", f"unknown wide key {quoted(k)}")
        for k in raw
        if k not in WIDE_KEYS
    ]
    dim = raw.get("dimension")
    if not isinstance(dim, str):
        f.append(_wrong("wide.dimension", "the dimension the columns make", dim, "11.1"))
    elif dim not in dims:
        f.append(
            Finding(
                "bad-spec",
                "11.1",
                f"wide.dimension {quoted(dim)} must also be listed in dimensions",
            )
        )
    columns = raw.get("columns")
    if not isinstance(columns, list) or not columns or not all(_is_scalar(c) for c in columns):
        f.append(_wrong("wide.columns", "a non-empty list of column names", columns, "11.1"))
        columns = []
    names = [str(c) for c in columns]
    if len(set(names)) != len(names):
        f.append(Finding("bad-spec", "11.1", "wide.columns names a column twice"))
    total = raw.get("total")
    if total is not None and not _is_scalar(total):
        f.append(_wrong("wide.total", "the name of the total column", total, "11.1"))
        total = None
    f.extend(
        Finding("bad-spec", "11.1", f"wide cannot be combined with {why}")
        for other, why in WIDE_CONFLICTS
        if spec.get(other)
    )
    if f:
        return None, f
    return WideSpec(str(dim), tuple(names), None if total is None else str(total)), []


def _named_twice(
    dims: list[str],
    count: str,
    denominator: str | None,
    statistics: Any,
    pass_through: Mapping[str, str],
    wide: WideSpec | None,
    total_label: str,
) -> list[Finding]:
    """A column has one meaning: a SPEC giving it two (a dimension that is also the count, a
    statistic passed through) is refused, since either reading could publish it wrongly."""
    roles: list[tuple[str, str]] = [(d, "a dimension") for d in dims]
    roles.append((count, "the count"))
    if denominator:
        roles.append((denominator, "the denominator"))
    for s in statistics if isinstance(statistics, list) else []:
        column = s.get("column") if isinstance(s, Mapping) else s
        if isinstance(column, str):
            roles.append((column, "a statistic"))
    roles.extend((c, "passed through") for c in pass_through)
    if wide is not None:
        roles.extend((c, "a column of wide.columns") for c in wide.columns)
        if wide.total is not None:
            roles.append((wide.total, "wide.total"))
    seen: dict[str, str] = {}
    f: list[Finding] = []
    for column, role in roles:
        if not column:
            continue
        if column in seen and seen[column] != role:
            f.append(
                Finding(
                    "bad-spec",
                    "11",
                    f"column {quoted(column)} is named twice, as {seen[column]} and as {role}",
                )
            )
        elif column in seen and role != "a dimension":  # repeated dimensions are reported above
            f.append(Finding("bad-spec", "11", f"column {quoted(column)} is named twice as {role}"))
        seen.setdefault(column, role)
    if wide is not None and total_label in wide.columns:
        f.append(
            Finding(
                "bad-spec",
                "11.1",
                f"wide.columns names {quoted(total_label)}, the total label: give it as wide.total",
            )
        )
    return f


# Each of these re-derives rows (sums, generated margins, percentages) that a row's own
# availability mark would not describe.
AVAILABILITY_CONFLICTS = ("publish", "recode", "drop", "percent_only")


def _record_level(raw: Any) -> list[Finding]:
    """`record_level: true` declares one row per person or entity: DDG.md §1 rule 2 puts it
    outside the aggregate procedure, so the SPEC is refused with the reason, never scored."""
    if raw is None or raw is False:
        return []
    if raw is not True:
        return [_wrong("record_level", "true or false", raw, "1")]
    return [
        Finding(
            "record-level-output",
            "1",
            "the SPEC declares record-level output (one row per person or entity): the "
            "aggregate pipeline does not apply and no score is computed; a case-by-case expert "
            "review of uniqueness and linkability is required (DDG.md §1 rule 2)",
        )
    ]


def _statistics(raw: Any) -> tuple[list[Statistic], list[Finding]]:
    """Parse `statistics`: column names, or mappings of column with optional per and decimals."""
    if raw is None:
        return [], []
    if not isinstance(raw, list):
        return [], [_wrong("statistics", "a list of columns", raw, "10.3")]
    stats: list[Statistic] = []
    f: list[Finding] = []
    for i, s in enumerate(raw):
        key = f"statistics[{i}]"
        if isinstance(s, str):
            stats.append(Statistic(s))
            continue
        if not isinstance(s, Mapping):
            f.append(_wrong(key, "a column name or a mapping with column", s, "10.3"))
            continue
        before = len(f)
        f.extend(
            Finding("bad-spec", "10.3", f"unknown {key} key {quoted(k)}")
            for k in s
            if k not in ("column", "per", "decimals")
        )
        column = s.get("column")
        if not isinstance(column, str):
            f.append(_wrong(f"{key}.column", "a column name", column, "10.3"))
        per = s.get("per")
        if per is not None and not (_is_number(per) and 0 < per < math.inf):
            f.append(_wrong(f"{key}.per", "a positive number", per, "10.3"))
        decimals = s.get("decimals")
        if decimals is not None and not (_is_int(decimals) and 0 <= decimals <= 15):
            f.append(_wrong(f"{key}.decimals", "an integer from 0 to 15", decimals, "10.3"))
        if len(f) == before:
            stats.append(Statistic(str(column), per, decimals))
    return stats, f


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _optional_text(raw: Mapping[str, Any], key: str, f: list[Finding]) -> str | None:
    value: str | None = _expect(raw, key, _is_text, "a column name", f, "12", where="survey.")
    return value


def _survey(raw: Any, params: Parameters) -> tuple[SurveySpec | None, list[Finding]]:
    """Parse `survey:`; check the profile exists and that its tests' inputs are named."""
    if not isinstance(raw, Mapping):
        return None, [_wrong("survey", "a mapping", raw, "12")]
    f = [
        Finding("bad-spec", "12", f"unknown survey key {quoted(k)}")
        for k in raw
        if k not in SURVEY_KEYS
    ]
    name = raw.get("profile")
    if name is not None and not isinstance(name, str):
        f.append(_wrong("survey.profile", "a survey name", name, "12"))
        name = None
    profile = find_profile(name, params)
    if profile is None:
        f.append(Finding("bad-spec", "12", f"no reliability profile for survey {quoted(name)}"))
        return None, f
    per = raw.get("estimate_per", 100)
    if not (_is_number(per) and 0 < per < math.inf):
        f.append(_wrong("survey.estimate_per", "a positive number", per, "12"))
        per = 100
    deff = raw.get("design_effect")
    if deff is not None and not _is_scalar(deff):
        f.append(_wrong("survey.design_effect", "a column or a number", deff, "12"))
        deff = None
    stratified = raw.get("stratified", True)
    if not isinstance(stratified, bool):
        f.append(_wrong("survey.stratified", "true or false", stratified, "12"))
        stratified = True
    survey = SurveySpec(
        profile,
        sample_size=_optional_text(raw, "sample_size", f),
        numerator=_optional_text(raw, "numerator", f),
        estimate=_optional_text(raw, "estimate", f),
        estimate_per=float(per),
        rse=_optional_text(raw, "rse", f),
        se=_optional_text(raw, "se", f),
        design_effect=deff if isinstance(deff, str) else None if deff is None else float(deff),
        weighted=_optional_text(raw, "weighted", f),
        stratified=stratified,
        review=_optional_text(raw, "review", f),
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
        return None, [_wrong("percent_only", "a mapping", raw, "10.6")]
    f = [
        Finding("bad-spec", "10.6", f"unknown percent_only key {quoted(k)}")
        for k in raw
        if k not in PERCENT_ONLY_KEYS
    ]
    dim = raw.get("dimension")
    if not isinstance(dim, str):
        f.append(_wrong("percent_only.dimension", "a dimension name", dim, "10.6"))
    elif dim not in dims:
        f.append(
            Finding("bad-spec", "10.6", f"percent_only.dimension {quoted(dim)} is not a dimension")
        )
    elif dim in hierarchies:
        f.append(
            Finding(
                "bad-spec", "10.6", f"percent_only dimension {quoted(dim)} cannot have a hierarchy"
            )
        )
    column = raw.get("column", "percent")
    if not isinstance(column, str) or not column:
        f.append(_wrong("percent_only.column", "a column name", column, "10.6"))
    elsewhere = raw.get("counts_published_elsewhere", False)
    if not isinstance(elsewhere, bool):
        key = "percent_only.counts_published_elsewhere"
        f.append(_wrong(key, "true or false", elsewhere, "10.6"))
    if f:
        return None, f
    return PercentOnlySpec(str(dim), str(column), bool(elsewhere)), []


def load_spec(path: Path) -> tuple[TableSpec | None, list[Finding]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Finding("bad-spec", "11", f"the SPEC {path} is not UTF-8 text ({exc})")]
    except OSError as exc:
        return None, [Finding("bad-spec", "11", f"cannot read SPEC {path}: {exc}")]
    try:
        raw = plain_yaml.load(text)
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: a date such as 2020-13-45
        return None, [Finding("bad-spec", "11", f"cannot read SPEC {path}: {exc}")]
    return parse_spec(raw, path.parent)
