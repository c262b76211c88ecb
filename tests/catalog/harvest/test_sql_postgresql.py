"""Harvest and write-back against a real PostgreSQL server."""

from __future__ import annotations

import pytest

from accord.catalog.harvest.errors import SourceUnavailable
from accord.catalog.harvest.model import HarvestCancelled, HarvestedDataset, HarvestedField
from accord.catalog.harvest.sql import harvest_database
from accord.errors import ValidationFailed
from tests.catalog.conftest import RunSql

SCHEMA = """
CREATE SCHEMA clinic;
CREATE TABLE clinic.person (
    id integer PRIMARY KEY,
    full_name varchar(80) NOT NULL,
    dropped_later text,
    born date,
    "Mixed Case" numeric(10, 2)
);
ALTER TABLE clinic.person DROP COLUMN dropped_later;
COMMENT ON TABLE clinic.person IS 'People enrolled in Walk 2 Work';
COMMENT ON COLUMN clinic.person.id IS 'Person identifier';
COMMENT ON COLUMN clinic.person.full_name IS 'Legal name, as on the application';
CREATE TABLE clinic.visit (
    person_id integer REFERENCES clinic.person (id),
    visit_no smallint,
    visited_at timestamp NOT NULL,
    PRIMARY KEY (person_id, visit_no)
);
CREATE VIEW clinic.recent AS SELECT id, full_name FROM clinic.person;
COMMENT ON VIEW clinic.recent IS 'People seen lately';
CREATE TABLE public.lookup (code text);
INSERT INTO clinic.person (id, full_name) VALUES (1, 'A'), (2, 'B'), (3, 'C');
INSERT INTO clinic.visit VALUES (1, 1, now()), (1, 2, now());
ANALYZE
"""

PERSON = HarvestedDataset(
    name="clinic.person",
    kind="table",
    schema="clinic",
    comment="People enrolled in Walk 2 Work",
    row_count=3,
    fields=(
        HarvestedField("id", 1, "integer", False, True, "Person identifier"),
        HarvestedField(
            "full_name",
            2,
            "character varying(80)",
            False,
            comment="Legal name, as on the application",
        ),
        HarvestedField("born", 3, "date"),
        HarvestedField("Mixed Case", 4, "numeric(10,2)"),
    ),
)
VISIT = HarvestedDataset(
    name="clinic.visit",
    kind="table",
    schema="clinic",
    row_count=2,
    fields=(
        HarvestedField("person_id", 1, "integer", False, True, foreign_key="clinic.person.id"),
        HarvestedField("visit_no", 2, "smallint", False, True),
        HarvestedField("visited_at", 3, "timestamp without time zone", False),
    ),
)
RECENT = HarvestedDataset(
    name="clinic.recent",
    kind="view",
    schema="clinic",
    comment="People seen lately",
    fields=(
        HarvestedField("id", 1, "integer"),
        HarvestedField("full_name", 2, "character varying(80)"),
    ),
)
LOOKUP = HarvestedDataset(
    name="public.lookup",
    kind="table",
    schema="public",
    row_count=0,
    fields=(HarvestedField("code", 1, "text"),),
)


@pytest.fixture(scope="module")
def source(pg_source: tuple[str, RunSql]) -> tuple[str, RunSql]:
    url, run = pg_source
    run(SCHEMA)
    return url, run


def test_harvest_reads_tables_views_keys_comments_and_estimates(source: tuple[str, RunSql]) -> None:
    harvest = harvest_database(source[0], schemas=["clinic", "public"])
    assert harvest.source_kind == "database"
    assert harvest.warnings == []
    assert harvest.datasets == [PERSON, RECENT, VISIT, LOOKUP]


def test_default_is_every_non_system_schema(source: tuple[str, RunSql]) -> None:
    names = [d.name for d in harvest_database(source[0]).datasets]
    assert names == ["clinic.person", "clinic.recent", "clinic.visit", "public.lookup"]


def test_unknown_schema_is_a_warning(source: tuple[str, RunSql]) -> None:
    harvest = harvest_database(source[0], schemas=["clinic", "nowhere"])
    assert [d.schema for d in harvest.datasets] == ["clinic"] * 3
    assert harvest.warnings == ["Schema 'nowhere' was not found in the source."]


def test_progress_is_reported_and_cancel_propagates(source: tuple[str, RunSql]) -> None:
    calls: list[tuple[int, int, str]] = []
    harvest_database(source[0], progress=lambda d, t, n: calls.append((d, t, n)))
    assert calls[-1] == (4, 4, "")

    def cancel(done: int, total: int, name: str) -> None:
        raise HarvestCancelled

    with pytest.raises(HarvestCancelled):
        harvest_database(source[0], progress=cancel)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://nobody_here:S3cretPw!@127.0.0.1:5432/test",
        "postgresql+psycopg://postgres:S3cretPw!@127.0.0.1:1/test",
    ],
    ids=["wrong-user", "closed-port"],
)
def test_unreachable_or_refused_source_hides_the_password(url: str) -> None:
    with pytest.raises(SourceUnavailable) as caught:
        harvest_database(url)
    message = caught.value.message
    assert "S3cretPw" not in message and "S3cretPw" not in str(caught.value)
    assert "***" in message and "127.0.0.1" in message
    assert caught.value.status == 502


def test_malformed_url_is_a_validation_problem() -> None:
    with pytest.raises(ValidationFailed) as caught:
        harvest_database("not a url")
    assert caught.value.problems[0].field == "url"
