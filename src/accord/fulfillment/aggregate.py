"""An aggregate release: counts by the plan's generalised fields, protected by the DDG engine.

The source engine groups and counts (``extract.aggregate``); no record leaves it. The counts
then go through ``accord.deid`` exactly as a table released by hand does (primary and
complementary suppression, the rank check, the audit), from a SPEC built here rather than
written by someone: every delivered field is a dimension, the count is ``n``. What the
recipient gets is the engine's published form (a withheld count is blank, its reason in the
``annotation`` column), and the engine's report of what it did. A release the engine refuses
is no package at all.

The engine runs inline: a fulfillment already runs in a job worker, not in a web request that
a long suppression would hold up (``deid.io.isolated`` is for those).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from accord.catalog.dictionary import Dictionary, DictionaryField, GlossaryEntry
from accord.deid.findings import Finding, Severity
from accord.deid.io.output import render_odp
from accord.deid.io.report import build_report
from accord.deid.model.tables import LongTable, build_cube
from accord.deid.release import release_loaded
from accord.deid.spec.spec import TableSpec, parse_spec
from accord.errors import AccordError
from accord.fulfillment.extract import aggregate
from accord.fulfillment.package import PackageResult, RowsWritten, write_package
from accord.fulfillment.plan import (
    DIRECT,
    LINKING,
    DatasetPlan,
    FieldPlan,
    Plan,
    Rule,
    SourceLocation,
)
from accord.fulfillment.readme import About

COUNT = "n"  # the column extract.aggregate counts into
ANNOTATION = "annotation"  # the CalHHS Open Data Portal's name for the reason column (DDG §11)
# A dimension's empty value: the engine refuses a blank category, and "unknown" is among the
# labels it prefers to withhold as a complement (least_interesting_labels).
MISSING = "Unknown"
# The engine's margin label; a category that spelled it would be read as a total.
TOTAL = "(all)"
REPORT_FILE = "ddg-report.json"
COUNT_TYPE = "integer (number of records; blank where withheld, see annotation)"
DIMENSION_TYPE = "text (a category of the counts)"
ANNOTATION_TEXT = (
    "Why a count is blank (CalHHS Open Data Portal standard, DDG §11): 1 = suppressed because "
    "it counts 1 to 10 records; 2 = suppressed so that a small count cannot be calculated from "
    "the others. Empty when the count is shown; a count of 0 is a true zero."
)


class ReleaseRefused(AccordError):
    """The DDG engine would not publish the counts; its findings are the message.

    422 because the request is understood but these counts cannot leave as planned: fewer or
    coarser dimensions (a data engineer's change to the plan) are the way out.
    """

    status = 422
    code = "release_refused"


@dataclass(frozen=True)
class AggregateRelease:
    """One dataset's counts as the engine released them, or why it would not."""

    dataset: str
    table: pa.Table | None  # the dimensions, ``n`` and ``annotation``; None when refused
    report: dict[str, Any]  # the engine's report, without its per-cell rows
    refusal: tuple[Finding, ...] = ()

    @property
    def refused(self) -> bool:
        return self.table is None


def dimensions(dataset: DatasetPlan) -> list[tuple[str, Rule]]:
    """The fields the counts are broken down by: every delivered field with its rule, except
    what can never be a dimension (identifiers, pseudonyms), whatever a stale plan says."""
    return [
        (f.name, f.rule)
        for f in dataset.delivered
        if f.rule is not Rule.PSEUDONYMISE and not set(f.classifications) & (DIRECT | LINKING)
    ]


def released_dataset(dataset: DatasetPlan) -> DatasetPlan:
    """The dataset as the package holds it: the dimensions, then the count and its reason; the
    other fields are listed as dropped, so the README says they were not delivered."""
    kept = {name for name, _ in dimensions(dataset)}
    fields = tuple(
        f if f.name in kept else dataclasses.replace(f, rule=Rule.DROP) for f in dataset.fields
    )
    extra = (FieldPlan(COUNT, "integer", Rule.KEEP), FieldPlan(ANNOTATION, "text", Rule.KEEP))
    return dataclasses.replace(dataset, fields=fields + extra)


def released_plan(plan: Plan) -> Plan:
    return dataclasses.replace(plan, datasets=tuple(released_dataset(d) for d in plan.datasets))


def count_spec(dataset: DatasetPlan) -> tuple[TableSpec | None, list[Finding]]:
    """The SPEC of a dataset's counts; built through ``parse_spec`` so the engine checks it as
    it checks one a person wrote (a plan with no dimension left is refused there)."""
    raw = {
        "dimensions": [name for name, _ in dimensions(dataset)],
        "count": COUNT,
        "title": dataset.name,
        "annotation_column": ANNOTATION,
        "total_label": TOTAL,
    }
    return parse_spec(raw)


def release_counts(table: pa.Table, dataset: DatasetPlan) -> AggregateRelease:
    """Suppress, annotate and audit the counts of ``dataset`` (``extract.aggregate``'s table).

    A refusal (the counts cannot be read into the engine's cube, or its audit blocks the
    release) comes back with the engine's findings, not raised: the caller decides.
    """
    spec, problems = count_spec(dataset)
    if spec is None:
        return _refused(dataset, problems)
    if table.num_rows == 0:  # no records: nothing to protect, and no cube to build
        empty = pa.table({**{d: pa.array([], pa.string()) for d in spec.dimensions}, **_tail([])})
        return AggregateRelease(dataset.name, empty, {"title": spec.title, "summary": {"rows": 0}})
    loaded, problems = build_cube(_long(table, spec), spec)
    if loaded is None:
        return _refused(dataset, problems)
    release = release_loaded(loaded, spec)
    report = {k: v for k, v in build_report(release).items() if k != "rows"}
    if release.blocked:
        return AggregateRelease(dataset.name, None, report, tuple(release.refusal))
    odp = render_odp(release)
    columns = {name: [row[i] for row in odp.rows] for i, name in enumerate(odp.header)}
    out = {d: pa.array(columns[d], pa.string()) for d in spec.dimensions}
    out.update(_tail([int(v) if v else None for v in columns[COUNT]], columns[ANNOTATION]))
    return AggregateRelease(dataset.name, pa.table(out), report)


def _refused(dataset: DatasetPlan, problems: Sequence[Finding]) -> AggregateRelease:
    return AggregateRelease(dataset.name, None, {"findings": _dicts(problems)}, tuple(problems))


def _long(table: pa.Table, spec: TableSpec) -> LongTable:
    """The counts as the engine reads a table: every cell as text, no blank category."""
    columns = {
        d: [MISSING if v is None or str(v).strip() == "" else str(v) for v in table[d].to_pylist()]
        for d in spec.dimensions
    }
    columns[COUNT] = [str(v) for v in table[COUNT].to_pylist()]
    return LongTable([*spec.dimensions, COUNT], columns)


def _tail(counts: list[int | None], notes: Sequence[str] = ()) -> dict[str, pa.Array]:
    return {
        COUNT: pa.array(counts, pa.int64()),
        ANNOTATION: pa.array([n or None for n in notes] or [None] * len(counts), pa.string()),
    }


def _dicts(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    return [f.to_dict() for f in findings]


def _plain(findings: Sequence[Finding], limit: int = 5) -> str:
    """The engine's reasons in its own words, errors first, a few of them."""
    ordered = sorted(findings, key=lambda f: f.severity is not Severity.ERROR)
    text = "; ".join(str(f) for f in ordered[:limit])
    more = len(ordered) - limit
    return text + (f"; and {more} more" if more > 0 else "") + "."


def refusal_message(refused: Sequence[AggregateRelease]) -> str:
    return " ".join(
        f"The DDG engine refused to release the counts of {r.dataset}: {_plain(r.refusal)}"
        for r in refused
    )


def assessment(releases: Sequence[AggregateRelease], plan: Plan) -> dict[str, Any]:
    """What the run records and the package carries: per dataset, the rule of every field and
    the engine's report (summary, parameters, steps 2-3, findings)."""
    rules = {d.name: {f.name: f.rule.value for f in d.fields} for d in plan.datasets}
    return {
        "standard": "CalHHS Data De-Identification Guidelines, Edition 2.0",
        "datasets": {r.dataset: {"rules": rules[r.dataset], **r.report} for r in releases},
    }


def aggregate_dictionary(dictionary: Dictionary) -> Dictionary:
    """A dataset's delivered dictionary as the counts are described: each dimension is a
    category (as text, an empty value read as "Unknown"), then the count and its reason."""
    fields = [
        dataclasses.replace(
            f,
            data_type=DIMENSION_TYPE,
            primary_key=False,
            foreign_key="",
            definition=f"{f.definition}\n\nA dimension of the counts; '{MISSING}' where the"
            " source had no value.".strip(),
        )
        for f in dictionary.fields
        if f.name not in (COUNT, ANNOTATION)
    ]
    made = [
        (COUNT, "Number of records", COUNT_TYPE, "Records with this combination of values."),
        (ANNOTATION, "Annotation", "text (1 or 2; empty when the count is shown)", ANNOTATION_TEXT),
    ]
    for name, label, kind, definition in made:
        fields.append(_field(len(fields) + 1, name, label, kind, definition))
    return dataclasses.replace(dictionary, fields=tuple(fields))


def _field(position: int, name: str, label: str, kind: str, definition: str) -> DictionaryField:
    return DictionaryField(
        name=name,
        position=position,
        label=label,
        data_type=kind,
        nullable=True,
        primary_key=False,
        foreign_key="",
        definition=definition,
        valid_values=(),
        classifications=(),
        statutes=(),
        standard_element="",
        tags=(),
        terms=(),
    )


Count = Callable[[SourceLocation, DatasetPlan, list[tuple[str, Rule]]], pa.Table]


def package_counts(
    root: Path,
    name: str,
    plan: Plan,
    locations: Mapping[int, SourceLocation],
    *,
    dictionaries: Mapping[str, Dictionary],
    glossary: Sequence[GlossaryEntry],
    about: About,
    progress: RowsWritten | None = None,
    count: Count | None = None,
) -> tuple[PackageResult, dict[str, Any]]:
    """Count, release and package every dataset of an aggregate ``plan``; the package result
    and the assessment to record. Raises ReleaseRefused (nothing written) when the engine
    refuses any dataset, and what ``extract.aggregate`` and ``write_package`` raise."""
    counted = count or aggregate
    releases = []
    for dataset in plan.datasets:
        _, problems = count_spec(dataset)  # refused before any query: no dimension is no count
        if problems:
            releases.append(_refused(dataset, problems))
            continue
        found = counted(locations[dataset.dataset_id], dataset, dimensions(dataset))
        releases.append(release_counts(found, dataset))
    refused = [r for r in releases if r.refused]
    if refused:
        raise ReleaseRefused(refusal_message(refused))
    out = released_plan(plan)
    record = assessment(releases, out)
    tables = [
        (d, r.table.to_batches()) for d, r in zip(out.datasets, releases, strict=True) if r.table
    ]
    result = write_package(
        root,
        name,
        out,
        tables,
        dictionaries=dictionaries,
        glossary=glossary,
        about=about,
        progress=progress,
        extras={REPORT_FILE: (json.dumps(record, indent=2) + "\n").encode("utf-8")},
    )
    return result, record
