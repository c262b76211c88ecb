from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from accord.csv_cells import safe
from accord.errors import Conflict
from accord.fulfillment.package_files import safe_text, write_data
from accord.fulfillment.verify import verify_package
from tests.fulfillment.conftest import PERSON, VISIT, person_batches, visit_batches, write

DATASET_FILES = [
    "data/main.person.{ext}",
    "data/main.visit.{ext}",
    "dictionary/main.person.csv",
    "dictionary/main.person.xlsx",
    "dictionary/main.person.schema.json",
    "dictionary/main.visit.csv",
    "dictionary/main.visit.xlsx",
    "dictionary/main.visit.schema.json",
    "glossary.csv",
    "README.md",
    "manifest.json",
    "SHA256SUMS",
]


def listing(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_package_round_trips(tmp_path: Path, fmt: str) -> None:
    result = write(tmp_path, fmt=fmt)  # type: ignore[arg-type]
    folder = tmp_path / "agreement-7-v3"
    assert result.path == folder and result.zip_path == tmp_path / "agreement-7-v3.zip"
    assert sorted(os.listdir(tmp_path)) == ["agreement-7-v3", "agreement-7-v3.zip"]
    expected = sorted(f.format(ext=fmt) for f in DATASET_FILES)
    assert listing(folder) == expected
    assert sorted(result.files) == expected
    assert result.rows == {"main.person": 5, "main.visit": 3}

    person_file = folder / f"data/main.person.{fmt}"
    if fmt == "parquet":
        person = pq.read_table(person_file)
        assert person.column("birth_year").type == pa.int32()
        assert person.column("note").to_pylist() == ["=1+2", "-5", "two\nlines", None, "plain"]
    else:
        person = pa_csv.read_csv(person_file)
        raw = list(csv.reader(io.StringIO(person_file.read_text("utf-8"))))
        assert [row[3] for row in raw[1:]] == ["'=1+2", "-5", "two\nlines", "", "plain"]
    assert person.num_rows == 5
    assert person.column_names == ["person_id", "birth_year", "zip3", "note"]  # no full_name
    assert (
        pq.read_table(folder / "data/main.visit.parquet").num_rows == 3
        if fmt == "parquet"
        else pa_csv.read_csv(folder / "data/main.visit.csv").num_rows == 3
    )

    manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    assert manifest["agreement"] == {"id": 7, "version": 3}
    assert manifest["format"] == fmt and manifest["release"] == "record_level"
    person_entry = manifest["datasets"][0]
    assert person_entry["file"] == f"data/main.person.{fmt}" and person_entry["rows"] == 5
    assert person_entry["fields"][1] == {"name": "birth_year", "type": "int32", "rule": "year"}
    assert {f["path"] for f in manifest["files"]} == set(expected) - {"manifest.json", "SHA256SUMS"}

    assert verify_package(folder).problems == ()
    assert verify_package(result.zip_path).problems == ()


def test_the_dictionaries_and_glossary_parse(package: object, tmp_path: Path) -> None:
    folder = tmp_path / "agreement-7-v3"
    text = (folder / "dictionary/main.person.csv").read_text("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in rows] == ["person_id", "birth_year", "zip3", "note"]
    schema = json.loads((folder / "dictionary/main.person.schema.json").read_text("utf-8"))
    assert [f["name"] for f in schema["fields"]] == ["person_id", "birth_year", "zip3", "note"]
    book = load_workbook(folder / "dictionary/main.visit.xlsx")
    assert [c.value for c in book["Fields"]["A"]][1:] == ["visit_id", "visit_month", "cost"]
    glossary = list(csv.reader(io.StringIO((folder / "glossary.csv").read_text("utf-8-sig"))))
    assert glossary[1][:3] == ["ZIP3", "", "'=First three digits of a ZIP code."]


def test_the_readme_names_every_file_rule_and_duty(package: object, tmp_path: Path) -> None:
    folder = tmp_path / "agreement-7-v3"
    readme = (folder / "README.md").read_text("utf-8")
    for relative in listing(folder):
        assert f"`{relative}`" in readme, relative
    for dataset in (PERSON, VISIT):
        for f in dataset.delivered:
            assert f"| {f.name} |" in readme and f"| {f.rule.label} |" in readme, f.name
    assert "Not delivered (direct identifiers, dropped): full_name." in readme
    assert "agreement 7, version 3" in readme
    assert "Study of asthma visits by region" in readme
    assert "Destroy all copies within 30 days" in readme
    assert "BUCP §5.11" in readme and "not the original" in readme
    assert "sha256sum -c SHA256SUMS" in readme and "accord package verify" in readme


def test_sha256sums_is_what_sha256sum_reads(package: object, tmp_path: Path) -> None:
    import hashlib

    folder = tmp_path / "agreement-7-v3"
    lines = (folder / "SHA256SUMS").read_text("utf-8").splitlines()
    listed = {}
    for line in lines:
        digest, path = line.split("  ", 1)
        listed[path] = digest
    assert set(listed) == set(listing(folder)) - {"SHA256SUMS"}
    for path, digest in listed.items():
        assert hashlib.sha256((folder / path).read_bytes()).hexdigest() == digest


def test_the_zip_holds_the_folder(tmp_path: Path) -> None:
    import hashlib

    result = write(tmp_path)
    data = result.zip_path.read_bytes()
    assert hashlib.sha256(data).hexdigest() == result.zip_sha256 and len(data) == result.zip_size
    with zipfile.ZipFile(result.zip_path) as archive:
        names = sorted(i.filename for i in archive.infolist())
        assert names == sorted(f"agreement-7-v3/{p}" for p in listing(result.path))
        kinds = {i.filename.rsplit(".", 1)[-1]: i.compress_type for i in archive.infolist()}
        assert kinds["parquet"] == zipfile.ZIP_STORED
        assert kinds["md"] == zipfile.ZIP_DEFLATED
        for info in archive.infolist():
            relative = info.filename.split("/", 1)[1]
            assert archive.read(info) == (result.path / relative).read_bytes()


def test_an_existing_package_is_never_written_over(tmp_path: Path) -> None:
    write(tmp_path)
    before = (tmp_path / "agreement-7-v3" / "manifest.json").read_bytes()
    with pytest.raises(Conflict):
        write(tmp_path)
    assert (tmp_path / "agreement-7-v3" / "manifest.json").read_bytes() == before
    (tmp_path / "other.zip").write_bytes(b"someone else's")
    with pytest.raises(Conflict):
        write(tmp_path, name="other")
    assert (tmp_path / "other.zip").read_bytes() == b"someone else's"
    assert not (tmp_path / "other").exists()
    assert sorted(os.listdir(tmp_path)) == ["agreement-7-v3", "agreement-7-v3.zip", "other.zip"]


def failing_batches() -> Iterator[pa.RecordBatch]:
    yield from person_batches(rows=4)
    raise OSError(28, "No space left on device")


def test_a_full_disk_while_zipping_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from accord.fulfillment import package_files

    real = package_files.HashingFile.write

    def write_until_full(self: package_files.HashingFile, data: bytes) -> int:
        if self.tell() > 15_000:  # only the zip grows this large
            raise OSError(28, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(package_files.HashingFile, "write", write_until_full)
    with pytest.raises(OSError, match="No space"):
        write(tmp_path)
    assert os.listdir(tmp_path) == []


class Cancelled(Exception):
    pass


def test_a_failing_extraction_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(OSError, match="No space"):
        write(tmp_path, tables=[(PERSON, failing_batches()), (VISIT, visit_batches())])
    assert os.listdir(tmp_path) == []


def test_progress_counts_rows_up_to_the_zip(tmp_path: Path) -> None:
    seen: list[tuple[int, str]] = []
    write(tmp_path, progress=lambda rows, step: seen.append((rows, step)))
    assert seen[-1] == (8, "Zipping agreement-7-v3.zip")
    assert (5, "Writing data/main.person.parquet") in seen


@pytest.mark.parametrize("at", ["Writing data/main.visit", "Writing the dictionary", "Zipping"])
def test_a_job_cancelled_through_progress_leaves_nothing(tmp_path: Path, at: str) -> None:
    seen: list[tuple[int, str]] = []

    def progress(rows: int, step: str) -> None:
        seen.append((rows, step))
        if step.startswith(at):
            raise Cancelled(step)

    with pytest.raises(Cancelled):
        write(tmp_path, progress=progress)
    assert os.listdir(tmp_path) == []
    assert all(a[0] <= b[0] for a, b in itertools.pairwise(seen))


def test_a_column_the_plan_dropped_never_leaves(tmp_path: Path) -> None:
    leaky = pa.RecordBatch.from_pydict(
        {
            "person_id": ["p1"],
            "full_name": ["Ada Lovelace"],
            "birth_year": [1815],
            "zip3": ["956"],
            "note": ["x"],
        }
    )
    with pytest.raises(ValueError, match="full_name"):
        write(tmp_path, tables=[(PERSON, [leaky]), (VISIT, visit_batches())])
    assert os.listdir(tmp_path) == []


def test_a_dictionary_of_dropped_fields_is_refused(tmp_path: Path) -> None:
    from tests.fulfillment.conftest import dictionary

    whole = dictionary(PERSON)
    field = whole.fields[0]
    leaky = type(whole)(
        whole.dataset, (*whole.fields, type(field)(**{**field.__dict__, "name": "full_name"})), ()
    )
    with pytest.raises(ValueError, match="full_name"):
        write(tmp_path, dictionaries={"main.person": leaky, "main.visit": dictionary(VISIT)})
    assert os.listdir(tmp_path) == []


def test_a_missing_dataset_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"main\.visit"):
        write(tmp_path, tables=[(PERSON, person_batches())])
    assert os.listdir(tmp_path) == []


def test_an_empty_dataset_still_tells_its_columns(tmp_path: Path) -> None:
    result = write(tmp_path, tables=[(PERSON, []), (VISIT, visit_batches())])
    table = pq.read_table(result.path / "data/main.person.parquet")
    assert table.num_rows == 0
    assert table.column_names == ["person_id", "birth_year", "zip3", "note"]
    assert verify_package(result.path).ok


@pytest.mark.parametrize("name", ["", ".hidden", "a/b", "..", "x y"])
def test_a_package_name_is_a_plain_folder_name(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError):
        write(tmp_path, name=name)
    assert os.listdir(tmp_path) == []


@given(st.lists(st.one_of(st.none(), st.text(alphabet="'=+-@\t\r1.eE ax", max_size=8))))
def test_csv_cells_in_arrow_are_csv_cells_safe(values: list[str | None]) -> None:
    got = safe_text(pa.array(values, pa.large_string())).to_pylist()
    assert got == [None if v is None else safe(v) for v in values]


def test_only_repetitive_columns_get_a_parquet_dictionary(tmp_path: Path) -> None:
    rows = 1_000
    batch = pa.RecordBatch.from_pydict(
        {
            "visit_id": pa.array(range(rows), pa.int64()),
            "visit_month": pa.array([f"2024-{i % 12 + 1:02d}" for i in range(rows)]),
            "cost": pa.array([i * 0.37 for i in range(rows)]),
        }
    )
    result = write(tmp_path, tables=[(PERSON, person_batches()), (VISIT, [batch])])
    group = pq.ParquetFile(result.path / "data/main.visit.parquet").metadata.row_group(0)
    encodings = {group.column(i).path_in_schema: group.column(i).encodings for i in range(3)}
    assert "RLE_DICTIONARY" in encodings["visit_month"]
    assert "RLE_DICTIONARY" not in encodings["visit_id"]
    assert "RLE_DICTIONARY" not in encodings["cost"]


def test_an_engine_written_file_reports_its_progress_as_rows_and_is_held_to_the_plan(
    tmp_path: Path,
) -> None:
    rows = pa.table({"a": list(range(1000)), "b": ["x"] * 1000})

    def engine(target: Path, progress: Callable[[float], None]) -> bool:
        progress(-1)  # DuckDB cannot tell yet
        progress(0.25)
        progress(0.6)
        pq.write_table(rows, target)
        return True

    seen: list[int] = []
    data = write_data(
        tmp_path,
        "data/t.parquet",
        "parquet",
        ["a", "b"],
        [],
        seen.append,
        engine_copy=engine,
        expected_rows=1000,
    )
    assert seen == [0, 250, 350, 400] and data.rows == 1000
    assert (
        data.written.sha256
        == hashlib.sha256((tmp_path / "data/t.parquet").read_bytes()).hexdigest()
    )
    with pytest.raises(ValueError, match="the engine wrote columns"):
        write_data(
            tmp_path, "data/u.parquet", "parquet", ["a"], [], seen.append, engine_copy=engine
        )
