"""Reading a few values per column, for the classifier. Values stay in memory; nothing is kept.

The first rows are read (``LIMIT``), which every source supports cheaply; a random sample
would cost a scan on large tables. A table that cannot be read yields a warning and no values,
so the classifier still works from names and definitions.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from accord.catalog.harvest.sql_connect import open_source

# (dataset name, schema, table, columns) -> values per (dataset name, column)
Target = tuple[str, str, str, Sequence[str]]
Samples = dict[tuple[str, str], list[object]]

MAX_SAMPLE = 1000
READ_CSV = "SELECT * FROM read_csv(?) LIMIT ?"
READ_PARQUET = "SELECT * FROM read_parquet(?) LIMIT ?"


def sample_database(url: str, targets: Sequence[Target], size: int) -> tuple[Samples, list[str]]:
    size = max(1, min(size, MAX_SAMPLE))
    samples: Samples = {}
    warnings: list[str] = []
    with open_source(url) as conn:
        quote = conn.dialect.identifier_preparer.quote
        for dataset, schema, table, columns in targets:
            if not columns:
                continue
            where = f"{quote(schema)}.{quote(table)}" if schema else quote(table)
            select = ", ".join(quote(c) for c in columns)
            try:
                rows = conn.execute(
                    text(f"SELECT {select} FROM {where} LIMIT :n"),  # noqa: S608 - quoted
                    {"n": size},
                ).all()
            except SQLAlchemyError as exc:
                conn.rollback()  # PostgreSQL refuses further statements in a failed transaction
                warnings.append(f"{dataset}: values could not be read ({type(exc).__name__}).")
                continue
            for index, column in enumerate(columns):
                samples[(dataset, column)] = [row[index] for row in rows]
    return samples, warnings


def sample_files(
    folder: Path, datasets: Sequence[tuple[str, Sequence[str]]], size: int
) -> tuple[Samples, list[str]]:
    """Datasets named as the file harvester names them: ``file.csv`` or ``book.xlsx:Sheet``."""
    size = max(1, min(size, MAX_SAMPLE))
    samples: Samples = {}
    warnings: list[str] = []
    connection = duckdb.connect()
    try:
        for name, columns in datasets:
            file_name, _, sheet = name.partition(":") if ".xlsx:" in name else (name, "", "")
            path = folder / file_name if folder.is_dir() else folder
            try:
                values = (
                    _sheet_values(path, sheet, columns, size)
                    if sheet
                    else _table_values(connection, path, columns, size)
                )
            except (duckdb.Error, OSError, KeyError, ValueError) as exc:
                warnings.append(f"{name}: values could not be read ({type(exc).__name__}).")
                continue
            for column, column_values in values.items():
                samples[(name, column)] = column_values
    finally:
        connection.close()
    return samples, warnings


def _table_values(
    connection: duckdb.DuckDBPyConnection, path: Path, columns: Sequence[str], size: int
) -> dict[str, list[object]]:
    query = READ_PARQUET if path.suffix.lower() == ".parquet" else READ_CSV
    relation = connection.execute(query, [str(path), size])
    names = [d[0] for d in relation.description or []]
    rows = relation.fetchall()
    return {c: [row[names.index(c)] for row in rows] for c in columns if c in names}


def _sheet_values(
    path: Path, sheet: str, columns: Sequence[str], size: int
) -> dict[str, list[object]]:
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = workbook[sheet].iter_rows(values_only=True, max_row=size + 1)
        header = [str(h) if h is not None else "" for h in next(rows, ())]
        body = list(rows)
    finally:
        workbook.close()
    return {
        c: [row[header.index(c)] for row in body if header.index(c) < len(row)]
        for c in columns
        if c in header
    }
