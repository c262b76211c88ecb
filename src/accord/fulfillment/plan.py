"""A fulfillment plan: which fields of which datasets leave, and what is done to each.

The plan is plain data, detached from the database, so the extraction and the package writer
can run in a job, a benchmark or on Spark without a session. It is derived from the agreement
(``fulfillment.service``); the rule of each field starts from its classification
(``default_rule``) and a data engineer may change it within what the agreement's
de-identification allows.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal


class Rule(StrEnum):
    """What is done to one field on its way out."""

    KEEP = "keep"  # delivered as it is
    DROP = "drop"  # a direct identifier: never leaves
    MONTH = "month"  # a date generalised to its month ("2024-03")
    YEAR = "year"  # a date generalised to its year (2024)
    ZIP3 = "zip3"  # a ZIP code generalised to its first three digits ("956")
    AGE_BAND = "age_band"  # an age generalised to a ten-year band ("40-49")
    PSEUDONYMISE = "pseudonymise"  # an identifier replaced by a keyed hash (HMAC-SHA-256)

    @property
    def label(self) -> str:
        return RULE_LABELS[self]


RULE_LABELS = {
    Rule.KEEP: "Delivered as it is",
    Rule.DROP: "Dropped (a direct identifier)",
    Rule.MONTH: "Date generalised to the month",
    Rule.YEAR: "Date generalised to the year",
    Rule.ZIP3: "ZIP code generalised to 3 digits",
    Rule.AGE_BAND: "Age generalised to a ten-year band",
    Rule.PSEUDONYMISE: "Replaced by a keyed pseudonym (HMAC-SHA-256)",
}

Release = Literal["none", "record_level", "aggregate"]
Format = Literal["parquet", "csv"]

# Direct identifiers (the HIPAA Safe Harbor list, CLASSIFICATION.md): dropped by default.
DIRECT = frozenset(
    {
        "PII:name",
        "PII:phone",
        "PII:fax",
        "PII:email",
        "PII:ssn",
        "PII:url",
        "PII:ip",
        "PII:biometric",
        "PII:photo",
        "PII:license",
        "PII:vehicle",
        "PII:device",
        "PII:account",
    }
)
# Identifiers a recipient needs to link records, but never in the clear: pseudonymised.
LINKING = frozenset({"PII:medical_record", "PII:health_plan", "PII:other_id"})
_ZIP = re.compile(r"(^|_)(zip|zip_code|zipcode|postal_code|postcode)($|_)", re.I)
_BIRTH = re.compile(r"birth|(^|_)dob($|_)", re.I)
_AGE = re.compile(r"(^|_)age($|_|_years)", re.I)
_NUMERIC = re.compile(r"int|num|dec|float|double|real", re.I)


def default_rule(
    name: str,
    data_type: str,
    classifications: tuple[str, ...],
    release: Release,
    *,
    key: bool = False,
) -> Rule:
    """The rule a field gets unless someone chooses another.

    With no de-identification required every field is delivered as it is. Otherwise direct
    identifiers are dropped, ZIP codes cut to three digits, other geography below the state
    dropped, birth dates cut to the year and other dates tied to a person to the month, ages
    put in ten-year bands. A record-level release pseudonymises linking identifiers and a
    source's own record keys (``key``: primary or foreign), though the policy does not call
    keys PII: delivered as they are, they would link this recipient's records with any other
    recipient's extract of the same system. An aggregate release drops both instead: every
    field it keeps is a dimension of a count, and an identifier as a dimension makes a cell
    of one person.
    """
    if release == "none":
        return Rule.KEEP
    linking = Rule.PSEUDONYMISE if release == "record_level" else Rule.DROP
    codes = set(classifications)
    if codes & DIRECT:
        return Rule.DROP
    if codes & LINKING:
        return linking
    if "PII:geography" in codes:
        return Rule.ZIP3 if _ZIP.search(name) else Rule.DROP
    if "PII:date" in codes:
        return Rule.YEAR if _BIRTH.search(name) else Rule.MONTH
    if _AGE.search(name) and _NUMERIC.search(data_type):
        return Rule.AGE_BAND
    return linking if key else Rule.KEEP


@dataclass(frozen=True)
class FieldPlan:
    name: str  # the column's name in the source, and in the package
    data_type: str  # as the catalog records it
    rule: Rule
    classifications: tuple[str, ...] = ()


@dataclass(frozen=True)
class RowFilter:
    """A condition the agreement puts on rows: ``field op value`` (dates as ISO text)."""

    field: str
    op: Literal["=", "!=", "<", "<=", ">", ">=", "in"]
    value: str | int | float | tuple[str | int | float, ...]


@dataclass(frozen=True)
class DatasetPlan:
    dataset_id: int
    name: str  # the catalog's name, e.g. "main.person"; the package file is named after it
    table: str  # the table, view or file name in the source
    schema: str  # "" when the source has none
    fields: tuple[FieldPlan, ...]
    filters: tuple[RowFilter, ...] = ()

    @property
    def delivered(self) -> tuple[FieldPlan, ...]:
        return tuple(f for f in self.fields if f.rule is not Rule.DROP)


@dataclass(frozen=True)
class SourceLocation:
    """Where a dataset's data lives, with any secret already resolved: never stored.

    ``kind`` is "sql" (``url`` a SQLAlchemy URL: sqlite, duckdb, postgresql, mysql/mariadb) or
    "files" (``url`` a folder of CSV / Parquet files)."""

    kind: Literal["sql", "files"]
    url: str = field(repr=False)


@dataclass(frozen=True)
class Plan:
    agreement_id: int
    version: int  # the agreement's (the approved proposal's) version
    release: Release
    format: Format
    datasets: tuple[DatasetPlan, ...]


def plan_to_json(plan: Plan) -> dict[str, Any]:
    """The plan as a run keeps it: what ran is on record even if the plan changes later."""
    return asdict(plan)


def plan_from_json(data: dict[str, Any]) -> Plan:
    datasets = tuple(
        DatasetPlan(
            dataset_id=d["dataset_id"],
            name=d["name"],
            table=d["table"],
            schema=d["schema"],
            fields=tuple(
                FieldPlan(f["name"], f["data_type"], Rule(f["rule"]), tuple(f["classifications"]))
                for f in d["fields"]
            ),
            filters=tuple(
                RowFilter(r["field"], r["op"], _value(r["value"])) for r in d.get("filters", ())
            ),
        )
        for d in data["datasets"]
    )
    return Plan(data["agreement_id"], data["version"], data["release"], data["format"], datasets)


def _value(value: Any) -> str | int | float | tuple[str | int | float, ...]:
    return tuple(value) if isinstance(value, list) else value
