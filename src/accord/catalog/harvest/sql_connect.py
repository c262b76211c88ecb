"""Opening a source database safely: one place that turns connection trouble into errors.

Harvest and write-back both connect to a database the user named by URL. Every failure to
reach it, or to read it, must come back as a clear ``SourceUnavailable`` whose message names the
source with its password hidden; a bad URL is the user's input problem (``ValidationFailed``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.pool import NullPool

from accord.catalog.harvest.errors import SourceUnavailable
from accord.errors import Problem, ValidationFailed

# Seconds to wait for a server before calling it unreachable; a harvest must fail, not hang.
CONNECT_TIMEOUT = 10
FILE_BACKENDS = frozenset({"sqlite", "duckdb"})


def parse_source_url(url: str) -> URL:
    """Parse ``url`` or raise ValidationFailed naming the problem (never echoing the URL)."""
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        raise ValidationFailed(
            [Problem("url", "Not a database URL; expected e.g. postgresql+psycopg://host/db.")]
        ) from None


def shown_url(url: URL) -> str:
    """The URL as it may be displayed: the password replaced by ***."""
    return url.render_as_string(hide_password=True)


def failure_reason(exc: DBAPIError, url: URL) -> str:
    """The driver's own explanation, on one line, with any trace of the password removed.

    The driver message is what tells a user "connection refused" from "password authentication
    failed"; SQLAlchemy's wrapper text adds the SQL and a help link, which we leave out.
    """
    text = " ".join(str(exc.orig if exc.orig is not None else exc).split())
    if url.password:
        text = text.replace(str(url.password), "***")
    return text[:500]


def _connect_args(url: URL) -> dict[str, Any]:
    backend = url.get_backend_name()
    if backend == "postgresql" and url.get_driver_name() in ("psycopg", "psycopg2"):
        return {"connect_timeout": CONNECT_TIMEOUT}
    if backend in ("mysql", "mariadb") and url.get_driver_name() == "pymysql":
        return {"connect_timeout": CONNECT_TIMEOUT}
    if backend == "duckdb":
        # Read-only: a harvest must never change the file, and it may then share it with readers.
        return {"read_only": True}
    return {}


def _require_file(url: URL) -> None:
    """SQLite and DuckDB create a missing file on connect; a harvest must not."""
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return
    if not Path(database).is_file():
        raise SourceUnavailable(f"{shown_url(url)}: there is no database file at {database}.")


@contextmanager
def open_source(url: str) -> Iterator[Connection]:
    """Yield a connection to the source at ``url``; dispose of everything afterwards.

    Raises ValidationFailed for a URL that is malformed or names a dialect that is not
    installed, and SourceUnavailable when the server cannot be reached, refuses the
    credentials, or fails while being read.
    """
    parsed = parse_source_url(url)
    if parsed.get_backend_name() in FILE_BACKENDS:
        _require_file(parsed)
    try:
        engine = create_engine(parsed, poolclass=NullPool, connect_args=_connect_args(parsed))
    except (NoSuchModuleError, ImportError, ArgumentError):
        raise ValidationFailed(
            [Problem("url", f"No installed database driver for {parsed.drivername!r}.")]
        ) from None
    try:
        try:
            conn = engine.connect()
        except DBAPIError as exc:
            reason = failure_reason(exc, parsed)
            raise SourceUnavailable(f"Could not connect to {shown_url(parsed)}: {reason}") from None
        with conn:
            try:
                yield conn
            except DBAPIError as exc:
                reason = failure_reason(exc, parsed)
                raise SourceUnavailable(f"Reading {shown_url(parsed)} failed: {reason}") from None
    finally:
        engine.dispose()


_SYSTEM_SCHEMAS = frozenset(
    {"information_schema", "pg_catalog", "pg_toast", "mysql", "performance_schema", "sys"}
)
_TEMP_SCHEMA = re.compile(r"^pg_(temp|toast_temp)_\d+$")


def is_system_schema(name: str) -> bool:
    """Schemas that hold the engine's own bookkeeping, never a department's data."""
    return name.lower() in _SYSTEM_SCHEMAS or bool(_TEMP_SCHEMA.match(name)) or name == "temp"


def choose_schemas(
    available: list[str], requested: list[str] | None, default: list[str] | None = None
) -> tuple[list[str], list[str]]:
    """The schemas to read and the warnings for requested ones that do not exist.

    An explicit request is honoured even for a system schema (the user asked for it); without
    one, ``default`` (e.g. the database named in a MariaDB URL) or every non-system schema.
    """
    if requested is None:
        chosen = default if default is not None else available
        return [s for s in chosen if s in available and not is_system_schema(s)], []
    present = set(available)
    missing = [f"Schema {s!r} was not found in the source." for s in requested if s not in present]
    return [s for s in requested if s in present], missing
