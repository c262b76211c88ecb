"""Harvest extracts — CSV, Parquet and Excel files — into datasets with inferred field types.

CSV and Parquet are read by DuckDB (its CSV sniffer infers types from a sample; Parquet states
them, and its REQUIRED columns are the only file fields harvested as not nullable). A CSV that
is not UTF-8 is read again as Latin-1, with a warning, since that is what older Windows exports
are. Excel
workbooks are read with openpyxl in read-only mode: each worksheet is a dataset named
``book.xlsx:Sheet``, its first row gives the field names, and types are inferred from the first
SAMPLE_ROWS rows. Excel types use DuckDB's names (BIGINT, DOUBLE, VARCHAR, …) so an extract
shows the same types whether it arrived as CSV, Parquet or Excel. Row counts are exact.

Bad input policy: every bad file (too big, unknown extension, unreadable) is a Problem. If no
file yields a dataset, ``ValidationFailed`` lists them all; if some files are good, the
harvest goes ahead and each problem becomes a line in ``Harvest.warnings``, so one corrupt
file in a folder of fifty does not block the other forty-nine.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import duckdb
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from accord.catalog.harvest.model import Harvest, HarvestedDataset, HarvestedField
from accord.errors import Problem, ValidationFailed
from accord.jobs.progress import Progress

SUFFIXES = (".csv", ".parquet", ".xlsx")
SAMPLE_ROWS = 1000  # Excel rows looked at to infer a column's type


def harvest_files(
    paths: list[Path], *, max_bytes: int = 500_000_000, progress: Progress | None = None
) -> Harvest:
    """Describe each file (each worksheet of a workbook) as a dataset of kind "extract".

    ``progress(done, total, name)`` is called before each file and at the end; a
    ``HarvestCancelled`` it raises propagates. Raises ValidationFailed when no file could be
    harvested (see the module notes for the partial case).
    """
    if not paths:
        raise ValidationFailed([Problem("files", "No files were given.")])
    problems: list[Problem] = []
    datasets: list[HarvestedDataset] = []
    seen: set[str] = set()
    connection = duckdb.connect()
    try:
        for done, path in enumerate(paths):
            if progress is not None:
                progress(done, len(paths), path.name)
            problem = _check(path, max_bytes, seen)
            if problem is not None:
                problems.append(problem)
                continue
            seen.add(path.name)
            try:
                datasets.extend(_read(connection, path, problems))
            except duckdb.Error as exc:
                reason = f"Not a readable {_kind(path)}: {_short(exc, path)}"
                problems.append(Problem(path.name, reason))
            except _WORKBOOK_ERRORS:  # only the workbook reader raises these
                problems.append(Problem(path.name, f"Not a readable {_kind(path)}."))
    finally:
        connection.close()
    if progress is not None:
        progress(len(paths), len(paths), "")
    if not datasets:
        raise ValidationFailed(problems or [Problem("files", "The files hold no data.")])
    return Harvest(
        source_kind="files",
        datasets=datasets,
        warnings=[f"{p.field}: {p.message}" for p in problems],
    )


# What openpyxl raises for a file that is not a workbook, or a workbook with missing parts.
_WORKBOOK_ERRORS = (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError)


def _kind(path: Path) -> str:
    kinds = {".csv": "CSV file", ".parquet": "Parquet file", ".xlsx": "Excel (.xlsx) workbook"}
    return kinds.get(path.suffix.lower(), "file")


def _short(exc: Exception, path: Path) -> str:
    """DuckDB's first paragraph says what is wrong; the rest is advice aimed at SQL users.

    The server-side path is replaced by the file name the user knows.
    """
    paragraph = str(exc).strip().split("\n\n", 1)[0]
    return " ".join(paragraph.replace(str(path), path.name).split())[:300]


def _check(path: Path, max_bytes: int, seen: set[str]) -> Problem | None:
    if path.suffix.lower() not in SUFFIXES:
        allowed = ", ".join(SUFFIXES)
        return Problem(path.name, f"Unsupported file type; expected one of {allowed}.")
    if not path.is_file():
        return Problem(path.name, "No such file.")
    size = path.stat().st_size
    if size > max_bytes:
        return Problem(path.name, f"The file has {size:,} bytes; the limit is {max_bytes:,}.")
    if size == 0:
        return Problem(path.name, "The file is empty.")
    if path.name in seen:
        return Problem(path.name, "Another file of the same name was already harvested.")
    return None


def _read(
    connection: duckdb.DuckDBPyConnection, path: Path, problems: list[Problem]
) -> list[HarvestedDataset]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            return [_read_table(connection, path, "read_csv", {})]
        except duckdb.InvalidInputException as exc:
            if "utf-8" not in str(exc).lower():
                raise
            # Not UTF-8: exports from older Windows systems are usually Latin-1 / Windows-1252.
            # If that fails too (binary data), the UTF-8 complaint is the one worth showing.
            try:
                dataset = _read_table(connection, path, "read_csv_latin1", {})
            except duckdb.Error:
                raise exc from None
        problems.append(Problem(path.name, "Read as Latin-1 text: the file is not UTF-8."))
        return [dataset]
    if suffix == ".parquet":
        return [_read_table(connection, path, "read_parquet", _parquet_required(connection, path))]
    return list(_read_workbook(path, problems))


_QUERIES = {  # the path is always a bound parameter
    "read_csv": ("DESCRIBE SELECT * FROM read_csv(?)", "SELECT count(*) FROM read_csv(?)"),
    "read_csv_latin1": (
        "DESCRIBE SELECT * FROM read_csv(?, encoding = 'latin-1')",
        "SELECT count(*) FROM read_csv(?, encoding = 'latin-1')",
    ),
    "read_parquet": (
        "DESCRIBE SELECT * FROM read_parquet(?)",
        "SELECT count(*) FROM read_parquet(?)",
    ),
}


def _read_table(
    connection: duckdb.DuckDBPyConnection, path: Path, reader: str, required: dict[str, bool]
) -> HarvestedDataset:
    """A CSV or Parquet file through DuckDB: DESCRIBE gives names and types, count(*) rows."""
    describe, count = _QUERIES[reader]
    described = connection.execute(describe, [str(path)]).fetchall()
    counted = connection.execute(count, [str(path)]).fetchone()
    fields = tuple(
        HarvestedField(
            name=str(name),
            position=position,
            data_type=str(data_type),
            nullable=not required.get(str(name), False),
        )
        for position, (name, data_type, *_) in enumerate(described, start=1)
    )
    return HarvestedDataset(
        name=path.name,
        kind="extract",
        row_count=int(counted[0]) if counted else None,
        fields=fields,
    )


def _parquet_required(connection: duckdb.DuckDBPyConnection, path: Path) -> dict[str, bool]:
    """Top-level Parquet columns and whether the file declares them REQUIRED (never null).

    parquet_schema() lists the schema tree depth-first, root first; nested children are
    skipped so a nested field cannot be mistaken for a top-level one of the same name.
    """
    rows = connection.execute(
        "SELECT name, repetition_type, coalesce(num_children, 0) FROM parquet_schema(?)",
        [str(path)],
    ).fetchall()
    required: dict[str, bool] = {}
    i = 1
    while i < len(rows):
        name, repetition, _ = rows[i]
        required[str(name)] = repetition == "REQUIRED"
        i += _subtree_size(rows, i)
    return required


def _subtree_size(rows: list[Any], start: int) -> int:
    size, pending = 0, 1
    while pending:
        pending += int(rows[start + size][2]) - 1
        size += 1
    return size


def _read_workbook(path: Path, problems: list[Problem]) -> Iterator[HarvestedDataset]:
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            name = f"{path.name}:{sheet.title}"
            rows = sheet.iter_rows(values_only=True)
            header = next(rows, None)
            if header is None or all(cell is None for cell in header):
                problems.append(Problem(name, "The sheet has no header row; it was skipped."))
                continue
            names = _field_names(header)
            sample: list[tuple[Any, ...]] = []
            count = 0
            for row in rows:
                if any(cell is not None for cell in row):
                    count += 1
                    if len(sample) < SAMPLE_ROWS:
                        sample.append(row)
            fields = tuple(
                HarvestedField(
                    name=field_name,
                    position=i + 1,
                    data_type=_infer_type(row[i] if i < len(row) else None for row in sample),
                )
                for i, field_name in enumerate(names)
            )
            yield HarvestedDataset(
                name=name, kind="extract", schema=path.name, row_count=count, fields=fields
            )
    finally:
        workbook.close()


def _field_names(header: tuple[Any, ...]) -> list[str]:
    """Header cells as unique field names; a blank header cell becomes column<N>."""
    names: list[str] = []
    for i, cell in enumerate(header):
        base = str(cell).strip() if cell is not None and str(cell).strip() else f"column{i}"
        name, n = base, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    while names and header[len(names) - 1] is None and names[-1].startswith("column"):
        names.pop()  # trailing blank header cells are formatting, not fields
    return names


def _infer_type(values: Iterable[Any]) -> str:
    kinds = {_value_type(v) for v in values if v is not None and v != ""}
    if not kinds:
        return "VARCHAR"
    if len(kinds) == 1:
        return kinds.pop()
    if kinds == {"BIGINT", "DOUBLE"}:
        return "DOUBLE"
    if kinds == {"DATE", "TIMESTAMP"}:
        return "TIMESTAMP"
    return "VARCHAR"


def _value_type(value: Any) -> str:
    if isinstance(value, bool):  # before int: bool is an int subclass
        return "BOOLEAN"
    if isinstance(value, int):
        return "BIGINT"
    if isinstance(value, float):
        return "DOUBLE"
    if isinstance(value, dt.datetime):  # before date: datetime is a date subclass
        return "DATE" if value.time() == dt.time() else "TIMESTAMP"
    if isinstance(value, dt.date):
        return "DATE"
    if isinstance(value, dt.time):
        return "TIME"
    if isinstance(value, dt.timedelta):
        return "INTERVAL"
    return "VARCHAR"
