"""The Parquet file of a dataset written by DuckDB itself, when DuckDB is where the data lives.

DuckDB is the embedded default and reads CSV and Parquet folders, so most extractions run on
it; streaming its rows through Python to pyarrow's writer made a 10M-row package five times
slower than DuckDB's own ``COPY ... TO parquet`` (bench/fulfillment_bench.py). Here the same
query (the plan's fields, filters and generalisations, compiled by Ibis) is copied to Parquet
by DuckDB on all its threads. Pseudonyms are the only rule DuckDB cannot compute: each
pseudonymised column's distinct values are read first, keyed in Python exactly as the
streaming path keys them (``rules.Pseudonymiser``), and joined back in as a small table, so
both paths give the same pseudonyms. zstd at level 1, as pyarrow writes it: DuckDB's default
level took 40% longer for a file 1% smaller.

A column with more than ``MAX_DISTINCT`` distinct values would make that table too large to
hold; the caller then streams instead. Cancelling (the job's progress callback raising)
interrupts DuckDB.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa

from accord.fulfillment.rules import Pseudonymiser

MAX_DISTINCT = 2_000_000
POLL_SECONDS = 1.0  # how often progress is reported (each report is a write) and a cancel heard
_GONE = "the source changed while it was read: run again"


def copy_parquet(
    con: duckdb.DuckDBPyConnection,
    query: str,
    columns: list[str],
    pseudonymised: list[str],
    key: bytes,
    target: Path,
    progress: Callable[[float], None],
) -> bool:
    """Write ``query``'s rows (``columns`` in order) to ``target`` with ``pseudonymised``
    columns replaced by their pseudonyms. False, having written nothing, when a pseudonymised
    column has too many distinct values. ``progress(share)`` is called while DuckDB works
    (share between 0 and 1, or -1 when DuckDB cannot tell); whatever it raises interrupts the
    copy and is raised again."""
    maps: list[str] = []
    for n, name in enumerate(pseudonymised):
        column = _quoted(name)
        distinct = (
            con.sql(
                f"SELECT DISTINCT {column} AS v FROM ({query}) "  # noqa: S608 - names quoted, query Ibis's
                f"WHERE {column} IS NOT NULL LIMIT {MAX_DISTINCT + 1}"
            )
            .arrow()
            .read_all()
        )
        values = distinct.column("v")
        if len(values) > MAX_DISTINCT:
            _unregister(con, maps)
            return False
        table = f"accord_pseudonyms_{n}"
        con.register(table, pa.table({"v": values, "p": Pseudonymiser(key)(values)}))
        maps.append(table)
    # A value with no pseudonym (the files changed between the two reads) stops the copy: it
    # must never be delivered as an empty cell, nor as itself.
    chosen = {
        name: f"CASE WHEN m{n}.p IS NULL AND src.{_quoted(name)} IS NOT NULL THEN "
        f"error('{_GONE}') ELSE m{n}.p END"
        for n, name in enumerate(pseudonymised)
    }
    select = ", ".join(f"{chosen.get(c, 'src.' + _quoted(c))} AS {_quoted(c)}" for c in columns)
    joins = " ".join(
        f"LEFT JOIN {table} m{n} ON src.{_quoted(name)} = m{n}.v"
        for n, (name, table) in enumerate(zip(pseudonymised, maps, strict=True))
    )
    path = str(target).replace("'", "''")
    sql = (
        f"COPY (SELECT {select} FROM ({query}) AS src {joins}) "  # noqa: S608 - as above
        f"TO '{path}' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1)"
    )
    try:
        _run_watched(con, sql, progress)
    finally:
        _unregister(con, maps)
    return True


def _run_watched(
    con: duckdb.DuckDBPyConnection, sql: str, progress: Callable[[float], None]
) -> None:
    """Run ``sql`` in a thread while this one reports progress and hears a cancel."""
    failed: list[BaseException] = []
    # DuckDB tracks a query's progress only with its progress bar on (and not printed)
    con.execute("SET enable_progress_bar = true")
    con.execute("SET enable_progress_bar_print = false")

    def run() -> None:
        try:
            con.execute(sql)
        except BaseException as exc:
            failed.append(exc)

    worker = threading.Thread(target=run, name="accord-duckdb-copy", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(POLL_SECONDS)
            if worker.is_alive():
                percent = con.query_progress()
                progress(percent / 100 if percent >= 0 else -1)
    except BaseException:
        con.interrupt()
        worker.join()
        raise
    if failed:
        raise failed[0]


def _unregister(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    for table in tables:
        con.unregister(table)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
