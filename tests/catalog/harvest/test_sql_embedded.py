"""Harvest from SQLite (the generic inspector path) and DuckDB files written by the test."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import pytest

from accord.catalog.harvest.errors import SourceUnavailable, WriteBackNotSupported
from accord.catalog.harvest.model import HarvestCancelled, HarvestedDataset, HarvestedField
from accord.catalog.harvest.sql import comment_statements, harvest_database
from accord.catalog.harvest.sql_writeback import writes_back
from accord.errors import ValidationFailed

SQLITE_SCHEMA = """
CREATE TABLE person (id INTEGER PRIMARY KEY, full_name VARCHAR(80) NOT NULL, born DATE);
CREATE TABLE visit (
    person_id INTEGER NOT NULL REFERENCES person (id),
    visit_no INTEGER NOT NULL,
    note,
    PRIMARY KEY (person_id, visit_no)
);
CREATE VIEW recent AS SELECT id, full_name FROM person;
INSERT INTO person VALUES (1, 'A', NULL), (2, 'B', NULL);
"""


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    path = tmp_path / "source.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript(SQLITE_SCHEMA)
    conn.close()
    return f"sqlite:///{path}"


def test_sqlite_harvest_through_the_generic_inspector(sqlite_url: str) -> None:
    harvest = harvest_database(sqlite_url)
    assert harvest.warnings == []
    assert harvest.datasets == [
        HarvestedDataset(
            name="main.person",
            kind="table",
            schema="main",
            row_count=2,  # exact count(*): the file is small
            fields=(
                HarvestedField("id", 1, "INTEGER", True, True),
                HarvestedField("full_name", 2, "VARCHAR(80)", False),
                HarvestedField("born", 3, "DATE"),
            ),
        ),
        HarvestedDataset(
            name="main.recent",
            kind="view",
            schema="main",
            fields=(
                HarvestedField("id", 1, "INTEGER"),
                HarvestedField("full_name", 2, "VARCHAR(80)"),
            ),
        ),
        HarvestedDataset(
            name="main.visit",
            kind="table",
            schema="main",
            row_count=0,
            fields=(
                HarvestedField(
                    "person_id", 1, "INTEGER", False, True, foreign_key="main.person.id"
                ),
                HarvestedField("visit_no", 2, "INTEGER", False, True),
                HarvestedField("note", 3, ""),  # declared without a type,
            ),
        ),
    ]


def test_sqlite_progress_and_cancel(sqlite_url: str) -> None:
    calls: list[tuple[int, int, str]] = []
    harvest_database(sqlite_url, progress=lambda d, t, n: calls.append((d, t, n)))
    assert calls == [(0, 3, "main.person"), (3, 3, "")]

    def cancel(done: int, total: int, name: str) -> None:
        raise HarvestCancelled

    with pytest.raises(HarvestCancelled):
        harvest_database(sqlite_url, progress=cancel)


def test_missing_sqlite_file_is_unavailable_and_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nope.sqlite"
    with pytest.raises(SourceUnavailable, match="no database file"):
        harvest_database(f"sqlite:///{path}")
    assert not path.exists()


def test_sqlite_write_back_is_not_supported(sqlite_url: str) -> None:
    with pytest.raises(WriteBackNotSupported) as caught:
        comment_statements(sqlite_url, [("main", "person", "id", "x")])
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("location", "offered"),
    [
        ("postgresql+psycopg://svc@10.1.2.3:5432/medi_cal", True),
        ("mariadb+mariadbconnector://root@127.0.0.1/test", True),
        ("mysql://root@127.0.0.1/test", True),
        ("sqlite:////data/walk2work.sqlite", False),
        ("duckdb:////data/trips.duckdb", False),
        ("not a url", False),
    ],
)
def test_pages_offer_write_back_only_where_it_can_run(location: str, offered: bool) -> None:
    assert writes_back(location) is offered


def test_uninstalled_dialect_is_a_validation_problem() -> None:
    with pytest.raises(ValidationFailed) as caught:
        harvest_database("nosuchdb://user:pw@host/db")
    assert caught.value.problems[0].field == "url"
    assert "pw" not in caught.value.problems[0].message


def test_duckdb_harvest_reads_comments_keys_and_stored_counts(tmp_path: Path) -> None:
    path = tmp_path / "source.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute(
        """
        CREATE SCHEMA program;
        CREATE TABLE program.person (id INTEGER PRIMARY KEY, full_name VARCHAR NOT NULL);
        CREATE TABLE program.visit (
            person_id INTEGER REFERENCES program.person (id), visit_no SMALLINT);
        CREATE VIEW program.recent AS SELECT id FROM program.person;
        COMMENT ON TABLE program.person IS 'People';
        COMMENT ON COLUMN program.person.full_name IS 'Legal name; "quoted"';
        INSERT INTO program.person VALUES (1, 'A'), (2, 'B'), (3, 'C');
        """
    )
    conn.close()
    harvest = harvest_database(f"duckdb:///{path}")
    assert harvest.datasets == [
        HarvestedDataset(
            name="program.person",
            kind="table",
            schema="program",
            comment="People",
            row_count=3,
            fields=(
                HarvestedField("id", 1, "INTEGER", False, True),
                HarvestedField("full_name", 2, "VARCHAR", False, comment='Legal name; "quoted"'),
            ),
        ),
        HarvestedDataset(
            name="program.recent",
            kind="view",
            schema="program",
            fields=(HarvestedField("id", 1, "INTEGER"),),
        ),
        HarvestedDataset(
            name="program.visit",
            kind="table",
            schema="program",
            row_count=0,
            fields=(
                HarvestedField("person_id", 1, "INTEGER", foreign_key="program.person.id"),
                HarvestedField("visit_no", 2, "SMALLINT"),
            ),
        ),
    ]


@pytest.mark.parametrize("dialect", ["sqlite", "duckdb"])
def test_a_file_that_is_not_a_database_is_unavailable(tmp_path: Path, dialect: str) -> None:
    path = tmp_path / "notes.db"
    path.write_text("just some notes\n" * 10)
    with pytest.raises(SourceUnavailable) as caught:
        harvest_database(f"{dialect}:///{path}")
    assert "not a" in caught.value.message and "database" in caught.value.message
