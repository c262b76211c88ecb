"""Harvest and write-back against a real MariaDB server."""

from __future__ import annotations

import pytest

from accord.catalog.harvest.errors import SourceUnavailable
from accord.catalog.harvest.model import HarvestedDataset, HarvestedField
from accord.catalog.harvest.sql import harvest_database
from tests.catalog.conftest import RunSql

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
