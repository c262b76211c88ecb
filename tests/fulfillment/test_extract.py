"""One suite, every engine: the rules, filters, pseudonyms and refusals of an extraction."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from accord.fulfillment import engine_copy
from accord.fulfillment.errors import ExtractionFailed
from accord.fulfillment.extract import aggregate, extract
from accord.fulfillment.package import write_package
from accord.fulfillment.plan import DatasetPlan, FieldPlan, Plan, RowFilter, Rule, SourceLocation
from accord.fulfillment.readme import About
from accord.fulfillment.verify import verify_package
from tests.fulfillment.conftest import dictionary
from tests.fulfillment.engines import Source

KEY = b"agreement-17-key"
OTHER_KEY = b"agreement-18-key"

FIELDS = (
    FieldPlan("member_id", "INTEGER", Rule.PSEUDONYMISE),
    FieldPlan("mrn", "TEXT", Rule.PSEUDONYMISE),
    FieldPlan("name", "TEXT", Rule.DROP),
    FieldPlan("birth_date", "DATE", Rule.YEAR),
    FieldPlan("visit_date", "DATE", Rule.MONTH),
    FieldPlan("seen_at", "TIMESTAMP", Rule.MONTH),
    FieldPlan("age", "INTEGER", Rule.AGE_BAND),
    FieldPlan("zip", "TEXT", Rule.ZIP3),
    FieldPlan("county", "TEXT", Rule.KEEP),
)
DELIVERED = ["member_id", "mrn", "birth_date", "visit_date", "seen_at", "age", "zip", "county"]


def hashed(value: str, key: bytes = KEY) -> str:
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:32]


EXPECTED = [
    (hashed("42"), hashed("A12"), 1980, "2024-03", "2024-03", "40-49", "958", "Yolo"),
    (hashed("7"), hashed("B7"), 1931, "2024-04", "2024-04", "90+", "021", "Napa"),
    (None, hashed("A12"), None, "2023-12", "2023-12", "0-9", None, "Yolo"),
    (hashed("1000"), None, 2000, "2024-01", "2024-01", "90+", "960", "Yolo"),
]


def plan(source: Source, fields: tuple[FieldPlan, ...] = FIELDS, **kw: Any) -> DatasetPlan:
    _, schema, table = source
    return DatasetPlan(1, "main.person", table, schema, fields, **kw)


def rows(location: SourceLocation, dataset: DatasetPlan, key: bytes = KEY) -> list[tuple[Any, ...]]:
    with extract(location, dataset, key, batch_rows=3) as extraction:
        assert extraction.schema.names == [f.name for f in dataset.delivered]
        batches = list(extraction)
    assert all(b.schema == extraction.schema for b in batches)
    table = pa.Table.from_batches(batches, schema=extraction.schema)
    return sorted((tuple(r.values()) for r in table.to_pylist()), key=lambda r: r[-1] + str(r[3]))


def by_county_and_month(expected: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(expected, key=lambda r: r[-1] + str(r[3]))


def test_rules_give_the_documented_values(source: Source) -> None:
    assert rows(source[0], plan(source)) == by_county_and_month(EXPECTED)


def test_rule_outputs_have_the_documented_types(source: Source) -> None:
    with extract(source[0], plan(source), KEY) as extraction:
        types = {f.name: f.type for f in extraction.schema}
    assert pa.types.is_integer(types["birth_date"])
    assert all(types[n] == pa.string() for n in DELIVERED if n != "birth_date")


def test_filters_run_in_the_engine_even_on_a_dropped_field(source: Source) -> None:
    filters = (
        RowFilter("visit_date", ">=", "2024-01-01"),
        RowFilter("county", "in", ("Yolo", "Sacramento")),
        RowFilter("name", "!=", "Di"),
    )
    got = rows(source[0], plan(source, filters=filters))
    assert got == [EXPECTED[0]]


def test_another_key_gives_other_pseudonyms(source: Source) -> None:
    got = rows(source[0], plan(source), OTHER_KEY)
    ann = next(r for r in got if r[5] == "40-49")
    assert ann[0] == hashed("42", OTHER_KEY) != hashed("42")
    assert ann[1] == hashed("A12", OTHER_KEY)


def test_the_row_count_is_the_filtered_count(source: Source) -> None:
    dataset = plan(source, filters=(RowFilter("county", "=", "Yolo"),))
    with extract(source[0], dataset, KEY) as extraction:
        assert extraction.count() == 3


def test_a_field_the_source_lacks_is_named(source: Source) -> None:
    fields = (*FIELDS, FieldPlan("nickname", "TEXT", Rule.KEEP))
    with pytest.raises(ExtractionFailed, match="nickname"):
        extract(source[0], plan(source, fields), KEY)


def test_a_filter_outside_the_plan_is_refused(source: Source) -> None:
    dataset = plan(source, filters=(RowFilter("notes", "=", "x"),))
    with pytest.raises(ExtractionFailed, match="notes"):
        extract(source[0], dataset, KEY)


def test_aggregate_counts_by_generalised_dimensions_in_the_engine(source: Source) -> None:
    table = aggregate(source[0], plan(source), [("county", Rule.KEEP), ("visit_date", Rule.YEAR)])
    assert table.column_names == ["county", "visit_date", "n"]
    assert sorted(tuple(r.values()) for r in table.to_pylist()) == [
        ("Napa", 2024, 1),
        ("Yolo", 2023, 1),
        ("Yolo", 2024, 2),
    ]


def test_aggregate_refuses_a_pseudonym_as_a_dimension(source: Source) -> None:
    with pytest.raises(ExtractionFailed, match="mrn"):
        aggregate(source[0], plan(source), [("mrn", Rule.PSEUDONYMISE)])


def test_columns_outside_the_plan_are_never_read(duckdb_source: Source) -> None:
    """The view's `trap` column raises when read: only a query that leaves it out succeeds."""
    location, schema, _ = duckdb_source
    assert len(rows(location, DatasetPlan(1, "main.guarded", "guarded", schema, FIELDS))) == 4
    trap = DatasetPlan(1, "main.guarded", "guarded", schema, (FieldPlan("trap", "T", Rule.KEEP),))
    with pytest.raises(ExtractionFailed, match="trap was read"):
        list(extract(location, trap, KEY))


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "mysql+pymysql", "mariadb"])
def test_an_unreachable_server_fails_without_showing_the_password(scheme: str) -> None:
    location = SourceLocation("sql", f"{scheme}://reader:Pa55-w0rd@127.0.0.1:1/hr")
    with pytest.raises(ExtractionFailed) as failure:
        extract(location, DatasetPlan(1, "public.p", "p", "public", FIELDS), KEY)
    assert "Pa55-w0rd" not in failure.value.message
    assert "reader:***@127.0.0.1:1/hr" in failure.value.message


def test_a_missing_database_file_is_not_created(tmp_path: Path) -> None:
    for scheme in ("sqlite", "duckdb"):
        path = tmp_path / f"absent.{scheme}"
        location = SourceLocation("sql", f"{scheme}:///{path}")
        with pytest.raises(ExtractionFailed, match="no database file"):
            extract(location, DatasetPlan(1, "main.p", "p", "main", FIELDS), KEY)
        assert not path.exists()


def test_a_missing_table_is_named(sqlite_source: Source) -> None:
    dataset = DatasetPlan(1, "main.people", "people", "main", FIELDS)
    with pytest.raises(ExtractionFailed, match=r"no table main\.people"):
        extract(sqlite_source[0], dataset, KEY)


def test_without_the_mariadb_extra_other_sources_work_and_mariadb_says_what_to_install(
    tmp_path: Path,
) -> None:
    """The default install has no MySQL driver (it needs C headers to build)."""
    import subprocess
    import sys

    database = tmp_path / "small.sqlite"
    code = f"""
import sqlite3, sys
sys.modules["MySQLdb"] = None  # as if the "mariadb" extra were not installed
from accord.fulfillment import engine_copy
from accord.fulfillment.errors import ExtractionFailed
from accord.fulfillment.extract import extract
from accord.fulfillment.plan import DatasetPlan, FieldPlan, Rule, SourceLocation
from accord.fulfillment.sources import connect
with sqlite3.connect({str(database)!r}) as conn:
    conn.execute("CREATE TABLE t (a INTEGER)")
    conn.execute("INSERT INTO t VALUES (42)")
plan = DatasetPlan(1, "main.t", "t", "main", (FieldPlan("a", "INTEGER", Rule.KEEP),))
with extract(SourceLocation("sql", "sqlite:///{database}"), plan, b"k") as found:
    print([b.to_pydict() for b in found])
try:
    connect(SourceLocation("sql", "mysql+pymysql://root:secret@127.0.0.1:3306/test"))
except ExtractionFailed as exc:
    print(exc.message)
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert "[{'a': [42]}]" in done.stdout
    assert "accord[mariadb]" in done.stdout and "secret" not in done.stdout


@pytest.mark.parametrize("engine", ["duckdb", "csv", "parquet"])
def test_duckdb_writes_the_same_rows_itself(
    engine: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    source: Source = request.getfixturevalue(f"{engine}_source")
    location = source[0]
    target = tmp_path / "copied.parquet"
    with extract(location, plan(source), KEY) as extraction:
        assert extraction.copy_parquet is not None
        assert extraction.copy_parquet(target, lambda _share: None)
    table = pq.read_table(target)
    assert table.column_names == DELIVERED
    got = sorted((tuple(r.values()) for r in table.to_pylist()), key=lambda r: r[-1] + str(r[3]))
    assert got == by_county_and_month(EXPECTED)  # the pseudonyms are the streaming path's


def test_too_many_distinct_ids_leave_it_to_the_stream(
    duckdb_source: Source, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_copy, "MAX_DISTINCT", 2)
    target = tmp_path / "copied.parquet"
    with extract(duckdb_source[0], plan(duckdb_source), KEY) as extraction:
        assert extraction.copy_parquet is not None
        assert not extraction.copy_parquet(target, lambda _share: None)
    assert not target.exists()
    assert rows(duckdb_source[0], plan(duckdb_source)) == by_county_and_month(EXPECTED)


def test_other_engines_stream(sqlite_source: Source) -> None:
    with extract(sqlite_source[0], plan(sqlite_source), KEY) as extraction:
        assert extraction.copy_parquet is None


def test_a_cancel_interrupts_duckdb(tmp_path: Path) -> None:
    con = duckdb.connect()
    calls: list[float] = []

    def cancel(share: float) -> None:
        calls.append(share)
        raise KeyboardInterrupt

    query = "SELECT range AS id, md5(range::VARCHAR) AS h FROM range(200000000)"
    with pytest.raises(KeyboardInterrupt):
        engine_copy.copy_parquet(con, query, ["id", "h"], [], KEY, tmp_path / "x.parquet", cancel)
    assert len(calls) == 1
    assert con.sql("SELECT 42").fetchall() == [(42,)]  # the connection is usable again


def test_a_package_written_by_duckdb_verifies_and_holds_what_the_stream_gives(
    duckdb_source: Source, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dataset = plan(duckdb_source)
    whole = Plan(
        agreement_id=1, version=1, release="record_level", format="parquet", datasets=(dataset,)
    )
    about = About(title="t", provider="p", recipient="r", permitted_use="u", disposal="d")
    packages = {}
    for way, limit in (("engine", engine_copy.MAX_DISTINCT), ("stream", 0)):
        monkeypatch.setattr(engine_copy, "MAX_DISTINCT", limit)
        with extract(duckdb_source[0], dataset, KEY) as extraction:
            result = write_package(
                tmp_path,
                way,
                whole,
                [(dataset, extraction)],
                dictionaries={dataset.name: dictionary(dataset)},
                glossary=(),
                about=about,
            )
        assert verify_package(result.zip_path).problems == ()
        data = pq.read_table(tmp_path / way / "data" / "main.person.parquet")
        packages[way] = sorted(map(str, data.to_pylist()))
    assert packages["engine"] == packages["stream"]


def test_a_value_without_a_pseudonym_stops_the_copy(tmp_path: Path) -> None:
    """As if the files changed between reading the ids and copying the rows."""

    class Changed:
        def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
            self.con = con

        def __getattr__(self, name: str) -> Any:
            return getattr(self.con, name)

        def register(self, name: str, table: pa.Table) -> Any:
            return self.con.register(name, table.slice(1))  # one id has no pseudonym

    con = Changed(duckdb.connect())
    query = "SELECT range AS id, range % 3 AS k FROM range(10)"
    with pytest.raises(duckdb.Error, match="the source changed while it was read"):
        engine_copy.copy_parquet(  # type: ignore[arg-type]
            con, query, ["id", "k"], ["id"], KEY, tmp_path / "x.parquet", lambda _: None
        )
