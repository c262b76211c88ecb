"""Harvest a database's technical baseline — and push definitions back — through SQLAlchemy.

``harvest_database`` reads schemas, tables, views, columns, types, nullability, keys, row-count
estimates and the table and column comments people already wrote in the database. It is pure:
it returns a ``Harvest`` and never touches Accord's own database, so a harvest that fails or is
cancelled leaves the catalog as it was.

Dataset names are ``schema.table`` everywhere (SQLite's schema is ``main``; a MariaDB schema is
the database), and a foreign key is written as the referenced ``schema.table.column`` so it can
be resolved within the same harvest.

Row counts, by what each source offers cheaply:
- PostgreSQL: ``pg_class.reltuples`` (kept by ANALYZE/autovacuum), or the statistics
  collector's live-tuple count for a table never analysed; none for views.
- MariaDB/MySQL: ``information_schema.TABLES.TABLE_ROWS`` (exact for MyISAM, InnoDB's estimate).
- DuckDB: ``duckdb_tables().estimated_size``, the row count DuckDB stores with the table.
- SQLite: exact ``count(*)`` only when the file is at most 64 MiB; otherwise none.
- Other dialects: none.

Write-back (``comment_statements`` / ``apply_comments``) lives in ``sql_writeback`` and is
re-exported here so callers find both directions in one module.
"""

from __future__ import annotations

from accord.catalog.harvest.model import Harvest, HarvestedDataset, HarvestedField
from accord.catalog.harvest.sql_catalogs import (
    PROGRESS_EVERY,
    Catalog,
    ColumnRow,
    TableKey,
    TableRow,
    read_catalog,
)
from accord.catalog.harvest.sql_connect import open_source
from accord.catalog.harvest.sql_writeback import (
    CommentTarget,
    apply_comments,
    comment_statements,
)
from accord.jobs.progress import Progress

__all__ = ["CommentTarget", "apply_comments", "comment_statements", "harvest_database"]


def harvest_database(
    url: str, *, schemas: list[str] | None = None, progress: Progress | None = None
) -> Harvest:
    """Read the structure and stored comments of the database at ``url``.

    ``schemas`` limits the harvest (default: every non-system schema; for MariaDB/MySQL the
    database named in the URL). ``progress(done, total, name)`` is called every 50 datasets and
    at the end; a ``HarvestCancelled`` it raises propagates.

    Raises SourceUnavailable (unreachable, refused, failed mid-read; password never shown) and
    ValidationFailed (malformed URL, no driver for the dialect).
    """
    with open_source(url) as conn:
        catalog = read_catalog(conn, schemas, progress)
        # Assembled while the connection is open: the column rows may stream from a cursor.
        return _assemble(catalog, progress)


def _assemble(catalog: Catalog, progress: Progress | None) -> Harvest:
    """Turn catalog rows into datasets, fields in their source order, numbered from 1."""
    report = None if catalog.progress_reported else progress
    names = {row[0]: f"{row[1]}.{row[2]}" for row in catalog.tables}
    total = len(names)
    rows_of: dict[TableKey, list[ColumnRow]] = {}
    for row in catalog.columns:
        rows = rows_of.get(row[0])
        if rows is None:
            rows = rows_of[row[0]] = []
            if report is not None and len(rows_of) % PROGRESS_EVERY == 0:
                report(min(len(rows_of), total), total, names.get(row[0], ""))
        rows.append(row)
    primary_keys, foreign_keys = catalog.primary_keys, catalog.foreign_keys
    datasets: list[HarvestedDataset] = []
    for key, schema, name, kind, comment, row_count in sorted(catalog.tables, key=_by_name):
        rows = sorted(rows_of.pop(key, ()), key=_by_position)
        fields = tuple(
            HarvestedField(
                name=column,
                position=position,
                data_type=data_type,
                nullable=nullable,
                primary_key=(key, column) in primary_keys,
                comment=column_comment,
                foreign_key=foreign_keys.get((key, column), ""),
            )
            for position, (_, _, column, data_type, nullable, column_comment) in enumerate(
                rows, start=1
            )
        )
        datasets.append(
            HarvestedDataset(
                name=f"{schema}.{name}",
                kind=kind,
                schema=schema,
                comment=comment,
                row_count=row_count,
                fields=fields,
            )
        )
    if report is not None:
        report(total, total, "")
    return Harvest(source_kind="database", datasets=datasets, warnings=catalog.warnings)


def _by_name(row: TableRow) -> tuple[str, str]:
    return (row[1], row[2])


def _by_position(row: ColumnRow) -> int:
    return row[1]
