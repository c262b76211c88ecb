"""The same small `person` table in every engine an extraction reads from.

Each source fixture yields (location, schema, table) for a module's worth of tests: a SQLite
file (dates kept as text, as SQLite does), a DuckDB file, a folder with the table as CSV and
as Parquet, a fresh schema in PostgreSQL's `test` database and a fresh MariaDB database.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from accord.fulfillment.plan import SourceLocation
from tests.catalog.conftest import MARIADB_SERVER, PG_SERVER, _run

Source = tuple[SourceLocation, str, str]  # location, schema, table

COLUMNS = (
    "member_id",
    "mrn",
    "name",
    "birth_date",
    "visit_date",
    "seen_at",
    "age",
    "zip",
    "county",
    "notes",
)
ROWS = [
    (42, "A12", "Ann", "1980-05-17", "2024-03-09", "2024-03-09 10:30:00", 47, "95814", "Yolo", "x"),
    (7, "B7", "Bob", "1931-01-02", "2024-04-30", "2024-04-30 23:59:59", 93, "02134", "Napa", "y"),
    (None, "A12", "Cy", None, "2023-12-31", "2023-12-31 08:00:00", 9, None, "Yolo", "z"),
    (1000, None, "Di", "2000-02-29", "2024-01-15", "2024-01-15 00:00:00", 90, "96001", "Yolo", "w"),
]
# Declared types per engine: dates as real DATE / TIMESTAMP except in SQLite, where the birth
# date is plain TEXT (the ISO-text path) and the others are text under a DATE declaration.
SQL_TYPES = {
    "sqlite": "INTEGER,TEXT,TEXT,TEXT,DATE,TIMESTAMP,INTEGER,TEXT,TEXT,TEXT",
    "duckdb": "INTEGER,VARCHAR,VARCHAR,DATE,DATE,TIMESTAMP,INTEGER,VARCHAR,VARCHAR,VARCHAR",
    "postgresql": "integer,text,text,date,date,timestamp,integer,text,text,text",
    "mariadb": "INT,VARCHAR(20),VARCHAR(20),DATE,DATE,DATETIME,INT,VARCHAR(10),VARCHAR(20),TEXT",
}


def create_sql(engine: str, table: str) -> str:
    columns = ", ".join(f"{c} {t}" for c, t in zip(COLUMNS, SQL_TYPES[engine].split(",")))
    return f"CREATE TABLE {table} ({columns})"


def insert_sql(table: str) -> str:
    def literal(v: object) -> str:
        return "NULL" if v is None else str(v) if isinstance(v, int) else f"'{v}'"

    values = ", ".join("(" + ", ".join(literal(v) for v in row) + ")" for row in ROWS)
    return f"INSERT INTO {table} VALUES {values}"


def arrow_table() -> pa.Table:
    """The rows with real date and timestamp types, as a Parquet file holds them."""
    columns = list(zip(*ROWS))
    dates = {"birth_date", "visit_date"}
    arrays = {}
    for name, values in zip(COLUMNS, columns):
        if name in dates:
            arrays[name] = pa.array([v and dt.date.fromisoformat(v) for v in values])
        elif name == "seen_at":
            arrays[name] = pa.array([dt.datetime.fromisoformat(v) for v in values])
        else:
            arrays[name] = pa.array(values)
    return pa.table(arrays)


@pytest.fixture(scope="module")
def sqlite_source(tmp_path_factory: pytest.TempPathFactory) -> Source:
    path = tmp_path_factory.mktemp("sqlite") / "source.db"
    with sqlite3.connect(path) as conn:
        conn.execute(create_sql("sqlite", "person"))
        conn.execute(insert_sql("person"))
    conn.close()
    return SourceLocation("sql", f"sqlite:///{path}"), "main", "person"


@pytest.fixture(scope="module")
def duckdb_source(tmp_path_factory: pytest.TempPathFactory) -> Source:
    path = tmp_path_factory.mktemp("duckdb") / "source.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute(create_sql("duckdb", "person"))
    conn.execute(insert_sql("person"))
    # Reading `trap` fails: an extraction that reads a column outside its plan cannot pass.
    conn.execute("CREATE VIEW guarded AS SELECT *, error('trap was read') AS trap FROM person")
    conn.close()
    return SourceLocation("sql", f"duckdb:///{path}"), "main", "person"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("files")
    table = arrow_table()
    pq.write_table(table, path / "person.parquet")
    conn = duckdb.connect()
    conn.register("person", table)
    conn.execute(f"COPY person TO '{path / 'person.csv'}' (HEADER)")
    conn.close()
    return path


@pytest.fixture(scope="module")
def csv_source(folder: Path) -> Source:
    return SourceLocation("files", str(folder)), "", "person.csv"


@pytest.fixture(scope="module")
def parquet_source(folder: Path) -> Source:
    return SourceLocation("files", str(folder)), "", "person.parquet"


@pytest.fixture(scope="module")
def postgresql_source() -> Iterator[Source]:
    """A uniquely named schema in the `test` database, dropped at the end."""
    schema = f"accord_x_{uuid.uuid4().hex[:10]}"
    run = _run(PG_SERVER)
    run(f'CREATE SCHEMA "{schema}";\n{create_sql("postgresql", f"{schema}.person")}')
    run(insert_sql(f"{schema}.person"))
    try:
        yield SourceLocation("sql", PG_SERVER), schema, "person"
    finally:
        run(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(scope="module")
def mariadb_source() -> Iterator[Source]:
    """A uniquely named database (a MariaDB schema), dropped at the end."""
    server = make_url(MARIADB_SERVER)
    name = f"accord_x_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    url = server.set(database=name).render_as_string(hide_password=False)
    run = _run(url)
    run(create_sql("mariadb", "person"))
    run(insert_sql("person"))
    try:
        yield SourceLocation("sql", url), name, "person"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        admin.dispose()


ENGINES = ["sqlite", "duckdb", "csv", "parquet", "postgresql", "mariadb"]


@pytest.fixture(params=ENGINES)
def source(request: pytest.FixtureRequest) -> Source:
    """Each engine in turn: the conformance tests run once per engine."""
    value: Source = request.getfixturevalue(f"{request.param}_source")
    return value
