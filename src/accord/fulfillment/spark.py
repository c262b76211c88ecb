"""Running a plan on Spark, for datasets too large for the engine they live in to work on.

The session is local (``local[*]``) unless ``ACCORD_SPARK_MASTER`` names a cluster master or
``ACCORD_SPARK_REMOTE`` a Spark Connect server (``sc://host:15002``). Spark reads the data
where it is simplest to reach without a JDBC driver: a CSV or Parquet file of a folder source
is read by Spark itself; a database table is first staged, as Parquet, by the engine that
holds it (only the plan's fields, streamed, so memory stays bounded) and Spark reads that.
The staging folder is local, so with a remote cluster it must be on storage both can see
(``ACCORD_SPARK_STAGING``). The rules and filters are the same Ibis expressions as on any
other engine, so Spark computes them; the keyed hash is applied in Arrow as everywhere else.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq
from ibis.backends import BaseBackend

from accord.fulfillment.errors import ExtractionFailed
from accord.fulfillment.extract import BATCH_ROWS, Extraction, filtered, grouped_counts, run_plan
from accord.fulfillment.plan import DatasetPlan, Rule, SourceLocation
from accord.fulfillment.sources import folder_files, open_source, source_name, source_table
from accord.fulfillment.stream import record_batches


def spark_backend(session: Any | None = None) -> BaseBackend:
    """An Ibis backend on ``session``, or on the session the environment describes.

    The session is shared: closing an extraction never stops it.
    """
    if session is None:
        from pyspark.sql import SparkSession

        builder: Any = SparkSession.builder.appName("accord-fulfillment")
        remote = os.environ.get("ACCORD_SPARK_REMOTE")
        if remote:
            builder = builder.remote(remote)
        else:
            builder = builder.master(os.environ.get("ACCORD_SPARK_MASTER", "local[*]"))
            builder = builder.config("spark.ui.enabled", "false")
        session = builder.config("spark.sql.session.timeZone", "UTC").getOrCreate()
    return ibis.pyspark.connect(session)


def extract_on_spark(
    location: SourceLocation,
    dataset: DatasetPlan,
    key: bytes,
    *,
    backend: BaseBackend | None = None,
    batch_rows: int = BATCH_ROWS,
) -> Extraction:
    """``extract`` with Spark as the engine; the same output, batches and errors."""
    spark = backend or spark_backend()
    staged = _Staged(spark, location, dataset)
    try:
        table = staged.table()
        return run_plan(
            spark,
            table,
            _staged_fields(dataset),
            key,
            batch_rows=batch_rows,
            location=location,
            stream=lambda expr, n: _spark_batches(spark, expr, n),
            close=staged.close,
        )
    except BaseException:
        staged.close()
        raise


def aggregate_on_spark(
    location: SourceLocation,
    dataset: DatasetPlan,
    dimensions: list[tuple[str, Rule]],
    *,
    backend: BaseBackend | None = None,
) -> pa.Table:
    """``aggregate`` with Spark as the engine."""
    spark = backend or spark_backend()
    staged = _Staged(spark, location, dataset)
    try:
        return grouped_counts(spark, staged.table(), _staged_fields(dataset), dimensions, location)
    finally:
        staged.close()


def _staged_fields(dataset: DatasetPlan) -> DatasetPlan:
    """The plan as the staged table can answer it: a dropped field is staged only when a
    filter needs it (a dropped identifier never reaches the staging folder)."""
    needed = {c.field for c in dataset.filters}
    kept = tuple(f for f in dataset.fields if f.rule is not Rule.DROP or f.name in needed)
    return dataclasses.replace(dataset, fields=kept)


class _Staged:
    """The dataset as a Spark temporary view, and what must be removed afterwards."""

    def __init__(self, spark: BaseBackend, location: SourceLocation, dataset: DatasetPlan):
        self.spark, self.location, self.dataset = spark, location, dataset
        self.view = f"accord_{uuid.uuid4().hex}"
        self.folder: Path | None = None

    def table(self) -> ir.Table:
        if self.location.kind == "files":
            path = folder_files(Path(self.location.url)).get(self.dataset.table)
            if path is None:
                where = source_name(self.location)
                raise ExtractionFailed(f"{where}: there is no file {self.dataset.table}.")
            if path.suffix.lower() == ".parquet":
                return self.spark.read_parquet(str(path), table_name=self.view)
            return self.spark.read_csv(str(path), table_name=self.view)
        return self.spark.read_parquet(str(self._stage()), table_name=self.view)

    def _stage(self) -> Path:
        """The plan's fields, written as Parquet by the engine that holds them."""
        root = os.environ.get("ACCORD_SPARK_STAGING") or None
        self.folder = Path(tempfile.mkdtemp(prefix="accord-stage-", dir=root))
        target = self.folder / "data.parquet"
        where = source_name(self.location)
        with open_source(self.location) as source:
            table = source_table(source, self.dataset, where)
            filtered(table, self.dataset, where)  # the same checks before anything is read
            needed = [f.name for f in self.dataset.fields if f.rule is not Rule.DROP]
            needed += [c.field for c in self.dataset.filters if c.field not in needed]
            expr = table.select(*needed)
            with pq.ParquetWriter(target, expr.schema().to_pyarrow()) as writer:
                for batch in record_batches(source, expr, BATCH_ROWS):
                    writer.write_batch(batch)
        return target

    def close(self) -> None:
        self.spark.raw_sql(f"DROP VIEW IF EXISTS {self.view}")
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def _spark_batches(spark: BaseBackend, expr: ir.Table, batch_rows: int) -> Iterator[pa.RecordBatch]:
    """Rows brought to the driver one partition at a time, not the whole result at once."""
    schema = expr.schema().to_pyarrow()
    frame = spark.raw_sql(spark.compile(expr))
    rows: list[dict[str, Any]] = []
    for row in frame.toLocalIterator(prefetchPartitions=False):
        rows.append(row.asDict())
        if len(rows) >= batch_rows:
            yield pa.RecordBatch.from_pylist(rows, schema=schema)
            rows = []
    if rows:
        yield pa.RecordBatch.from_pylist(rows, schema=schema)
