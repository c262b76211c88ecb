"""Benchmark of the fulfillment package writer (accord.fulfillment.package).

Ten million rows x 12 columns (3 integers, 3 texts, 3 dates as ISO text, 3 floats), streamed in
batches of 262,144 rows, against the baseline of a plain DuckDB ``COPY (SELECT ...) TO
'x.parquet'`` of the same values. Each way runs in its own child process, so each peak RSS
(``ru_maxrss``) is its own; the baseline RSS after imports is printed beside it. Also timed:
the Parquet file written with no hashing and then hashed by re-reading it, the other way the
package could compute its checksums.

    python bench/package_bench.py                 # 10,000,000 rows, Parquet
    python bench/package_bench.py --rows 1000000 --format csv
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

BATCH = 262_144
COLUMNS = [f"{kind}_{n}" for kind in ("int", "text", "day", "num") for n in range(3)]
DAY0 = np.datetime64("2020-01-01")


def batches(rows: int) -> Iterator[pa.RecordBatch]:
    """The same values as ``SQL`` below, built with Arrow one batch at a time."""
    for start in range(0, rows, BATCH):
        i = np.arange(start, min(start + BATCH, rows), dtype=np.int64)
        text = pc.cast(pa.array(i), pa.string())
        columns = [
            pa.array(i),
            pa.array(i * 7 % 1000),
            pa.array(i // 3),
            pc.binary_join_element_wise("person-", text, ""),
            pc.binary_join_element_wise("county-", pc.cast(pa.array(i % 58), pa.string()), ""),
            pc.binary_join_element_wise("note ", text, " of the record", ""),
            pc.cast(pa.array(DAY0 + (i % 1500).astype("timedelta64[D]")), pa.string()),
            pc.cast(pa.array(DAY0 + (i % 400).astype("timedelta64[D]")), pa.string()),
            pc.cast(pa.array(DAY0 + (i % 3000).astype("timedelta64[D]")), pa.string()),
            pa.array(i * 0.5),
            pa.array(i / 7.0),
            pa.array((i % 1000) * 1.25),
        ]
        yield pa.RecordBatch.from_arrays(columns, names=COLUMNS)


SQL = """
SELECT i AS int_0, i * 7 % 1000 AS int_1, i // 3 AS int_2,
       'person-' || i AS text_0, 'county-' || (i % 58) AS text_1,
       'note ' || i || ' of the record' AS text_2,
       CAST(DATE '2020-01-01' + CAST(i % 1500 AS INTEGER) AS VARCHAR) AS day_0,
       CAST(DATE '2020-01-01' + CAST(i % 400 AS INTEGER) AS VARCHAR) AS day_1,
       CAST(DATE '2020-01-01' + CAST(i % 3000 AS INTEGER) AS VARCHAR) AS day_2,
       i * 0.5 AS num_0, i / 7.0 AS num_1, (i % 1000) * 1.25 AS num_2
FROM range({rows}) t(i)
"""


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_package(rows: int, fmt: str, folder: Path) -> dict[str, object]:
    from accord.catalog.dictionary import Dictionary, DictionaryDataset, DictionaryField
    from accord.fulfillment.package import write_package
    from accord.fulfillment.plan import DatasetPlan, FieldPlan, Plan, Rule
    from accord.fulfillment.readme import About

    dataset = DatasetPlan(
        1,
        "bench.events",
        "events",
        "",
        tuple(FieldPlan(name, "VARCHAR", Rule.KEEP) for name in COLUMNS),
    )
    plan = Plan(1, 1, "record_level", fmt, (dataset,))  # type: ignore[arg-type]
    dictionary = Dictionary(
        DictionaryDataset(1, "bench.events", "Events", "", "", "", "", "", "", "table", rows, ""),
        tuple(
            DictionaryField(name, i, name, "VARCHAR", True, False, "", "", (), (), (), "", (), ())
            for i, name in enumerate(COLUMNS)
        ),
        (),
    )
    about = About("Bench", "A", "B", "Benchmarking.", "Destroy after the run.")
    before = peak_mb()
    started = time.perf_counter()
    result = write_package(
        folder,
        "bench",
        plan,
        [(dataset, batches(rows))],
        dictionaries={"bench.events": dictionary},
        glossary=(),
        about=about,
    )
    wall = time.perf_counter() - started
    data = result.path / f"data/bench.events.{fmt}"
    peak = peak_mb()
    from accord.fulfillment.verify import verify_package

    started = time.perf_counter()
    assert verify_package(result.path).ok
    verify_folder = time.perf_counter() - started
    started = time.perf_counter()
    assert verify_package(result.zip_path).ok
    verify_zip = time.perf_counter() - started
    return {
        "wall_s": wall,
        "peak_mb": peak,
        "after_imports_mb": before,
        "data_mb": data.stat().st_size / 2**20,
        "zip_mb": result.zip_size / 2**20,
        "verify_folder_s": verify_folder,
        "verify_zip_s": verify_zip,
        "verify_peak_mb": peak_mb(),
    }


def run_generate(rows: int) -> dict[str, object]:
    """Only the Arrow batches: what the writers' figures include before writing a byte."""
    before = peak_mb()
    started = time.perf_counter()
    count = sum(batch.num_rows for batch in batches(rows))
    assert count == rows
    return {
        "wall_s": time.perf_counter() - started,
        "peak_mb": peak_mb(),
        "after_imports_mb": before,
    }


def run_plain(rows: int, folder: Path) -> dict[str, object]:
    """ParquetWriter to a path, not hashed (and not fsynced); then the file hashed by a
    second read, the other way to compute the checksum."""
    import pyarrow.parquet as pq

    before = peak_mb()
    target = folder / "plain.parquet"
    started = time.perf_counter()
    writer = None
    for batch in batches(rows):
        if writer is None:
            writer = pq.ParquetWriter(target, batch.schema, compression="zstd")
        writer.write_batch(batch)
    assert writer is not None
    writer.close()
    written = time.perf_counter() - started
    started = time.perf_counter()
    digest = hashlib.sha256()
    with target.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    rehash = time.perf_counter() - started
    return {
        "write_s": written,
        "reread_hash_s": rehash,
        "peak_mb": peak_mb(),
        "after_imports_mb": before,
        "data_mb": target.stat().st_size / 2**20,
    }


def run_hashed(rows: int, folder: Path) -> dict[str, object]:
    """ParquetWriter into the package's HashingFile: the checksum is ready when it closes."""
    import pyarrow.parquet as pq

    from accord.fulfillment.package_files import HashingFile

    before = peak_mb()
    target = folder / "hashed.parquet"
    started = time.perf_counter()
    writer = None
    with HashingFile(target) as sink:
        for batch in batches(rows):
            if writer is None:
                writer = pq.ParquetWriter(sink, batch.schema, compression="zstd")
            writer.write_batch(batch)
        assert writer is not None
        writer.close()
    sink.done(target.name)
    wall = time.perf_counter() - started
    return {"write_and_hash_s": wall, "peak_mb": peak_mb(), "after_imports_mb": before}


def run_duckdb(rows: int, folder: Path) -> dict[str, object]:
    import duckdb

    before = peak_mb()
    target = folder / "duck.parquet"
    started = time.perf_counter()
    duckdb.sql(f"COPY ({SQL.format(rows=rows)}) TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
    wall = time.perf_counter() - started
    return {
        "wall_s": wall,
        "peak_mb": peak_mb(),
        "after_imports_mb": before,
        "data_mb": target.stat().st_size / 2**20,
    }


def child(way: str, rows: int, fmt: str) -> None:
    folder = Path(tempfile.mkdtemp(prefix="package-bench-", dir="/tmp"))
    try:
        if way == "package":
            figures = run_package(rows, fmt, folder)
        elif way == "plain":
            figures = run_plain(rows, folder)
        elif way == "generate":
            figures = run_generate(rows)
        elif way == "hashed":
            figures = run_hashed(rows, folder)
        else:
            figures = run_duckdb(rows, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--way", choices=["generate", "package", "plain", "hashed", "duckdb"])
    args = parser.parse_args()
    if args.way:
        child(args.way, args.rows, args.format)
        return
    print(f"{args.rows:,} rows x {len(COLUMNS)} columns, batches of {BATCH:,}, {args.format}")
    for way in ("generate", "package", "plain", "hashed", "duckdb"):
        shown = subprocess.run(
            [
                sys.executable,
                __file__,
                "--way",
                way,
                "--rows",
                str(args.rows),
                "--format",
                args.format,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        figures = json.loads(shown.strip().splitlines()[-1])
        print(f"{way:8s} " + "  ".join(f"{k} {v:,.1f}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
