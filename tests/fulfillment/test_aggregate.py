"""Aggregate releases: counts by the plan's generalised fields, suppressed by the DDG engine.

The unit tests feed the engine hand-made counts; the end-to-end test runs a filed aggregate
agreement against the sample source with enough clients for the counts to mean something,
then reads the package back as a recipient would.
"""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from accord.db.engine import transaction
from accord.errors import AccordError
from accord.fulfillment.access import agreement_for
from accord.fulfillment.aggregate import (
    ANNOTATION,
    COUNT,
    MISSING,
    REPORT_FILE,
    ReleaseRefused,
    aggregate_dictionary,
    dimensions,
    package_counts,
    release_counts,
    released_dataset,
)
from accord.fulfillment.models import FulfillmentRun
from accord.fulfillment.plan import DatasetPlan, FieldPlan, Plan, Rule, SourceLocation, default_rule
from accord.fulfillment.planning import choices_for, plan_record, planned_fields, save_plan
from accord.fulfillment.runs import fulfill_now, packages_root
from accord.fulfillment.verify import verify_package
from tests.fulfillment.agreements import filed_agreement, fulfil_world
from tests.fulfillment.conftest import ABOUT, GLOSSARY, dictionary, write
from tests.proposals.conftest import World

THRESHOLD = 11  # DDG §4.2: a count of 1 to 10 is small
CASES = DatasetPlan(
    dataset_id=1,
    name="main.cases",
    table="cases",
    schema="main",
    fields=(
        FieldPlan("case_id", "INTEGER", Rule.PSEUDONYMISE, ("PII:medical_record",)),
        FieldPlan("full_name", "VARCHAR", Rule.DROP, ("PII:name",)),
        FieldPlan("phone", "VARCHAR", Rule.KEEP, ("PII:phone",)),  # a stale plan's mistake
        FieldPlan("county", "VARCHAR", Rule.KEEP),
        FieldPlan("onset", "DATE", Rule.YEAR, ("PII:date",)),
    ),
)


def _counts(rows: list[tuple[str | None, int, int]]) -> pa.Table:
    """What ``extract.aggregate`` returns: the dimensions as the engine typed them, then n."""
    county, year, n = zip(*rows, strict=True)
    return pa.table(
        {
            "county": pa.array(county, pa.string()),
            "onset": pa.array(year, pa.int64()),
            COUNT: pa.array(n, pa.int64()),
        }
    )


SMALL = [  # one small cell (Sierra 2021: 4), whose row and column totals are public
    ("Yolo", 2020, 30),
    ("Yolo", 2021, 25),
    ("Placer", 2020, 20),
    ("Placer", 2021, 15),
    ("Sierra", 2020, 12),
    ("Sierra", 2021, 4),
]


def _readable_small(table: pa.Table) -> list[int]:
    return [n for n in table[COUNT].to_pylist() if n is not None and 0 < n < THRESHOLD]


def test_only_kept_or_generalised_fields_that_identify_no_one_are_dimensions() -> None:
    assert dimensions(CASES) == [("county", Rule.KEEP), ("onset", Rule.YEAR)]
    released = released_dataset(CASES)
    assert [f.name for f in released.delivered] == ["county", "onset", COUNT, ANNOTATION]
    dropped = {f.name for f in released.fields if f.rule is Rule.DROP}
    assert dropped == {"case_id", "full_name", "phone"}


def test_small_counts_are_suppressed_with_a_complement_and_annotated() -> None:
    released = release_counts(_counts(SMALL), CASES)
    assert released.table is not None and not released.refused
    rows = released.table.to_pylist()
    assert released.table.column_names == ["county", "onset", COUNT, ANNOTATION]
    cell = {(r["county"], r["onset"]): r for r in rows}
    assert cell[("Sierra", "2021")][COUNT] is None
    assert cell[("Sierra", "2021")][ANNOTATION] == "1"  # primary: a small number
    complements = [r for r in rows if r[ANNOTATION] == "2"]
    # a total is public, so one blank in a row or column would give the small count away
    assert len(complements) >= 2 and all(r[COUNT] is None for r in complements)
    assert {r["county"] for r in complements} & {"Sierra"}
    assert {r["onset"] for r in complements} & {"2021"}
    assert _readable_small(released.table) == []
    shown = [r for r in rows if r[ANNOTATION] is None]
    assert shown and all(
        r[COUNT] == dict(((c, str(y)), n) for c, y, n in SMALL)[(r["county"], r["onset"])]
        for r in shown
    )
    summary = released.report["summary"]
    assert summary["primary"] == 1 and summary["complementary"] == len(complements)
    assert summary["audit_passed"] is True
    assert "rows" not in released.report  # the per-cell bounds stay with the provider


def test_counts_at_the_threshold_are_shown() -> None:
    rows = [("Yolo", 2020, 11), ("Yolo", 2021, 11), ("Placer", 2020, 12), ("Placer", 2021, 40)]
    released = release_counts(_counts(rows), CASES)
    assert released.table is not None
    assert released.table[COUNT].to_pylist() == [11, 11, 12, 40]
    assert released.table[ANNOTATION].null_count == 4


def test_a_missing_category_is_counted_as_unknown_not_refused() -> None:
    rows = [("Yolo", 2020, 30), (None, 2020, 40), ("Yolo", 2021, 25), (None, 2021, 50)]
    released = release_counts(_counts(rows), CASES)
    assert released.table is not None
    assert MISSING in released.table["county"].to_pylist()


def test_the_engine_refuses_counts_it_cannot_read_and_nothing_is_packaged(
    tmp_path: Path,
) -> None:
    twice = [("Yolo", 2020, 30), ("Yolo", 2020, 25), ("Placer", 2020, 20)]
    refused = release_counts(_counts(twice), CASES)
    assert refused.refused and refused.table is None
    assert any(f.rule == "duplicate-cell" for f in refused.refusal)
    plan = Plan(agreement_id=7, version=1, release="aggregate", format="csv", datasets=(CASES,))
    with pytest.raises(ReleaseRefused, match=r"refused to release the counts of main\.cases"):
        package_counts(
            tmp_path,
            "agreement-7-v1-run-1",
            plan,
            {1: SourceLocation("files", str(tmp_path))},
            dictionaries={},
            glossary=GLOSSARY,
            about=ABOUT,
            count=lambda location, dataset, dims: _counts(twice),
        )
    assert list(tmp_path.iterdir()) == []


def test_no_records_give_an_empty_table_not_a_refusal() -> None:
    released = release_counts(_counts([("Yolo", 2020, 1)]).slice(0, 0), CASES)
    assert released.table is not None and released.table.num_rows == 0
    assert released.table.column_names == ["county", "onset", COUNT, ANNOTATION]


def test_a_package_of_counts_carries_the_report_checksummed(tmp_path: Path) -> None:
    plan = Plan(agreement_id=7, version=1, release="aggregate", format="csv", datasets=(CASES,))
    out = released_dataset(CASES)
    result, record = package_counts(
        tmp_path,
        "agreement-7-v1-run-1",
        plan,
        {1: SourceLocation("files", str(tmp_path))},
        dictionaries={CASES.name: aggregate_dictionary(dictionary(out))},
        glossary=GLOSSARY,
        about=ABOUT,
        count=lambda location, dataset, dims: _counts(SMALL),
    )
    assert verify_package(result.zip_path).problems == ()
    assert REPORT_FILE in result.files
    report = json.loads((result.path / REPORT_FILE).read_text())
    assert report == record
    assert report["datasets"]["main.cases"]["rules"]["phone"] == "drop"
    assert report["datasets"]["main.cases"]["summary"]["primary"] == 1
    text = (result.path / "data" / "main.cases.csv").read_text()
    assert text.splitlines()[0] == '"county","onset","n","annotation"'
    assert "Sierra" in text and ",4," not in text
    readme = (result.path / "README.md").read_text()
    assert REPORT_FILE in readme and "phone" in readme


def test_aggregate_plans_drop_identifiers_and_generalise_dates() -> None:
    assert default_rule("client_id", "INTEGER", ("PII:other_id",), "aggregate") is Rule.DROP
    assert default_rule("visit_id", "INTEGER", (), "aggregate", key=True) is Rule.DROP
    assert default_rule("birth_date", "DATE", ("PII:date",), "aggregate") is Rule.YEAR
    assert default_rule("visit_date", "DATE", ("PII:date",), "aggregate") is Rule.MONTH
    assert default_rule("visit_date", "DATE", ("PII:date",), "none") is Rule.KEEP
    assert default_rule("client_id", "INTEGER", ("PII:other_id",), "record_level") is (
        Rule.PSEUDONYMISE
    )
    assert Rule.PSEUDONYMISE not in choices_for((), "aggregate")
    assert choices_for(("PII:medical_record",), "aggregate") == (Rule.DROP,)
    assert choices_for((), "aggregate", key=True) == (Rule.DROP,)
    assert Rule.PSEUDONYMISE in choices_for((), "record_level", key=True)


# --- end to end: a filed aggregate agreement ---------------------------------------------------

COUNTIES = {("Yolo", "1980"): 30, ("Yolo", "1990"): 25, ("Sacramento", "1980"): 20}
COUNTIES |= {("Sacramento", "1990"): 15, ("Sierra", "1980"): 3, ("Sierra", "1990"): 12}


@pytest.fixture
def w(settings: object, tmp_path: Path) -> World:
    return counted_world(settings, tmp_path)


def counted_world(settings: object, tmp_path: Path) -> World:
    """The agreement world with clients in COUNTIES (some counts small) and 60 visits."""
    world = fulfil_world(settings, tmp_path)
    with sqlite3.connect(tmp_path / "program.sqlite") as conn:
        conn.execute("DELETE FROM client")
        rows = [
            (f"Person {county} {year} {i}", f"{year}-06-0{i % 9 + 1}", county)
            for (county, year), n in COUNTIES.items()
            for i in range(n)
        ]
        conn.executemany("INSERT INTO client (full_name, birth_date, county) VALUES (?,?,?)", rows)
        visits = [(1, f"2024-0{1 + i % 2}-15", "J45" if i // 2 % 2 else "E11") for i in range(60)]
        conn.executemany(
            "INSERT INTO visit (client_id, visit_date, diagnosis_code) VALUES (?,?,?)", visits
        )
    return world


def counts_of(path: Path, stem: str) -> pa.Table:
    with zipfile.ZipFile(path) as z:
        name = next(n for n in z.namelist() if n.endswith(f"{stem}.parquet"))
        return pq.read_table(io.BytesIO(z.read(name)))


@pytest.mark.db
def test_an_aggregate_agreement_delivers_suppressed_counts_and_the_assessment(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = filed_agreement(w, monkeypatch, deidentification="aggregate")
    run = fulfill_now(w.settings, w.cdw["data_engineer"], pid)
    zip_path = packages_root(w.settings) / f"{run.package}.zip"
    assert verify_package(zip_path).problems == ()
    clients = counts_of(zip_path, "client")
    assert clients.column_names == ["birth_date", "county", COUNT, ANNOTATION]
    cell = {(r["county"], r["birth_date"]): r for r in clients.to_pylist()}
    assert cell[("Sierra", "1980")][COUNT] is None and cell[("Sierra", "1980")][ANNOTATION] == "1"
    assert any(r[ANNOTATION] == "2" for r in cell.values())
    assert _readable_small(clients) == []
    assert sum(n or 0 for n in clients[COUNT].to_pylist()) < sum(COUNTIES.values())
    visits = counts_of(zip_path, "visit")
    assert set(visits.column_names) == {"visit_date", "diagnosis_code", COUNT, ANNOTATION}
    assert sum(visits[COUNT].to_pylist()) == 60  # no small count: nothing withheld
    with transaction(w.settings) as session:
        stored = session.scalar(select(FulfillmentRun).where(FulfillmentRun.id == run.id))
        assert stored is not None
        ddg = stored.assessment["datasets"]
    assert ddg["main.client"]["summary"]["primary"] == 1
    assert ddg["main.client"]["summary"]["complementary"] >= 1
    assert ddg["main.client"]["summary"]["audit_passed"] is True
    assert ddg["main.client"]["rules"]["ssn"] == "drop"
    assert ddg["main.client"]["rules"]["client_id"] == "drop"
    assert ddg["main.client"]["rules"]["birth_date"] == "year"
    assert ddg["main.visit"]["rules"]["visit_date"] == "month"
    with zipfile.ZipFile(zip_path) as z:
        packaged = json.loads(z.read(f"{run.package}/{REPORT_FILE}"))
    assert packaged["datasets"] == ddg


@pytest.mark.db
def test_counts_the_engine_refuses_fail_the_run_and_keep_nothing(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = filed_agreement(w, monkeypatch, deidentification="aggregate")
    engineer = w.cdw["data_engineer"]
    with transaction(w.settings) as session:
        proposal, agreement = agreement_for(session, engineer, pid)
        record = plan_record(session, w.settings, agreement)
        rules = {p.key: p.rule.value for p in planned_fields(session, agreement, record)}
        assert Rule.PSEUDONYMISE not in {
            r for p in planned_fields(session, agreement, record) for r in p.choices
        }
        rules |= {"main.client.birth_date": "drop", "main.client.county": "drop"}
        save_plan(session, engineer, w.settings, proposal, agreement, rules, "parquet")
    with pytest.raises(AccordError, match=r"refused to release the counts of main\.client"):
        fulfill_now(w.settings, engineer, pid)
    root = packages_root(w.settings)
    assert [p for p in root.iterdir() if not p.name.startswith(".")] == []


@pytest.mark.parametrize("path", ["README.md", "manifest.json", "data/x.csv", "../out.json"])
def test_an_extra_file_cannot_take_the_place_of_the_packages_own(tmp_path: Path, path: str) -> None:
    with pytest.raises(ValueError, match="cannot name an extra file"):
        write(tmp_path, extras={path: b"{}"})
    assert list(tmp_path.iterdir()) == []
