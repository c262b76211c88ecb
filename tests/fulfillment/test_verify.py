"""Tampering with a package, in its folder or its zip, is found and said in words."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from accord.fulfillment.package import PackageResult
from accord.fulfillment.verify import verify_package


def messages(path: Path) -> list[str]:
    return [f"{p.field}: {p.message}" for p in verify_package(path).problems]


def rewrite_manifest(folder: Path, edit: object) -> None:
    """Edit the manifest and re-sign SHA256SUMS, as a forger who knows the format would."""
    manifest_path = folder / "manifest.json"
    body = json.loads(manifest_path.read_text("utf-8"))
    edit(body)  # type: ignore[operator]
    manifest_path.write_text(json.dumps(body), "utf-8")
    digest = hashlib.sha256(manifest_path.read_bytes()).hexdigest()
    sums = folder / "SHA256SUMS"
    lines = [
        f"{digest}  manifest.json" if line.endswith("  manifest.json") else line
        for line in sums.read_text("utf-8").splitlines()
    ]
    sums.write_text("\n".join(lines) + "\n", "utf-8")


def test_an_intact_package_verifies(package: PackageResult) -> None:
    result = verify_package(package.path)
    assert result.ok and result.files == 12 and result.rows == 8 and result.datasets == 2


def test_a_changed_byte_is_found(package: PackageResult) -> None:
    data = package.path / "data/main.person.parquet"
    raw = bytearray(data.read_bytes())
    raw[len(raw) // 2] ^= 0x01
    data.write_bytes(bytes(raw))
    found = messages(package.path)
    assert "data/main.person.parquet: does not match its SHA-256 in the manifest." in found
    assert "data/main.person.parquet: does not match its SHA-256 in SHA256SUMS." in found


def test_an_extra_file_is_found(package: PackageResult) -> None:
    (package.path / "data" / "extra.csv").write_text("a\n1\n")
    assert messages(package.path) == [
        "data/extra.csv: is not listed in the manifest.",
        "SHA256SUMS: does not list data/extra.csv.",
    ]


def test_a_hidden_extra_file_is_found(package: PackageResult) -> None:
    (package.path / ".secret").write_text("x")
    assert messages(package.path) == [".secret: is not listed in the manifest."]


def test_a_missing_file_is_found(package: PackageResult) -> None:
    (package.path / "dictionary/main.visit.xlsx").unlink()
    found = messages(package.path)
    assert "dictionary/main.visit.xlsx: is listed in the manifest but missing." in found
    assert "SHA256SUMS: lists 'dictionary/main.visit.xlsx', which the package does not hold." in (
        found
    )


def test_an_edited_manifest_is_found_by_sha256sums(package: PackageResult) -> None:
    manifest = package.path / "manifest.json"
    manifest.write_text(manifest.read_text("utf-8").replace('"rows": 5', '"rows": 6'), "utf-8")
    found = messages(package.path)
    assert "manifest.json: does not match its SHA-256 in SHA256SUMS." in found
    assert "data/main.person.parquet: has 5 rows, the manifest says 6." in found


def test_rows_and_columns_are_checked_against_the_data(package: PackageResult) -> None:
    def edit(body: dict[str, object]) -> None:
        visit = body["datasets"][1]  # type: ignore[index]
        visit["rows"] = 4
        visit["fields"] = visit["fields"][:2]

    rewrite_manifest(package.path, edit)
    assert messages(package.path) == [
        "data/main.visit.parquet: has columns ['visit_id', 'visit_month', 'cost'], the "
        "manifest says ['visit_id', 'visit_month'].",
        "data/main.visit.parquet: has 3 rows, the manifest says 4.",
    ]


@pytest.mark.parametrize(
    "hostile", ["../../etc/passwd", "/etc/passwd", "data/../../x", "C:\\x", "data\\..\\x", ""]
)
def test_a_path_out_of_the_package_is_never_opened(package: PackageResult, hostile: str) -> None:
    def edit(body: dict[str, object]) -> None:
        body["files"].append({"path": hostile, "size": 1, "sha256": "0" * 64})  # type: ignore[attr-defined]
        body["datasets"][0]["file"] = hostile  # type: ignore[index]

    rewrite_manifest(package.path, edit)
    found = messages(package.path)
    assert f"{hostile}: is not a path inside the package; not opened." in found
    assert f"{hostile}: the data of main.person is not listed." in found


def test_a_link_is_reported_not_followed(package: PackageResult, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret")
    os.symlink(outside, package.path / "data" / "link.csv")
    assert "data/link.csv: is a link; a package holds only files." in messages(package.path)


def test_a_manifest_that_is_not_one(package: PackageResult) -> None:
    (package.path / "manifest.json").write_text('{"files": "nope"}', "utf-8")
    assert messages(package.path) == ["manifest.json: manifest.json: agreement is not an object."]
    (package.path / "manifest.json").unlink()
    assert messages(package.path) == ["manifest.json: is missing: nothing can be checked."]


def test_csv_rows_are_counted_as_records(tmp_path: Path) -> None:
    from tests.fulfillment.conftest import write

    result = write(tmp_path, fmt="csv")
    assert verify_package(result.path).ok  # a note with a line break is one row, not two

    def edit(body: dict[str, object]) -> None:
        body["datasets"][0]["rows"] = 6  # type: ignore[index]
        body["datasets"][1]["fields"][2]["name"] = "price"  # type: ignore[index]

    rewrite_manifest(result.path, edit)
    assert messages(result.path) == [
        "data/main.person.csv: has 5 rows, the manifest says 6.",
        "data/main.visit.csv: has columns ['visit_id', 'visit_month', 'cost'], the manifest "
        "says ['visit_id', 'visit_month', 'price'].",
    ]


def test_a_longer_file_is_found_by_its_size(package: PackageResult) -> None:
    data = package.path / "glossary.csv"
    data.write_bytes(data.read_bytes() + b"x,,y,z\r\n")
    assert messages(package.path) == [
        f"glossary.csv: has {data.stat().st_size:,} bytes, the manifest says "
        f"{data.stat().st_size - 8:,}.",
        "glossary.csv: does not match its SHA-256 in SHA256SUMS.",
    ]


def test_a_tampered_zip_is_found(package: PackageResult, tmp_path: Path) -> None:
    assert verify_package(package.zip_path).ok
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(package.zip_path) as source, zipfile.ZipFile(forged, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith("README.md"):
                data = data.replace(b"Destroy", b"Dxstroy")
            target.writestr(info, data)
    assert messages(forged) == [
        "README.md: does not match its SHA-256 in the manifest.",
        "README.md: does not match its SHA-256 in SHA256SUMS.",
    ]


def test_a_zip_slip_entry_is_never_opened(package: PackageResult, tmp_path: Path) -> None:
    hostile = tmp_path / "slip.zip"
    shutil.copy(package.zip_path, hostile)
    with zipfile.ZipFile(hostile, "a") as archive:
        archive.writestr("agreement-7-v3/../../evil.sh", "rm -rf /")
        archive.writestr("/etc/cron.d/evil", "* * * * * root true")
    found = messages(hostile)
    assert (
        "agreement-7-v3/../../evil.sh: has an unsafe name (a path out of the folder?); "
        "it was not opened." in found
    )
    assert "/etc/cron.d/evil: is outside the package folder; it was not opened." in found
    assert not (tmp_path.parent / "evil.sh").exists()


def test_a_zip_bomb_is_not_expanded(package: PackageResult, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    shutil.copy(package.zip_path, bomb)
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("agreement-7-v3/data/zeros.csv", b"0" * 50_000_000)
    found = messages(bomb)
    assert (
        "agreement-7-v3/data/zeros.csv: expands far beyond its compressed size (a zip bomb?); "
        "it was not opened." in found
    )


def test_a_file_that_is_not_a_package(tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    found = messages(junk)
    assert len(found) == 1 and found[0].startswith("junk.zip: is neither a package folder")


def test_a_file_listed_twice(package: PackageResult) -> None:
    rewrite_manifest(package.path, lambda body: body["files"].append(body["files"][0]))
    assert messages(package.path) == [
        "data/main.person.parquet: is listed in the manifest more than once."
    ]
