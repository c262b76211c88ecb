"""Benchmark: harvest a PostgreSQL database of 2,000 tables × 26 commented columns.

Builds a throw-away database on the server (dropped at the end), then times
``harvest_database`` on it against a bare catalog query that returns the same metadata (every
column with its type, nullability and comment, plus the table comments) in the same process,
and prints the ratio. Memory: the Python peak seen by tracemalloc during a separate harvest run
(tracemalloc slows the code it watches, so timing runs go without it) and the process peak RSS.

Then the whole path a user runs, ``accord harvest``: read the source, and merge into a new
Accord catalog (SQLite, as installed by default) with the search index, progress records and
the audit entry. Target (issue 3): ≤ 2 s wall and ≤ 150 MiB for that.

    .venv/bin/python bench/catalog_harvest_bench.py [--tables 2000] [--columns 26] [--inspector]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from accord.auth.actor import Actor
from accord.catalog.harvest.runs import harvest_now
from accord.catalog.harvest.sql import harvest_database
from accord.catalog.sources import add_source
from accord.config import Settings
from accord.db.engine import transaction
from accord.db.migrate import upgrade_database

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TYPES = ["integer", "text", "varchar(40)", "numeric(10,2)", "date", "timestamp", "boolean"]
BATCH = 100  # tables per multi-statement execute: few round trips, modest statement size

BARE_QUERY = """
SELECT n.nspname, c.relname, td.description, a.attnum, a.attname,
       format_type(a.atttypid, a.atttypmod), a.attnotnull, d.description
FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_description d
       ON d.objoid = a.attrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum
LEFT JOIN pg_description td
       ON td.objoid = c.oid AND td.classoid = 'pg_class'::regclass AND td.objsubid = 0
WHERE a.attnum > 0 AND NOT a.attisdropped AND c.relkind IN ('r', 'v')
  AND n.nspname = 'public'
ORDER BY n.nspname, c.relname, a.attnum
"""


def schema_sql(first: int, last: int, columns: int) -> str:
    """DDL for tables first..last-1: id + (columns-1) typed columns, every one commented."""
    out: list[str] = []
    for t in range(first, last):
        name = f"t{t:05d}"
        cols = ["id bigint PRIMARY KEY"]
        if t > 0:
            cols.append(f"ref_id bigint REFERENCES t{t - 1:05d}(id)")
        while len(cols) < columns:
            i = len(cols)
            cols.append(f"c{i:02d} {TYPES[(t + i) % len(TYPES)]}")
        out.append(f"CREATE TABLE {name} ({', '.join(cols)});")
        out.append(f"COMMENT ON TABLE {name} IS 'Table {t} of the benchmark program.';")
        for col in cols:
            column = col.split(" ", 1)[0]
            out.append(
                f"COMMENT ON COLUMN {name}.{column} IS "
                f"'Column {column} of table {t}: what it records, who fills it, its meaning.';"
            )
    return "\n".join(out)


def build(url: str, tables: int, columns: int) -> None:
    # One transaction per batch: a single one would exhaust the server's lock table.
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("SET synchronous_commit = off")
        for first in range(0, tables, BATCH):
            conn.exec_driver_sql(schema_sql(first, min(first + BATCH, tables), columns))
        conn.exec_driver_sql("ANALYZE")
    engine.dispose()


def _status_mib(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024  # reported in kB
    return float("nan")


def measure_memory(url: str, into_catalog: bool) -> None:
    """Child mode: one harvest in a clean process; print RSS after imports and the peak."""
    if into_catalog:
        with tempfile.TemporaryDirectory() as folder:
            settings = new_catalog(Path(folder), url)
            base = _status_mib("VmRSS")
            harvest_now(settings, Actor.system(via="bench"), "bench")
    else:
        base = _status_mib("VmRSS")
        harvest_database(url)
    print(json.dumps({"base": base, "peak": _status_mib("VmHWM")}))


def new_catalog(folder: Path, source_url: str) -> Settings:
    """A freshly migrated Accord catalog with the benchmark database registered as a source."""
    catalog_url = f"sqlite:///{folder / 'accord.sqlite'}"
    settings = Settings(database_url=catalog_url, data_dir=folder, secret_key="bench",
                        _env_file=None)  # type: ignore[call-arg]
    upgrade_database(catalog_url)
    with transaction(settings) as session:
        add_source(session, Actor.system(via="bench"), settings.key, name="bench",
                   location=source_url, kind="database")
    return settings


def harvest_into_catalog(url: str, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            settings = new_catalog(Path(folder), url)
            start = time.perf_counter()
            harvest_now(settings, Actor.system(via="bench"), "bench")
            times.append(time.perf_counter() - start)
    return times


def fresh_process_memory(url: str, into_catalog: bool = False) -> dict[str, float]:
    """Peak RSS of a harvest in its own process: this one has already built the database."""
    child = [sys.executable, __file__, "--measure-memory", url]
    if into_catalog:
        child.append("--into-catalog")
    out = subprocess.run(child, check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def timed(fn: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def bare_query(url: str) -> int:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(BARE_QUERY).fetchall()
    engine.dispose()
    return len(rows)


def inspector_multi(url: str) -> int:
    """SQLAlchemy's bulk reflection, for the record of why sql_catalogs queries directly."""
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        insp = inspect(conn)
        cols = insp.get_multi_columns(schema="public")
        insp.get_multi_pk_constraint(schema="public")
        insp.get_multi_foreign_keys(schema="public")
        insp.get_multi_table_comment(schema="public")
    engine.dispose()
    return sum(len(c) for c in cols.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=SERVER)
    parser.add_argument("--tables", type=int, default=2000)
    parser.add_argument("--columns", type=int, default=26)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--inspector", action="store_true", help="also time get_multi_*")
    parser.add_argument("--measure-memory", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--into-catalog", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_memory:
        measure_memory(args.measure_memory, args.into_catalog)
        return

    server = make_url(args.server)
    name = f"accord_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        start = time.perf_counter()
        build(url, args.tables, args.columns)
        print(
            f"built {args.tables} tables × {args.columns} columns in "
            f"{time.perf_counter() - start:.1f} s"
        )

        bare_times, bare_rows = timed(lambda: bare_query(url), args.runs)
        harvest_times, harvest = timed(lambda: harvest_database(url), args.runs)
        fields = sum(len(d.fields) for d in harvest.datasets)
        commented = sum(1 for d in harvest.datasets for f in d.fields if f.comment)
        assert fields == bare_rows == args.tables * args.columns, (fields, bare_rows)

        memory = fresh_process_memory(url)
        tracemalloc.start()
        harvest_database(url)
        _, traced_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        bare, took = statistics.median(bare_times), statistics.median(harvest_times)
        print(f"datasets {len(harvest.datasets)}, fields {fields}, commented {commented}")
        print(
            f"bare catalog query : median {bare * 1000:7.1f} ms  (runs: "
            + ", ".join(f"{t * 1000:.0f}" for t in bare_times)
            + ")"
        )
        print(
            f"harvest_database   : median {took * 1000:7.1f} ms  (runs: "
            + ", ".join(f"{t * 1000:.0f}" for t in harvest_times)
            + ")"
        )
        print(f"ratio harvest / bare query: {took / bare:.2f}")
        print(
            f"memory (fresh process): peak RSS {memory['peak']:.1f} MiB, of which "
            f"{memory['peak'] - memory['base']:.1f} MiB during the harvest "
            f"({memory['base']:.1f} MiB after imports); "
            f"Python allocations peak (tracemalloc) {traced_peak / 2**20:.1f} MiB"
        )
        full_times = harvest_into_catalog(url, args.runs)
        full_memory = fresh_process_memory(url, into_catalog=True)
        full = statistics.median(full_times)
        print(
            f"harvest + merge into the catalog (accord harvest): median {full:.2f} s (runs: "
            + ", ".join(f"{t:.2f}" for t in full_times)
            + f"), target ≤ 2 s; ratio to the bare query {full / bare:.1f}"
        )
        print(
            f"memory (fresh process, harvest + merge): peak RSS {full_memory['peak']:.1f} MiB "
            f"({full_memory['base']:.1f} MiB before), target ≤ 150 MiB"
        )
        if args.inspector:
            insp_times, insp_fields = timed(lambda: inspector_multi(url), 1)
            print(
                f"Inspector.get_multi_* : {insp_times[0] * 1000:7.1f} ms for {insp_fields} "
                f"columns ({insp_times[0] / took:.1f}× harvest_database)"
            )
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


if __name__ == "__main__":
    main()
