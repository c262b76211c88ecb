"""Harvest CSV, Parquet and Excel files written by the test; bad files and unsafe names."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from accord.catalog.harvest.files import harvest_files
from accord.catalog.harvest.model import HarvestCancelled, HarvestedDataset, HarvestedField
from accord.errors import ValidationFailed


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "enrollment [2024].csv"
    path.write_text('id,name,born,score\n1,Ann,2001-02-03,1.5\n2,"Bo, Jr.",2002-03-04,\n')
    return path


@pytest.fixture
def parquet_file(tmp_path: Path) -> Path:
    path = tmp_path / "visits.parquet"
    conn = duckdb.connect()
    conn.execute(
        "CREATE TABLE v (id INTEGER NOT NULL, note VARCHAR, info STRUCT(id INTEGER, x VARCHAR))"
    )
    conn.execute("INSERT INTO v VALUES (1, 'a', {'id': 1, 'x': 'y'}), (2, NULL, NULL)")
    conn.execute("COPY v TO ? (FORMAT parquet)", [str(path)])
    conn.close()
    return path


@pytest.fixture
def xlsx_file(tmp_path: Path) -> Path:
    path = tmp_path / "report.xlsx"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "People"
    sheet.append(["id", "name", "joined", "active", None, "name", "mixed", "amount"])
    sheet.append([1, "Ann", dt.datetime(2024, 1, 2), True, None, "x", 1, 2])
    sheet.append([2, "Bo", dt.datetime(2024, 1, 3, 10, 30), False, None, "y", "two", 2.5])
    sheet.append([None, None, None, None, None, None, None, None])
    book.create_sheet("Empty")
    book.save(path)
    return path


def test_csv_types_are_inferred_and_rows_counted(csv_file: Path) -> None:
    harvest = harvest_files([csv_file])
    assert harvest.source_kind == "files" and harvest.warnings == []
    assert harvest.datasets == [
        HarvestedDataset(
            name="enrollment [2024].csv",
            kind="extract",
            row_count=2,
            fields=(
                HarvestedField("id", 1, "BIGINT"),
                HarvestedField("name", 2, "VARCHAR"),
                HarvestedField("born", 3, "DATE"),
                HarvestedField("score", 4, "DOUBLE"),
            ),
        )
    ]


def test_parquet_types_and_required_columns(parquet_file: Path) -> None:
    (dataset,) = harvest_files([parquet_file]).datasets
    assert dataset == HarvestedDataset(
        name="visits.parquet",
        kind="extract",
        row_count=2,
        fields=(
            HarvestedField("id", 1, "INTEGER", nullable=False),
            HarvestedField("note", 2, "VARCHAR"),
            HarvestedField("info", 3, "STRUCT(id INTEGER, x VARCHAR)"),
        ),
    )


def test_each_sheet_is_a_dataset_with_types_from_a_sample(xlsx_file: Path) -> None:
    harvest = harvest_files([xlsx_file])
    assert harvest.datasets == [
        HarvestedDataset(
            name="report.xlsx:People",
            kind="extract",
            schema="report.xlsx",
            row_count=2,
            fields=(
                HarvestedField("id", 1, "BIGINT"),
                HarvestedField("name", 2, "VARCHAR"),
                HarvestedField("joined", 3, "TIMESTAMP"),
                HarvestedField("active", 4, "BOOLEAN"),
                HarvestedField("column4", 5, "VARCHAR"),
                HarvestedField("name_2", 6, "VARCHAR"),
                HarvestedField("mixed", 7, "VARCHAR"),
                HarvestedField("amount", 8, "DOUBLE"),
            ),
        )
    ]
    assert harvest.warnings == ["report.xlsx:Empty: The sheet has no header row; it was skipped."]


def test_one_bad_file_among_good_ones_is_a_warning(csv_file: Path, tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 this is not really a zip")
    calls: list[tuple[int, int, str]] = []
    harvest = harvest_files([corrupt, csv_file], progress=lambda *a: calls.append(a))
    assert [d.name for d in harvest.datasets] == ["enrollment [2024].csv"]
    assert harvest.warnings == ["corrupt.xlsx: Not a readable Excel (.xlsx) workbook."]
    assert calls == [(0, 2, "corrupt.xlsx"), (1, 2, "enrollment [2024].csv"), (2, 2, "")]


def test_all_bad_files_are_refused_with_every_problem(tmp_path: Path) -> None:
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x01garbage\x00\x00\n\x89PNG")
    big = tmp_path / "big.csv"
    big.write_text("a,b\n" + "1,2\n" * 100)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    fake_parquet = tmp_path / "fake.parquet"
    fake_parquet.write_text("a,b\n1,2\n")
    missing = tmp_path / "missing.csv"
    paths = [binary, big, notes, empty, fake_parquet, missing]
    with pytest.raises(ValidationFailed) as caught:
        harvest_files(paths, max_bytes=200)
    messages = {p.field: p.message for p in caught.value.problems}
    assert list(messages) == [p.name for p in paths]
    assert messages["binary.csv"].startswith("Not a readable CSV file: ")
    assert "not utf-8" in messages["binary.csv"].lower()
    assert messages["big.csv"] == "The file has 404 bytes; the limit is 200."
    assert messages["notes.txt"].startswith("Unsupported file type")
    assert messages["empty.csv"] == "The file is empty."
    assert messages["fake.parquet"].startswith("Not a readable Parquet file: ")
    assert messages["missing.csv"] == "No such file."


def test_latin1_csv_is_read_with_a_warning(tmp_path: Path, csv_file: Path) -> None:
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id;name\n1;José\n2;Renée\n".encode("latin-1"))
    harvest = harvest_files([latin, csv_file])
    assert harvest.datasets[0] == HarvestedDataset(
        name="latin.csv",
        kind="extract",
        row_count=2,
        fields=(HarvestedField("id", 1, "BIGINT"), HarvestedField("name", 2, "VARCHAR")),
    )
    assert harvest.warnings == ["latin.csv: Read as Latin-1 text: the file is not UTF-8."]


def test_no_files_and_cancel(csv_file: Path) -> None:
    with pytest.raises(ValidationFailed):
        harvest_files([])

    def cancel(done: int, total: int, name: str) -> None:
        raise HarvestCancelled

    with pytest.raises(HarvestCancelled):
        harvest_files([csv_file], progress=cancel)
