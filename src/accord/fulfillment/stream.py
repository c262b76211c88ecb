"""Reading an Ibis expression's result as Arrow batches without holding it all in memory.

Ibis streams from PostgreSQL (a server-side cursor), but its SQLite and MySQL backends fetch
the whole result before handing out the first batch, and its DuckDB one calls a method DuckDB 2
no longer has. DuckDB's own Arrow reader streams; for SQLite and MySQL the compiled
query runs on a plain cursor (an unbuffered one for MySQL) and each ``batch_rows`` slice goes
through the backend's own type conversion, so a slice looks exactly as Ibis would deliver it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import ibis.expr.types as ir
import pandas as pd  # type: ignore[import-untyped]
import pyarrow as pa
from ibis.backends import BaseBackend


def record_batches(
    backend: BaseBackend, expr: ir.Table, batch_rows: int
) -> Iterator[pa.RecordBatch]:
    """The rows of ``expr`` as batches of at most ``batch_rows`` rows, fetched as they go."""
    if backend.name == "sqlite":
        from ibis.backends.sqlite.converter import SQLitePandasData

        cursor = backend.con.execute(backend.compile(expr))
        yield from _slices(cursor, expr, batch_rows, SQLitePandasData.convert_table)
        return
    if backend.name == "mysql":
        import MySQLdb.cursors  # type: ignore[import-untyped]  # the "mariadb" extra
        from ibis.backends.mysql.converter import MySQLPandasData

        cursor = backend.con.cursor(MySQLdb.cursors.SSCursor)  # rows come as they are read
        try:
            cursor.execute(backend.compile(expr))
            yield from _slices(cursor, expr, batch_rows, MySQLPandasData.convert_table)
        finally:
            cursor.close()
        return
    if backend.name == "duckdb":
        # Ibis 12 calls fetch_record_batch, which DuckDB 2 renamed to to_arrow_reader. The
        # backend's own connection, not a cursor: a folder's views are temporary, seen only there.
        yield from backend.con.sql(backend.compile(expr)).to_arrow_reader(batch_rows)
        return
    with backend.to_pyarrow_batches(expr, chunk_size=batch_rows) as reader:
        yield from reader


def _slices(
    cursor: Any,
    expr: ir.Table,
    batch_rows: int,
    convert: Callable[[pd.DataFrame, Any], pd.DataFrame],
) -> Iterator[pa.RecordBatch]:
    schema = expr.schema()
    arrow = schema.to_pyarrow()
    while rows := cursor.fetchmany(batch_rows):
        frame = convert(
            pd.DataFrame.from_records(rows, columns=list(schema.names), coerce_float=True), schema
        )
        yield from pa.Table.from_pandas(frame, schema=arrow, preserve_index=False).to_batches()
