"""Write-back of definitions as MariaDB column comments, in a database of its own."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from accord.catalog.harvest.sql import apply_comments, comment_statements, harvest_database
from accord.errors import ValidationFailed
from tests.catalog.conftest import RunSql

from .test_sql_mariadb import SCHEMA


@pytest.fixture(scope="module")
def source(mariadb_source: tuple[str, RunSql]) -> tuple[str, str]:
    url, run = mariadb_source
    run(SCHEMA)
    return url, url.rsplit("/", 1)[1]


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
