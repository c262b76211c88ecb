"""Record-level helpers for fulfillment, over Ibis table expressions (DDG.md §1 rule 2).

These reduce what a record reveals — drop columns, coarsen dates, ages and geography, replace
identifiers with keyed pseudonyms — but they do not make record-level data "de-identified":
that still needs an expert's case-by-case review. Each function returns a new expression, so
the same code runs on DuckDB, PostgreSQL or Spark through Ibis.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

DatePrecision = Literal["year", "quarter", "month"]
_UNIT = {"year": "Y", "quarter": "Q", "month": "M"}


def drop_columns(table: ir.Table, columns: Sequence[str]) -> ir.Table:
    """Remove direct identifiers outright (the Safe Harbor move, DDG 13)."""
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise KeyError(f"no such columns: {', '.join(missing)}")
    return table.drop(*columns)


def generalise_dates(table: ir.Table, column: str, to: DatePrecision = "year") -> ir.Table:
    """Truncate a date to its year, quarter or month (Safe Harbor keeps only the year)."""
    return table.mutate(**{column: table[column].truncate(_UNIT[to])})


def age_band_label(lo: int, hi: int | None) -> str:
    return f"{lo}+" if hi is None else f"{lo}-{hi}"


def generalise_ages(
    table: ir.Table,
    column: str,
    bands: Sequence[tuple[int, int | None]],
    into: str | None = None,
) -> ir.Table:
    """Replace exact ages by bands; an open last band (lo, None) top-codes, e.g. "90+"."""
    age = table[column]
    cases: list[tuple[Any, Any]] = []
    for lo, hi in bands:
        cond = age >= lo if hi is None else (age >= lo) & (age <= hi)
        cases.append((cond, ibis.literal(age_band_label(lo, hi))))
    banded = ibis.cases(*cases, else_=ibis.null().cast("string"))
    return table.mutate(**{into or column: banded})


def generalise_geography(
    table: ir.Table, column: str, child_to_parent: Mapping[str, str], into: str | None = None
) -> ir.Table:
    """Map each area to its parent (county → region); unknown areas become null, not kept."""
    mapped = (
        table[column]
        .cast("string")
        .substitute(dict(child_to_parent), else_=ibis.null().cast("string"))
    )
    return table.mutate(**{into or column: mapped})


def pseudonym(value: str, key: bytes) -> str:
    """HMAC-SHA256: stable for one key, unlinkable across keys, irreversible without the key."""
    return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def pseudonymise(table: ir.Table, column: str, key: bytes) -> ir.Table:
    """Replace an identifier with its keyed pseudonym. The key stays in this process: it is
    captured by the function, never written into the query text."""
    if len(key) < 16:
        raise ValueError("pseudonymisation key must be at least 16 bytes")

    @ibis.udf.scalar.python  # type: ignore[untyped-decorator]
    def accord_hmac_sha256(value: str) -> str:
        return pseudonym(value, key)

    return table.mutate(**{column: accord_hmac_sha256(table[column].cast("string"))})
