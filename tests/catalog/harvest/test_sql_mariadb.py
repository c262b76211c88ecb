"""Harvest and write-back against a real MariaDB server."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from accord.catalog.harvest.errors import SourceUnavailable
from accord.catalog.harvest.model import HarvestedDataset, HarvestedField
from accord.catalog.harvest.sql import apply_comments, comment_statements, harvest_database
from accord.errors import ValidationFailed

from .conftest import RunSql

SCHEMA = """
CREATE TABLE person (
    id int AUTO_INCREMENT PRIMARY KEY COMMENT 'Person identifier',
    full_name varchar(80) NOT NULL DEFAULT 'n/a' COMMENT 'Legal name',
    status enum('active', 'closed') DEFAULT 'active',
    updated timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),
    latin varchar(10) CHARACTER SET latin1 COLLATE latin1_swedish_ci DEFAULT 'NULL',
    doubled int AS (id * 2) VIRTUAL,
    hidden int INVISIBLE
) COMMENT 'People enrolled in Walk 2 Work';
CREATE TABLE visit (
    person_id int NOT NULL,
    visit_no smallint NOT NULL,
    PRIMARY KEY (person_id, visit_no),
    CONSTRAINT visit_person FOREIGN KEY (person_id) REFERENCES person (id)
);
CREATE VIEW recent AS SELECT id, full_name FROM person;
INSERT INTO person (full_name) VALUES ('A'), ('B'), ('C');
ANALYZE TABLE person, visit
"""


@pytest.fixture(scope="module")
def source(mariadb_source: tuple[str, RunSql]) -> tuple[str, str]:
    url, run = mariadb_source
    run(SCHEMA)
    return url, url.rsplit("/", 1)[1]


def expected(db: str) -> list[HarvestedDataset]:
    return [
        HarvestedDataset(
            name=f"{db}.person",
            kind="table",
            schema=db,
            comment="People enrolled in Walk 2 Work",
            row_count=3,
            fields=(
                HarvestedField("id", 1, "int(11)", False, True, "Person identifier"),
                HarvestedField("full_name", 2, "varchar(80)", False, comment="Legal name"),
                HarvestedField("status", 3, "enum('active','closed')"),
                HarvestedField("updated", 4, "timestamp", False),
                HarvestedField("latin", 5, "varchar(10)"),
                HarvestedField("doubled", 6, "int(11)"),
                HarvestedField("hidden", 7, "int(11)"),
            ),
        ),
        HarvestedDataset(
            name=f"{db}.recent",
            kind="view",
            schema=db,
            # MariaDB reports a view column with the comment of the column it selects.
            fields=(
                HarvestedField("id", 1, "int(11)", False, comment="Person identifier"),
                HarvestedField("full_name", 2, "varchar(80)", False, comment="Legal name"),
            ),
        ),
        HarvestedDataset(
            name=f"{db}.visit",
            kind="table",
            schema=db,
            row_count=0,
            fields=(
                HarvestedField(
                    "person_id", 1, "int(11)", False, True, foreign_key=f"{db}.person.id"
                ),
                HarvestedField("visit_no", 2, "smallint(6)", False, True),
            ),
        ),
    ]


def test_harvest_reads_the_database_named_in_the_url(source: tuple[str, str]) -> None:
    url, db = source
    harvest = harvest_database(url)
    assert harvest.warnings == []
    assert harvest.datasets == expected(db)


def test_wrong_password_is_refused_without_showing_it() -> None:
    with pytest.raises(SourceUnavailable) as caught:
        harvest_database("mysql+pymysql://root:S3cretPw!@127.0.0.1:3306/mysql")
    assert "S3cretPw" not in caught.value.message
    assert "***" in caught.value.message


def test_closed_port_is_unavailable() -> None:
    with pytest.raises(SourceUnavailable, match="Could not connect"):
        harvest_database("mysql+pymysql://root:S3cretPw!@127.0.0.1:1/x")


TRICKY = 'Ann\'s "best" guess; DROP TABLE person; -- 100% sure \\ maybe'
DEFINITION_COLUMNS = (
    "COLUMN_NAME, COLUMN_TYPE, CHARACTER_SET_NAME, COLLATION_NAME, IS_NULLABLE, "
    "COLUMN_DEFAULT, EXTRA, GENERATION_EXPRESSION"
)


def _definitions(url: str, db: str) -> list[tuple[object, ...]]:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                f"SELECT {DEFINITION_COLUMNS} FROM information_schema.COLUMNS "
                "WHERE TABLE_SCHEMA = :db AND TABLE_NAME = 'person' ORDER BY ORDINAL_POSITION"
            ),
            {"db": db},
        ).all()
    engine.dispose()
    return [tuple(r) for r in rows]


def test_write_back_round_trips_and_keeps_column_definitions(source: tuple[str, str]) -> None:
    url, db = source
    before = _definitions(url, db)
    targets = [
        (db, "person", "full_name", TRICKY),
        (db, "person", "updated", "Last change"),
        (db, "person", "latin", "Old system text"),
        (db, "person", "doubled", "Twice the id"),
        (db, "person", "hidden", "Not shown by SELECT *"),
        (db, "person", "id", "Person identifier (stable)"),
    ]
    statements = comment_statements(url, targets)
    assert statements == [
        f"ALTER TABLE {db}.person "
        "MODIFY COLUMN full_name varchar(80) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci "
        "NOT NULL DEFAULT 'n/a' COMMENT 'Ann''s \"best\" guess; DROP TABLE person; "
        "-- 100% sure \\\\ maybe', "
        "MODIFY COLUMN updated timestamp NOT NULL DEFAULT current_timestamp() "
        "ON UPDATE current_timestamp() COMMENT 'Last change', "
        "MODIFY COLUMN latin varchar(10) CHARACTER SET latin1 COLLATE latin1_swedish_ci "
        "NULL DEFAULT 'NULL' COMMENT 'Old system text', "
        "MODIFY COLUMN doubled int(11) GENERATED ALWAYS AS (`id` * 2) VIRTUAL "
        "COMMENT 'Twice the id', "
        "MODIFY COLUMN hidden int(11) NULL DEFAULT NULL INVISIBLE "
        "COMMENT 'Not shown by SELECT *', "
        "MODIFY COLUMN id int(11) NOT NULL AUTO_INCREMENT COMMENT 'Person identifier (stable)'"
    ]
    apply_comments(url, targets)
    assert _definitions(url, db) == before
    person = harvest_database(url).datasets[0]
    comments = {f.name: f.comment for f in person.fields}
    assert comments == {
        "id": "Person identifier (stable)",
        "full_name": TRICKY,
        "status": "",
        "updated": "Last change",
        "latin": "Old system text",
        "doubled": "Twice the id",
        "hidden": "Not shown by SELECT *",
    }


def test_write_back_refuses_views_unknown_columns_and_long_text(source: tuple[str, str]) -> None:
    url, db = source
    with pytest.raises(ValidationFailed) as caught:
        comment_statements(
            url,
            [
                (db, "recent", "id", "x"),
                (db, "person", "ghost", "x"),
                (db, "person", "status", "y" * 1025),
            ],
        )
    messages = {p.field: p.message for p in caught.value.problems}
    assert set(messages) == {f"{db}.recent.id", f"{db}.person.ghost", f"{db}.person.status"}
    assert "view" in messages[f"{db}.recent.id"]
    assert "1024" in messages[f"{db}.person.status"]
