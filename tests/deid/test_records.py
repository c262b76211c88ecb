"""Record-level helpers over Ibis expressions (executed on DuckDB)."""

from __future__ import annotations

import datetime as dt

import ibis
import pytest

from accord.deid.records import (
    drop_columns,
    generalise_ages,
    generalise_dates,
    generalise_geography,
    pseudonym,
    pseudonymise,
)

KEY = b"0123456789abcdef-test-key"


@pytest.fixture
def people():
    return ibis.memtable(
        {
            "id": ["p1", "p2", "p3"],
            "name": ["Ann", "Bo", "Cy"],
            "born": [dt.date(1950, 5, 17), dt.date(1990, 12, 1), dt.date(2001, 2, 3)],
            "age": [74, 34, 93],
            "county": ["Alpine", "Alameda", "Nowhere"],
        }
    )


def run(expr) -> dict[str, list]:
    return ibis.duckdb.connect().to_pyarrow(expr).to_pydict()


def test_drop_and_generalise(people):
    t = drop_columns(people, ["name"])
    t = generalise_dates(t, "born", "year")
    t = generalise_ages(t, "age", [(0, 17), (18, 64), (65, 89), (90, None)])
    t = generalise_geography(t, "county", {"Alpine": "Sierra", "Alameda": "Bay Area"})
    df = run(t.order_by("id"))
    assert "name" not in df
    assert [d.month for d in df["born"]] == [1, 1, 1]
    assert df["age"] == ["65-89", "18-64", "90+"]
    assert df["county"] == ["Sierra", "Bay Area", None]


def test_pseudonyms_are_keyed_and_stable(people):
    df = run(pseudonymise(people, "id", KEY).order_by("name"))
    assert df["id"][0] == pseudonym("p1", KEY)
    assert pseudonym("p1", KEY) != pseudonym("p1", KEY + b"x")
    with pytest.raises(ValueError):
        pseudonymise(people, "id", b"short")


def test_drop_unknown_column_is_an_error(people):
    with pytest.raises(KeyError):
        drop_columns(people, ["ssn"])
