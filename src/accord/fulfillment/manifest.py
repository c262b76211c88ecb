"""The manifest and checksum list of a package: what the writer promises and the verifier checks.

Both live here so that the names, the layout and the rule for a safe relative path are written
once; a verifier that accepted a path the writer could never produce would be a hole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MANIFEST = "manifest.json"
CHECKSUMS = "SHA256SUMS"
LAYOUT_VERSION = 1
MAX_MANIFEST_BYTES = 16 * 1024 * 1024  # a manifest lists files, it is never this large

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
_PART = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
_HEX = re.compile(r"[0-9a-f]{64}")


def file_stem(name: str) -> str:
    """A dataset's catalog name as a file name: "main.person" stays, "a/b c" becomes "a_b_c".

    A leading dot is removed, so no data file is hidden from a listing."""
    stem = _SAFE_NAME.sub("_", name).lstrip(".")
    if not stem:
        raise ValueError(f"The dataset name {name!r} gives no file name.")
    return stem


def is_safe_path(path: str) -> bool:
    """A relative path inside the package: "/"-separated plain parts, no "..", no absolute,
    no backslash or drive, no hidden part. Anything else is never opened."""
    if not path or len(path) > 1024:
        return False
    return all(_PART.fullmatch(part) for part in path.split("/"))


@dataclass(frozen=True)
class FieldEntry:
    name: str
    type: str  # the Arrow type the file holds
    rule: str


@dataclass(frozen=True)
class DatasetEntry:
    name: str
    file: str
    rows: int
    fields: tuple[FieldEntry, ...]


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    agreement_id: int
    version: int
    created_at: str
    format: str
    release: str
    datasets: tuple[DatasetEntry, ...]
    files: tuple[FileEntry, ...]  # every file but the manifest itself and SHA256SUMS

    def to_bytes(self) -> bytes:
        body = {
            "layout": LAYOUT_VERSION,
            "agreement": {"id": self.agreement_id, "version": self.version},
            "created_at": self.created_at,
            "format": self.format,
            "release": self.release,
            "datasets": [
                {
                    "name": d.name,
                    "file": d.file,
                    "rows": d.rows,
                    "fields": [{"name": f.name, "type": f.type, "rule": f.rule} for f in d.fields],
                }
                for d in self.datasets
            ],
            "files": [{"path": f.path, "size": f.size, "sha256": f.sha256} for f in self.files],
        }
        return (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


class ManifestError(ValueError):
    """The manifest cannot be read as one: the verifier reports it as a problem."""


def parse_manifest(data: bytes) -> Manifest:
    """Read a manifest someone else may have written: every value is checked for its type,
    every path for safety, before anything relies on it."""
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ManifestError(f"{MANIFEST} is not JSON: {exc}") from None
    top = _mapping(body, MANIFEST)
    agreement = _mapping(top.get("agreement"), "agreement")
    datasets = tuple(_dataset(d) for d in _list(top.get("datasets"), "datasets"))
    files = tuple(_file(f) for f in _list(top.get("files"), "files"))
    return Manifest(
        agreement_id=_int(agreement.get("id"), "agreement id"),
        version=_int(agreement.get("version"), "agreement version"),
        created_at=_str(top.get("created_at"), "created_at"),
        format=_str(top.get("format"), "format"),
        release=_str(top.get("release"), "release"),
        datasets=datasets,
        files=files,
    )


def _dataset(value: object) -> DatasetEntry:
    d = _mapping(value, "a dataset")
    fields = tuple(
        FieldEntry(
            _str(f.get("name"), "field name"),
            _str(f.get("type"), "field type"),
            _str(f.get("rule"), "field rule"),
        )
        for f in (_mapping(item, "a field") for item in _list(d.get("fields"), "fields"))
    )
    return DatasetEntry(
        _str(d.get("name"), "dataset name"),
        _str(d.get("file"), "dataset file"),
        _int(d.get("rows"), "dataset rows"),
        fields,
    )


def _file(value: object) -> FileEntry:
    f = _mapping(value, "a file")
    return FileEntry(
        _str(f.get("path"), "file path"),
        _int(f.get("size"), "file size"),
        _str(f.get("sha256"), "sha256"),
    )


def _mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ManifestError(f"{MANIFEST}: {what} is not an object.")
    return value


def _list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ManifestError(f"{MANIFEST}: {what} is not a list.")
    return value


def _str(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ManifestError(f"{MANIFEST}: {what} is not text.")
    return value


def _int(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ManifestError(f"{MANIFEST}: {what} is not a whole number.")
    return value


def is_sha256(text: str) -> bool:
    return _HEX.fullmatch(text) is not None


def checksums_text(files: Iterable[tuple[str, str]]) -> bytes:
    """``sha256sum -c`` input: "<hex>  <path>" (two spaces: binary-safe text mode)."""
    return "".join(f"{digest}  {path}\n" for path, digest in sorted(files)).encode("utf-8")


def parse_checksums(data: bytes) -> tuple[dict[str, str], list[str]]:
    """The paths and digests of a SHA256SUMS file, and the lines that are not entries."""
    entries: dict[str, str] = {}
    bad: list[str] = []
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        digest, sep, path = line.partition("  ")
        if not sep:
            digest, sep, path = line.partition(" *")  # sha256sum's binary mode
        if not sep or not is_sha256(digest) or path in entries:
            bad.append(f"line {number}")
            continue
        entries[path] = digest
    return entries, bad
