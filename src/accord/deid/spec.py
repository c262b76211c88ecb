"""The release SPEC (YAML): which columns are dimensions, counts, denominators, statistics.

Keys and meanings follow issue 5's "Surface" section; additions are `total_label` (the code that
marks a margin row, default "Total"), `inclusive` (select-all-that-apply dimensions, §16 A22),
`annotation_column` and `title`. Every problem in a SPEC is reported at once.
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
}


@dataclass(frozen=True)
class Statistic:
    """A column derived from the count. `per` and `decimals` let the audit read what a
    published value reveals (e.g. 0.0 per 100 with 1 decimal, DDG 4.4.3 Example 3)."""

    column: str
    per: float | None = None
    decimals: int | None = None


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

    @property
    def margins_known(self) -> bool:
        """§3 assume_margins_public: natural margins count as known even when not printed."""
        return self.totals == "published" or self.parameters.assume_margins_public

    def columns(self) -> list[str]:
        cols = [*self.dimensions, self.count]
        if self.denominator:
            cols.append(self.denominator)
        cols.extend(s.column for s in self.statistics)
        return cols


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
    )
    return spec, []


def load_spec(path: Path) -> tuple[TableSpec | None, list[Finding]]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return None, [Finding("bad-spec", "11", f"cannot read SPEC {path}: {exc}")]
    return parse_spec(raw, path.parent)
