"""Running a dataset's plan where the data lives, and streaming out what may leave.

Only the plan's fields are named in the query, filters run in the engine, and every rule but
the keyed hash is computed there too (``rules``); the result comes back in Arrow batches of
``batch_rows`` rows, so memory stays bounded however large the dataset is. An aggregate
release pushes the grouped count down as well and returns only the counts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from ibis.backends import BaseBackend

from accord.fulfillment.errors import ExtractionFailed
from accord.fulfillment.plan import DatasetPlan, RowFilter, Rule, SourceLocation
from accord.fulfillment.rules import PUSHED_DOWN, Pseudonymiser, rule_expr
from accord.fulfillment.sources import (
    DRIVER_ERRORS,
    connect,
    hide_secret,
    source_name,
    source_table,
)
from accord.fulfillment.stream import record_batches

BATCH_ROWS = 100_000  # rows per Arrow batch: a few MB for a typical dataset
EngineCopy = Callable[[Path, Callable[[float], None]], bool]


@dataclass
class Extraction:
    """A running extraction: the output schema now, the batches as they are read.

    Iterate it once; the connection to the source is closed when the batches are exhausted, on
    ``close()``, or on leaving a ``with`` block.
    """

    schema: pa.Schema
    _batches: Iterator[pa.RecordBatch] = field(repr=False)
    _count: Callable[[], int] = field(repr=False)
    _close: Callable[[], None] = field(repr=False)
    # when the engine can write the rows as Parquet itself (DuckDB): write them to a path,
    # False if it declines (see engine_copy); the package writer then need not stream
    copy_parquet: EngineCopy | None = field(default=None, repr=False)
    counted: int | None = field(default=None, init=False)  # count()'s answer, once asked

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        try:
            yield from self._batches
        finally:
            self.close()

    def count(self) -> int:
        """The number of rows the extraction delivers, counted by the engine (a second query,
        made once)."""
        if self.counted is None:
            self.counted = self._count()
        return self.counted

    def close(self) -> None:
        """Release the source; safe to call more than once."""
        close, self._close = self._close, _nothing
        close()

    def __enter__(self) -> Extraction:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _nothing() -> None:
    return None


def extract(
    location: SourceLocation, dataset: DatasetPlan, key: bytes, *, batch_rows: int = BATCH_ROWS
) -> Extraction:
    """Start extracting ``dataset`` from ``location`` with its rules applied.

    The batches hold exactly the delivered fields, in plan order; pseudonymised fields are keyed
    with ``key``. Raises ExtractionFailed when the source cannot be reached or read, lacks the
    table or a field the plan names, or a filter names a field outside the plan.
    """
    backend = connect(location)
    where = source_name(location)
    try:
        table = source_table(backend, dataset, where)
        return run_plan(backend, table, dataset, key, batch_rows=batch_rows, location=location)
    except BaseException:
        backend.disconnect()
        raise


def run_plan(
    backend: BaseBackend,
    table: ir.Table,
    dataset: DatasetPlan,
    key: bytes,
    *,
    batch_rows: int,
    location: SourceLocation,
    stream: Callable[[ir.Table, int], Iterator[pa.RecordBatch]] | None = None,
    close: Callable[[], None] | None = None,
) -> Extraction:
    """An Extraction of ``dataset`` from ``table`` on any engine; ``extract`` and Spark share it.

    ``stream`` reads an expression as batches (``record_batches`` unless an engine has its own
    way); the Extraction calls ``close`` when it closes (by default it disconnects ``backend``).
    """
    rows = filtered(table, dataset, source_name(location))
    expr = rows.select(**{f.name: rule_expr(rows[f.name], f.rule) for f in dataset.delivered})
    hashed = {f.name: Pseudonymiser(key) for f in dataset.delivered if f.rule is Rule.PSEUDONYMISE}
    schema = expr.schema().to_pyarrow()
    for name in hashed:
        schema = schema.set(schema.get_field_index(name), pa.field(name, pa.string()))
    read = stream or (lambda e, n: record_batches(backend, e, n))

    def batches() -> Iterator[pa.RecordBatch]:
        try:
            for batch in read(expr, batch_rows):
                yield _finish(batch, schema, hashed)
        except DRIVER_ERRORS as exc:
            raise _failed(exc, location) from None

    def count() -> int:
        return int(backend.execute(rows.count()))

    def copy(target: Path, progress: Callable[[float], None]) -> bool:
        from accord.fulfillment.engine_copy import copy_parquet

        try:
            return copy_parquet(
                backend.con,
                str(backend.compile(expr)),
                [f.name for f in dataset.delivered],
                list(hashed),
                key,
                target,
                progress,
            )
        except DRIVER_ERRORS as exc:
            raise _failed(exc, location) from None

    engine_copy = copy if backend.name == "duckdb" and stream is None else None
    return Extraction(schema, batches(), count, close or backend.disconnect, engine_copy)


def _failed(exc: Exception, location: SourceLocation) -> ExtractionFailed:
    reason = hide_secret(str(exc), location)
    return ExtractionFailed(f"Reading {source_name(location)} failed: {reason}")


def _finish(
    batch: pa.RecordBatch, schema: pa.Schema, hashed: dict[str, Pseudonymiser]
) -> pa.RecordBatch:
    columns = []
    for i, out in enumerate(schema):
        column = batch.column(i)
        if out.name in hashed:
            column = hashed[out.name](column)
        elif column.type != out.type:
            column = column.cast(out.type)
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, schema=schema)


def filtered(table: ir.Table, dataset: DatasetPlan, where: str) -> ir.Table:
    """``table`` with the plan's filters applied, after checking every name the plan uses.

    Filters may name any field of the plan, dropped ones too (the condition runs in the engine,
    the value never leaves); a field outside the plan is refused, since nothing outside it may
    be read.
    """
    present = set(table.columns)
    missing = [f.name for f in dataset.fields if f.name not in present]
    if missing:
        raise ExtractionFailed(
            f"{where}: {dataset.name} has no field {', '.join(missing)} (named in the plan)."
        )
    planned = {f.name for f in dataset.fields}
    outside = sorted({c.field for c in dataset.filters if c.field not in planned})
    if outside:
        raise ExtractionFailed(
            f"{dataset.name}: a filter names {', '.join(outside)}, which is not in the plan."
        )
    if not dataset.filters:
        return table
    return table.filter([_condition(table[c.field], c) for c in dataset.filters])


def _condition(column: ir.Column, condition: RowFilter) -> ir.BooleanValue:
    if condition.op == "in":
        values = condition.value if isinstance(condition.value, tuple) else (condition.value,)
        return column.isin([_literal(column, v) for v in values])
    value = _literal(column, condition.value)  # type: ignore[arg-type]
    ops: dict[str, Callable[[Any, Any], ir.BooleanValue]] = {
        "=": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    return ops[condition.op](column, value)


def _literal(column: ir.Column, value: str | int | float) -> Any:
    """Dates come as ISO text; a real DATE / TIMESTAMP column compares with a typed value."""
    dtype = column.type()
    if isinstance(value, str) and (dtype.is_date() or dtype.is_timestamp()):
        return ibis.literal(value).cast(dtype)
    return value


def aggregate(
    location: SourceLocation, dataset: DatasetPlan, dimensions: list[tuple[str, Rule]]
) -> pa.Table:
    """Counts of the dataset's (filtered) rows by the generalised dimensions, column ``n``.

    Each dimension is a field of the plan generalised by its rule first (county × age band ×
    month); the engine groups and counts, and only the counts come back. Raises ExtractionFailed
    as ``extract`` does, and for a dimension outside the plan or with a rule that is not a
    generalisation (DROP, PSEUDONYMISE).
    """
    where = source_name(location)
    backend = connect(location)
    try:
        table = source_table(backend, dataset, where)
        return grouped_counts(backend, table, dataset, dimensions, location)
    finally:
        backend.disconnect()


def grouped_counts(
    backend: BaseBackend,
    table: ir.Table,
    dataset: DatasetPlan,
    dimensions: list[tuple[str, Rule]],
    location: SourceLocation,
) -> pa.Table:
    """``aggregate`` on an open backend (Spark shares it)."""
    planned = {f.name for f in dataset.fields}
    bad = [n for n, r in dimensions if n not in planned or r not in PUSHED_DOWN]
    if bad:
        raise ExtractionFailed(
            f"{dataset.name}: {', '.join(bad)} cannot be a dimension (not in the plan, or not"
            " kept or generalised)."
        )
    rows = filtered(table, dataset, source_name(location))
    groups = {name: rule_expr(rows[name], rule) for name, rule in dimensions}
    names = list(groups)
    expr = rows.group_by(**groups).aggregate(n=rows.count().cast("int64")).order_by(names)
    try:
        return backend.to_pyarrow(expr)
    except DRIVER_ERRORS as exc:
        raise _failed(exc, location) from None
