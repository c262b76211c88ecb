"""Fulfillment at 10 million rows: extract, de-identify and package, against plain DuckDB.

The source is the demo's Walk 2 Work database generated with ``--events`` trips, copied to
DuckDB as one table of trip events (each trip with its commuter): the kind of wide event
table a department extracts. The agreement authorises 12 fields; the plan drops 2 (first and
last name), generalises 2 (trip date to the month, birth date to the year), pseudonymises 1
(the person id, HMAC-SHA-256) and delivers the other 7 as they are. Measured, each in a
process of its own (so its peak memory is its own), in the same run:

- baseline: DuckDB ``COPY (SELECT the 12 fields) TO 'x.parquet'``;
- Accord on DuckDB: ``extract`` + ``write_package`` (Parquet, data dictionary, README,
  manifest, SHA256SUMS and the zip), throughput as a ratio of the baseline's (target ≥ 0.5)
  and peak RSS (target ≤ 1 GiB);
- the same plan on Spark local mode (``--spark-rows`` of them, default 1,000,000: Spark hands
  rows to Python one partition at a time, so the full 10M run takes long), as rows per second
  against DuckDB's;
- an aggregate release: county × age band × month counted in DuckDB (pushed down), then the
  DDG engine's suppression when ``accord.fulfillment.aggregate`` is present.

    python bench/fulfillment_bench.py [--events 10000000] [--repeat 3] [--spark-rows 1000000]
                                      [--no-spark] [--no-aggregate]

The baseline and Accord's run alternate ``--repeat`` times (machines here are shared and
noisy); the ratio printed is the median of each pair's, with the CPU seconds of each beside.

The generated source is kept in .bench-cache/ (a few GB at 10M) and reused.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".bench-cache"
FIELDS = (
    "trip_id",
    "trip_date",
    "mode_code",
    "distance_km",
    "duration_minutes",
    "gps_verified",
    "person_id",
    "first_name",
    "last_name",
    "birth_date",
    "zip_code",
    "county",
)


def source(events: int) -> Path:
    """The DuckDB copy of the demo's Walk 2 Work trips at ``events`` rows, made once."""
    duck = CACHE / f"walk2work-{events}-v2.duckdb"
    if duck.exists():
        return duck
    import duckdb
    import ibis
    import numpy as np

    from accord.demo.sources import _write, build_population, people_for
    from accord.demo.walk2work import WALK2WORK
    from accord.fulfillment.stream import record_batches

    CACHE.mkdir(exist_ok=True)
    started = time.perf_counter()
    people = people_for(events)
    population = build_population(np.random.default_rng([2024, 0]), 2 * people)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        made = _write(WALK2WORK, Path(tmp), 2024, events, people, population, None)
        part = duck.with_suffix(".part")
        part.unlink(missing_ok=True)
        # DuckDB's SQLite extension would be downloaded; the rows go through Arrow instead
        lite = ibis.sqlite.connect(made.path)
        joined = lite.sql(
            """
            SELECT t.trip_id, t.trip_date, t.mode_code, t.distance_km, t.duration_minutes,
                   t.gps_verified, e.person_id, p.first_name, p.last_name, p.birth_date,
                   p.zip_code, p.county, p.sex
            FROM commute_trip t
            JOIN enrollment e ON e.enrollment_id = t.enrollment_id
            JOIN person p ON p.person_id = e.person_id
            ORDER BY t.trip_id
            """
        )
        conn = duckdb.connect(str(part))
        for n, batch in enumerate(record_batches(lite, joined, 500_000)):
            conn.register("batch", batch)
            conn.execute(
                ("INSERT INTO trip_event " if n else "CREATE TABLE trip_event AS ")
                + "SELECT * REPLACE (CAST(trip_date AS DATE) AS trip_date, CAST(birth_date AS "
                "DATE) AS birth_date, CAST(gps_verified AS BOOLEAN) AS gps_verified), "
                "date_diff('year', CAST(birth_date AS DATE), CAST(trip_date AS DATE)) AS age "
                "FROM batch"
            )
            conn.unregister("batch")
        conn.close()
        lite.disconnect()
        part.rename(duck)
    took = time.perf_counter() - started
    print(f"source: {events:,} trip events generated and copied to DuckDB in {took:.0f} s")
    return duck


def plan(duck: Path) -> Any:
    from accord.fulfillment.plan import DatasetPlan, FieldPlan, Plan, Rule

    rules = {
        "first_name": Rule.DROP,
        "last_name": Rule.DROP,
        "trip_date": Rule.MONTH,
        "birth_date": Rule.YEAR,
        "person_id": Rule.PSEUDONYMISE,
    }
    dataset = DatasetPlan(
        dataset_id=1,
        name="main.trip_event",
        table="trip_event",
        schema="main",
        fields=tuple(FieldPlan(f, "", rules.get(f, Rule.KEEP)) for f in FIELDS),
    )
    return Plan(
        agreement_id=1, version=1, release="record_level", format="parquet", datasets=(dataset,)
    )


def dictionary(dataset: Any) -> Any:
    """The data dictionary of the delivered fields, as the catalog would give it."""
    from accord.catalog.dictionary import Dictionary, DictionaryDataset, DictionaryField

    fields = tuple(
        DictionaryField(
            name=f.name,
            position=i,
            label=f.name.replace("_", " ").capitalize(),
            data_type=f.data_type,
            nullable=True,
            primary_key=False,
            foreign_key="",
            definition=f"The trip's {f.name.replace('_', ' ')}.",
            valid_values=(),
            classifications=f.classifications,
            statutes=(),
            standard_element="",
            tags=(),
            terms=(),
        )
        for i, f in enumerate(dataset.delivered)
    )
    about = DictionaryDataset(
        id=1,
        name=dataset.name,
        title="Trip events",
        description="",
        program="Walk 2 Work",
        system="",
        owner="",
        contacts="",
        source="walk2work",
        kind="table",
        row_count=None,
        lifecycle="active",
    )
    return Dictionary(about, fields, ())


def _peak_mib() -> float:
    """This process's own peak resident memory (VmHWM): ru_maxrss would carry over the peak of
    the parent it was forked from, which generated the source."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_copy(duck: Path, out: Path) -> dict[str, Any]:
    import duckdb

    conn = duckdb.connect(str(duck), read_only=True)
    started = time.perf_counter()
    conn.execute(
        f"COPY (SELECT {', '.join(FIELDS)} FROM trip_event) TO '{out / 'copy.parquet'}' "
        "(FORMAT parquet)"
    )
    seconds = time.perf_counter() - started
    rows = conn.execute("SELECT count(*) FROM trip_event").fetchone()[0]
    return {"seconds": seconds, "rows": rows, "peak_mib": _peak_mib()}


def _package(the_plan: Any, location: Any, out: Path, *, spark: bool = False) -> dict[str, Any]:
    from accord.fulfillment.extract import extract
    from accord.fulfillment.package import write_package
    from accord.fulfillment.readme import About

    (dataset,) = the_plan.datasets
    key = b"k" * 32
    (out / "packages").mkdir()
    started = time.perf_counter()
    if spark:
        from accord.fulfillment.spark import extract_on_spark

        found = extract_on_spark(location, dataset, key)
    else:
        found = extract(location, dataset, key)
    about = About(
        title="Bench",
        provider="CDW",
        recipient="DCS",
        permitted_use="Benchmark.",
        disposal="Destroy.",
    )
    result = write_package(
        out / "packages",
        "bench",
        the_plan,
        [(dataset, found)],
        dictionaries={dataset.name: dictionary(dataset)},
        glossary=(),
        about=about,
    )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "rows": sum(result.rows.values()),
        "peak_mib": _peak_mib(),
        "zip_mib": result.zip_size / 2**20,
    }


def phase_accord(duck: Path, out: Path) -> dict[str, Any]:
    from accord.fulfillment.plan import SourceLocation

    return _package(plan(duck), SourceLocation("sql", f"duckdb:///{duck}"), out)


def phase_spark(duck: Path, out: Path, rows: int) -> dict[str, Any]:
    """The same plan with Spark as the engine, over the first ``rows`` trips as Parquet."""
    import dataclasses

    import duckdb

    from accord.fulfillment.plan import SourceLocation

    folder = out / "source"
    folder.mkdir()
    duckdb.connect(str(duck), read_only=True).execute(
        f"COPY (SELECT * FROM trip_event WHERE trip_id <= {rows}) "
        f"TO '{folder / 'trip_event.parquet'}' (FORMAT parquet)"
    )
    the_plan = plan(duck)
    dataset = dataclasses.replace(the_plan.datasets[0], table="trip_event.parquet")
    the_plan = dataclasses.replace(the_plan, datasets=(dataset,))
    return _package(the_plan, SourceLocation("files", str(folder)), out, spark=True)


def phase_aggregate(duck: Path, out: Path) -> dict[str, Any]:
    from accord.fulfillment.extract import aggregate
    from accord.fulfillment.plan import DatasetPlan, FieldPlan, Rule, SourceLocation

    dataset = DatasetPlan(
        1,
        "main.trip_event",
        "trip_event",
        "main",
        (
            FieldPlan("county", "", Rule.KEEP),
            FieldPlan("age", "INTEGER", Rule.AGE_BAND),
            FieldPlan("trip_date", "", Rule.MONTH),
        ),
    )
    started = time.perf_counter()
    counts = aggregate(
        SourceLocation("sql", f"duckdb:///{duck}"),
        dataset,
        [("county", Rule.KEEP), ("age", Rule.AGE_BAND), ("trip_date", Rule.MONTH)],
    )
    counted = time.perf_counter() - started
    figures: dict[str, Any] = {
        "seconds": counted,
        "cells": counts.num_rows,
        "count_seconds": counted,
    }
    from accord.fulfillment.aggregate import release_counts

    released = release_counts(counts, dataset)
    figures["seconds"] = time.perf_counter() - started
    summary = released.report.get("summary", released.report)
    figures["ddg"] = (
        "refused: " + "; ".join(f.message for f in released.refusal[:3])
        if released.refused
        else {k: v for k, v in summary.items() if k in SUMMARY}
    )
    figures["peak_mib"] = _peak_mib()
    return figures


SUMMARY = ("rows", "cells", "primary", "complementary", "audit_passed")


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median wall time (its other figures with it)."""
    return sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]


def child(name: str, duck: Path, *extra: str) -> dict[str, Any]:
    """Run one phase in a process of its own; its figures, with the CPU seconds it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--phase",
                name,
                "--source",
                str(duck),
                "--out",
                tmp,
                *extra,
            ],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
    if done.returncode:
        raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    used = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    figures["cpu"] = used  # the whole process, start-up included
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--spark-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--no-aggregate", action="store_true")
    parser.add_argument("--phase")
    parser.add_argument("--source")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.phase:
        duck, out = Path(args.source), Path(args.out)
        runs = {
            "copy": lambda: phase_copy(duck, out),
            "accord": lambda: phase_accord(duck, out),
            "spark": lambda: phase_spark(duck, out, args.spark_rows),
            "aggregate": lambda: phase_aggregate(duck, out),
        }
        print(json.dumps(runs[args.phase](), default=str))
        return
    duck = source(args.events)
    pairs = [(child("copy", duck), child("accord", duck)) for _ in range(max(args.repeat, 1))]
    copy = _median_run([c for c, _ in pairs])
    ours = _median_run([a for _, a in pairs])
    rows = copy["rows"]
    print(f"rows: {rows:,}, 12 fields authorised (drop 2, generalise 2, pseudonymise 1)")
    print(f"median of {len(pairs)} alternating runs of each")
    print(
        f"DuckDB COPY to Parquet:        {copy['seconds']:7.1f} s  "
        f"{rows / copy['seconds'] / 1e6:5.2f} M rows/s  CPU {copy['cpu']:5.1f} s  "
        f"peak {copy['peak_mib']:5.0f} MiB"
    )
    print(
        f"Accord extract + package:      {ours['seconds']:7.1f} s  "
        f"{rows / ours['seconds'] / 1e6:5.2f} M rows/s  CPU {ours['cpu']:5.1f} s  "
        f"peak {ours['peak_mib']:5.0f} MiB  zip {ours['zip_mib']:.0f} MiB"
    )
    ratio = statistics.median(c["seconds"] / a["seconds"] for c, a in pairs)
    print(
        f"throughput ratio Accord / COPY: {ratio:.2f} (target >= 0.5; each pair: "
        + ", ".join(f"{c['seconds'] / a['seconds']:.2f}" for c, a in pairs)
        + f"); peak memory {'within' if ours['peak_mib'] <= 1024 else 'OVER'} 1 GiB"
    )
    per_row = ours["seconds"] / rows
    print(f"per row on DuckDB: {per_row * 1e6:.2f} µs -> 100M rows ≈ {per_row * 1e8 / 60:.0f} min")
    if not args.no_spark:
        spark = child("spark", duck, "--spark-rows", str(args.spark_rows))
        rate = spark["rows"] / spark["seconds"]
        print(
            f"Spark local, {spark['rows']:,} rows: {spark['seconds']:7.1f} s  "
            f"{rate / 1e6:5.2f} M rows/s = {rate / (rows / ours['seconds']):.2f} × DuckDB's; "
            f"100M rows ≈ {1e8 / rate / 60:.0f} min on this machine's local mode"
        )
    if args.no_aggregate:
        return
    agg = child("aggregate", duck)
    print(
        f"aggregate county × age band × month: {agg['cells']:,} cells counted in "
        f"{agg['count_seconds']:.1f} s; with DDG {agg['seconds']:.1f} s; {agg['ddg']}"
    )


if __name__ == "__main__":
    main()
