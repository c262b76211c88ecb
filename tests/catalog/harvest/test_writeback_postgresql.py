"""Write-back of definitions as PostgreSQL column comments, in a database of its own."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from accord.catalog.harvest.errors import SourceUnavailable
from accord.catalog.harvest.sql import apply_comments, comment_statements, harvest_database
from accord.errors import ValidationFailed
from tests.catalog.conftest import RunSql

from .test_sql_postgresql import SCHEMA


@pytest.fixture(scope="module")
def source(pg_source: tuple[str, RunSql]) -> tuple[str, RunSql]:
    url, run = pg_source
    run(SCHEMA)
    return url, run


TRICKY = 'Ann\'s "best" guess; DROP TABLE clinic.person; -- 100% sure \\ maybe'


def test_write_back_previews_exact_statements_and_round_trips(source: tuple[str, RunSql]) -> None:
    url = source[0]
    targets = [
        ("clinic", "person", "born", TRICKY),
        ("clinic", "person", "Mixed Case", "Score"),
        ("clinic", "recent", "full_name", "Shown name"),
    ]
    assert comment_statements(url, targets) == [
        "COMMENT ON COLUMN clinic.person.born IS "
        "'Ann''s \"best\" guess; DROP TABLE clinic.person; -- 100% sure \\ maybe'",
        "COMMENT ON COLUMN clinic.person.\"Mixed Case\" IS 'Score'",
        "COMMENT ON COLUMN clinic.recent.full_name IS 'Shown name'",
    ]
    apply_comments(url, targets)
    datasets = {d.name: d for d in harvest_database(url, schemas=["clinic"]).datasets}
    person = {f.name: f.comment for f in datasets["clinic.person"].fields}
    assert person["born"] == TRICKY
    assert person["Mixed Case"] == "Score"
    assert person["id"] == "Person identifier"
    assert datasets["clinic.recent"].fields[1].comment == "Shown name"


def test_write_back_checks_every_target_before_writing(source: tuple[str, RunSql]) -> None:
    url = source[0]
    targets = [
        ("clinic", "person", "id", "Should not be written"),
        ("clinic", "person", "nope", "x"),
        ("clinic", "ghost", "id", "x"),
        ("clinic", "person", "full_name", "nul\x00byte"),
    ]
    with pytest.raises(ValidationFailed) as caught:
        apply_comments(url, targets)
    assert sorted(p.field for p in caught.value.problems) == [
        "clinic.ghost.id",
        "clinic.person.full_name",
        "clinic.person.nope",
    ]
    person = harvest_database(url, schemas=["clinic"]).datasets[0]
    assert person.name == "clinic.person" and person.fields[0].comment == "Person identifier"


def test_write_back_error_hides_the_password() -> None:
    url = make_url("postgresql+psycopg://nobody_here:S3cretPw!@127.0.0.1:5432/test")
    with pytest.raises(SourceUnavailable) as caught:
        comment_statements(url.render_as_string(hide_password=False), [("a", "b", "c", "d")])
    assert "S3cretPw" not in caught.value.message
