"""Opening the engine where a dataset lives, as an Ibis backend, and finding its table there.

Every failure to reach or read a source becomes ``ExtractionFailed`` naming the source with
its password hidden (``shown_url``, as harvesting does). SQLite and DuckDB files are opened
only if they exist (both engines would otherwise create an empty file) and DuckDB read-only,
so a fulfillment can never change a department's data. A folder of files is an in-memory
DuckDB with one view per CSV / Parquet file, named as the catalog names file datasets (the
file's name, e.g. ``visits.csv``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import ibis
import psycopg
from ibis.backends import BaseBackend
from ibis.common.exceptions import TableNotFound
from ibis.expr.types import Table
from sqlalchemy.engine import URL

from accord.catalog.harvest.sql_connect import CONNECT_TIMEOUT, parse_source_url, shown_url
from accord.errors import ValidationFailed
from accord.fulfillment.errors import ExtractionFailed
from accord.fulfillment.plan import DatasetPlan, SourceLocation

FILE_SUFFIXES = (".csv", ".parquet")

def _driver_errors() -> tuple[type[Exception], ...]:
    """What the drivers raise when a server or file cannot be reached or read; MariaDB's
    driver only where the "mariadb" extra is installed."""
    found: tuple[type[Exception], ...] = (psycopg.Error, duckdb.Error, sqlite3.Error, OSError)
    try:
        import MySQLdb  # type: ignore[import-untyped]
    except ImportError:
        return found
    return (*found, MySQLdb.Error)


DRIVER_ERRORS = _driver_errors()


def source_name(location: SourceLocation) -> str:
    """How a source is named in messages: its URL with the password hidden, or its folder."""
    if location.kind == "files":
        return location.url
    try:
        return shown_url(parse_source_url(location.url))
    except ValidationFailed:
        return "the source (not a database URL)"


def hide_secret(text: str, location: SourceLocation) -> str:
    """A driver's message on one line, with any trace of the source's password removed."""
    text = " ".join(text.split())
    if location.kind == "sql":
        try:
            password = parse_source_url(location.url).password
        except ValidationFailed:
            password = None
        if password:
            text = text.replace(str(password), "***")
    return text[:500]


@contextmanager
def open_source(location: SourceLocation) -> Iterator[BaseBackend]:
    """Yield an Ibis backend on ``location``; disconnect afterwards.

    Raises ExtractionFailed when the URL is malformed or of an unsupported kind, a file or
    folder is missing, or the server cannot be reached in CONNECT_TIMEOUT seconds or refuses
    the credentials.
    """
    backend = connect(location)
    try:
        yield backend
    finally:
        backend.disconnect()


def connect(location: SourceLocation) -> BaseBackend:
    """An Ibis backend on ``location`` that the caller must ``disconnect()``; see open_source."""
    if location.kind == "files":
        return _open_folder(Path(location.url))
    try:
        url = parse_source_url(location.url)
    except ValidationFailed:
        raise ExtractionFailed("The source's location is not a database URL.") from None
    try:
        return _open_url(url)
    except DRIVER_ERRORS as exc:
        reason = hide_secret(str(exc), location)
        raise ExtractionFailed(f"Could not connect to {shown_url(url)}: {reason}") from None


def _open_url(url: URL) -> BaseBackend:
    backend = url.get_backend_name()
    if backend in ("sqlite", "duckdb"):
        path = _existing_file(url)
        if backend == "sqlite":
            return ibis.sqlite.connect(path)
        return ibis.duckdb.connect(path, read_only=True)
    if backend == "postgresql":
        return ibis.postgres.connect(
            host=url.host or "localhost",
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            database=url.database,
            connect_timeout=CONNECT_TIMEOUT,
            **_query(url),
        )
    if backend in ("mysql", "mariadb"):
        options: dict[str, Any] = {"database": url.database} if url.database else {}
        try:
            import MySQLdb  # noqa: F401  # the driver Ibis's MySQL backend needs
        except ImportError:
            raise ExtractionFailed(
                f"{shown_url(url)}: reading MariaDB or MySQL needs the driver this installation "
                "lacks; install it with pip install 'accord[mariadb]' (it builds against the "
                "MySQL client headers: apt-get install default-libmysqlclient-dev pkg-config)."
            ) from None
        return ibis.mysql.connect(
            host=url.host or "localhost",
            port=url.port or 3306,
            user=url.username,
            password=url.password,
            connect_timeout=CONNECT_TIMEOUT,
            charset="utf8mb4",
            **options,
        )
    raise ExtractionFailed(f"{shown_url(url)}: extraction from {backend!r} is not supported.")


def _query(url: URL) -> dict[str, str]:
    """Connection options in the URL (sslmode=require, …) go to the driver as they are."""
    return {k: v if isinstance(v, str) else v[-1] for k, v in url.query.items()}


def _existing_file(url: URL) -> str:
    """SQLite and DuckDB create a missing file on connect; a fulfillment must not."""
    database = url.database or ""
    if not database or database == ":memory:" or not Path(database).is_file():
        raise ExtractionFailed(f"{shown_url(url)}: there is no database file at {database!r}.")
    return database


def folder_files(folder: Path) -> dict[str, Path]:
    """The folder's CSV and Parquet files by the dataset name the catalog gives them."""
    if not folder.is_dir():
        raise ExtractionFailed(f"{folder}: there is no such folder.")
    return {
        path.name: path
        for path in sorted(folder.iterdir())
        if path.suffix.lower() in FILE_SUFFIXES and path.is_file()
    }


def _open_folder(folder: Path) -> BaseBackend:
    files = folder_files(folder)
    backend = ibis.duckdb.connect()
    try:
        for name, path in files.items():  # views: nothing is read until the extraction runs
            if path.suffix.lower() == ".parquet":
                backend.read_parquet(str(path), table_name=name)
            else:
                backend.read_csv(str(path), table_name=name)
    except duckdb.Error as exc:
        backend.disconnect()
        reason = " ".join(str(exc).split())[:300]
        raise ExtractionFailed(f"{folder}: a file could not be read: {reason}") from None
    return backend


def source_table(backend: BaseBackend, dataset: DatasetPlan, where: str) -> Table:
    """The dataset's table in ``backend``; ExtractionFailed, naming ``where``, if it is absent."""
    qualified = f"{dataset.schema}.{dataset.table}" if dataset.schema else dataset.table
    try:
        return backend.table(dataset.table, database=dataset.schema or None)
    except TableNotFound:
        raise ExtractionFailed(f"{where}: there is no table {qualified}.") from None
    except DRIVER_ERRORS as exc:
        reason = " ".join(str(exc).split())[:300]
        message = f"{where}: the table {qualified} could not be read: {reason}"
        raise ExtractionFailed(message) from None
