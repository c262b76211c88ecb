"""The same plan on Spark (local mode): the rules, filters and pseudonyms match every engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from accord.fulfillment.plan import DatasetPlan, RowFilter, Rule
from accord.fulfillment.runs import fulfill_now, packages_root
from accord.fulfillment.spark import aggregate_on_spark, extract_on_spark, spark_backend
from accord.fulfillment.verify import verify_package
from tests.fulfillment.agreements import filed_agreement, fulfil_world
from tests.fulfillment.engines import Source
from tests.fulfillment.test_aggregate import counted_world
from tests.fulfillment.test_aggregate import counts_of as parquet_of
from tests.fulfillment.test_extract import EXPECTED, FIELDS, KEY, by_county_and_month

pytest.importorskip("pyspark")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    backend = spark_backend()
    yield backend
    backend.disconnect()


def spark_rows(spark: Any, source: Source, **kw: Any) -> list[tuple[Any, ...]]:
    location, schema, table = source
    dataset = DatasetPlan(1, "main.person", table, schema, FIELDS, **kw)
    with extract_on_spark(location, dataset, KEY, backend=spark, batch_rows=3) as extraction:
        batches = list(extraction)
    got = pa.Table.from_batches(batches, schema=extraction.schema).to_pylist()
    return sorted((tuple(r.values()) for r in got), key=lambda r: r[-1] + str(r[3]))


def test_spark_reads_a_parquet_file_and_a_staged_sqlite_table(
    spark: Any, parquet_source: Source, sqlite_source: Source
) -> None:
    assert spark_rows(spark, parquet_source) == by_county_and_month(EXPECTED)
    filters = (RowFilter("visit_date", ">=", "2024-01-01"), RowFilter("name", "!=", "Di"))
    assert spark_rows(spark, sqlite_source, filters=filters) == by_county_and_month(
        [EXPECTED[0], EXPECTED[1]]
    )


def test_spark_counts_by_generalised_dimensions(spark: Any, csv_source: Source) -> None:
    location, schema, table = csv_source
    dataset = DatasetPlan(1, "main.person", table, schema, FIELDS)
    counts = aggregate_on_spark(
        location, dataset, [("county", Rule.KEEP), ("age", Rule.AGE_BAND)], backend=spark
    )
    assert sorted(tuple(r.values()) for r in counts.to_pylist()) == [
        ("Napa", "90+", 1),
        ("Yolo", "0-9", 1),
        ("Yolo", "40-49", 1),
        ("Yolo", "90+", 1),
    ]


@pytest.mark.db
def test_a_run_on_spark_packages_what_the_source_engine_does(
    spark: Any, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = fulfil_world(settings, tmp_path)
    pid = filed_agreement(w, monkeypatch)
    source, spark_rows = _on_each_engine(w, pid, "visit")
    assert spark_rows == source  # the same rows, the same pseudonyms


@pytest.mark.db
def test_an_aggregate_run_on_spark_releases_the_same_counts(
    spark: Any, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = counted_world(settings, tmp_path)
    pid = filed_agreement(w, monkeypatch, deidentification="aggregate")
    source, spark_counts = _on_each_engine(w, pid, "client")
    assert spark_counts == source


def _on_each_engine(w: Any, pid: int, dataset: str) -> tuple[list[str], list[str]]:
    """The dataset's rows in a package made on the source engine, then in one made on Spark."""
    found = []
    for engine in ("source", "spark"):
        on = w.settings.model_copy(update={"fulfillment_engine": engine})
        run = fulfill_now(on, w.cdw["data_engineer"], pid)
        path = packages_root(on) / f"{run.package}.zip"
        assert verify_package(path).problems == ()
        found.append(sorted(map(str, parquet_of(path, dataset).to_pylist())))
    return found[0], found[1]
