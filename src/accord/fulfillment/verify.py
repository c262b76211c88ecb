"""Verifying a package as its recipient receives it: the folder or the zip, trusted in nothing.

Every problem is collected (a report, not the first exception): files missing or extra against
the manifest, sizes and SHA-256 digests, SHA256SUMS, and each data file's rows and columns.
The manifest may have been written by someone hostile, so a path is opened only when it is a
plain relative path *and* was found by listing the package itself; links, zip-slip names
("../x", "/etc/passwd") and entries that expand far beyond their compressed size are reported,
never opened.
"""

from __future__ import annotations

import hashlib
import os
import stat
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from accord.errors import Problem
from accord.fulfillment.manifest import (
    CHECKSUMS,
    MANIFEST,
    MAX_MANIFEST_BYTES,
    DatasetEntry,
    Manifest,
    ManifestError,
    is_safe_path,
    parse_checksums,
    parse_manifest,
)

CHUNK = 1024 * 1024
# Deflate reaches about 1:1000 on constant input; real CSV and text stay well under 1:50.
MAX_EXPANSION = 200


@dataclass(frozen=True)
class Verification:
    path: Path
    problems: tuple[Problem, ...]
    files: int  # files the package holds
    rows: int  # rows of all datasets, as the manifest counts them
    datasets: int

    @property
    def ok(self) -> bool:
        return not self.problems


class _Package(Protocol):
    sizes: dict[str, int]  # safe relative path -> size, for the files that may be opened

    def open(self, relative: str) -> IO[bytes]: ...


class _Folder:
    def __init__(self, root: Path, problems: list[Problem]) -> None:
        self._root = root
        self.sizes: dict[str, int] = {}
        for directory, subfolders, names in os.walk(root):  # links to folders are not walked
            for name in [*names, *subfolders]:
                full = Path(directory, name)
                relative = full.relative_to(root).as_posix()
                info = full.lstat()
                if stat.S_ISLNK(info.st_mode):
                    problems.append(Problem(relative, "is a link; a package holds only files."))
                elif stat.S_ISREG(info.st_mode):
                    if is_safe_path(relative):
                        self.sizes[relative] = info.st_size
                    else:
                        problems.append(Problem(relative, "is not listed in the manifest."))
                elif not stat.S_ISDIR(info.st_mode):
                    problems.append(Problem(relative, "is not a regular file."))

    def open(self, relative: str) -> IO[bytes]:
        assert relative in self.sizes  # only names found by listing the folder
        return (self._root / relative).open("rb")


class _Zip:
    def __init__(self, archive: zipfile.ZipFile, problems: list[Problem]) -> None:
        self._archive = archive
        self._infos: dict[str, zipfile.ZipInfo] = {}
        self.sizes: dict[str, int] = {}
        # the package folder is the one that holds the manifest; anything beside it is refused
        tops = {
            name.split("/")[0]
            for name in archive.namelist()
            if name.count("/") == 1 and name.endswith("/" + MANIFEST)
        }
        top = tops.pop() if len(tops) == 1 else None
        if top is None:
            problems.append(Problem("zip", "does not hold a single package folder."))
        for info in archive.infolist():
            problem = self._refusal(info, top)
            if problem:
                problems.append(Problem(info.filename, problem))
                continue
            if info.is_dir():
                continue
            relative = info.filename.split("/", 1)[1]
            self._infos[relative] = info
            self.sizes[relative] = info.file_size

    def _refusal(self, info: zipfile.ZipInfo, top: str | None) -> str:
        name = info.filename
        head, _, relative = name.partition("/")
        if top is None or head != top or not is_safe_path(top):
            return "is outside the package folder; it was not opened."
        if info.is_dir():
            return (
                ""
                if not relative.rstrip("/") or is_safe_path(relative.rstrip("/"))
                else ("has an unsafe name; it was not opened.")
            )
        if not is_safe_path(relative):
            return "has an unsafe name (a path out of the folder?); it was not opened."
        if relative in self._infos:
            return "is in the zip twice."
        if stat.S_ISLNK(info.external_attr >> 16):
            return "is a link; a package holds only files."
        if info.flag_bits & 0x1:
            return "is encrypted."
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            return "uses a compression a package never uses."
        if info.file_size > MAX_EXPANSION * max(info.compress_size, 1) + CHUNK:
            return "expands far beyond its compressed size (a zip bomb?); it was not opened."
        return ""

    def open(self, relative: str) -> IO[bytes]:
        return self._archive.open(self._infos[relative])


def verify_package(path: Path) -> Verification:
    """Check a package folder or its zip against its manifest and SHA256SUMS.

    Returns every problem found, in plain words (none: verified). Raises nothing for a bad
    package; FileNotFoundError when ``path`` does not exist."""
    problems: list[Problem] = []
    with _opened(path, problems) as package:
        manifest = _check(package, problems) if package is not None else None
    rows = sum(d.rows for d in manifest.datasets) if manifest else 0
    datasets = len(manifest.datasets) if manifest else 0
    files = len(package.sizes) if package is not None else 0
    return Verification(path, tuple(problems), files, rows, datasets)


@contextmanager
def _opened(path: Path, problems: list[Problem]) -> Iterator[_Package | None]:
    if path.is_dir():
        yield _Folder(path, problems)
        return
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist.")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        problems.append(Problem(path.name, f"is neither a package folder nor a zip ({exc})."))
        yield None
        return
    with archive:
        yield _Zip(archive, problems)


def _check(package: _Package, problems: list[Problem]) -> Manifest | None:
    manifest = _read_manifest(package, problems)
    if manifest is None:  # nothing says what the folder should hold: hash nothing
        return None
    digests = _Digests(package, problems)
    listed = {f.path: f for f in manifest.files}
    for entry in manifest.files:
        if listed[entry.path] is not entry:
            problems.append(Problem(entry.path, "is listed in the manifest more than once."))
        elif not is_safe_path(entry.path) or entry.path in (MANIFEST, CHECKSUMS):
            problems.append(Problem(entry.path, "is not a path inside the package; not opened."))
        elif entry.path not in package.sizes:
            problems.append(Problem(entry.path, "is listed in the manifest but missing."))
        elif package.sizes[entry.path] != entry.size:
            problems.append(
                Problem(
                    entry.path,
                    f"has {package.sizes[entry.path]:,} bytes, the manifest says {entry.size:,}.",
                )
            )
        elif digests[entry.path] != entry.sha256:
            problems.append(Problem(entry.path, "does not match its SHA-256 in the manifest."))
    for name in sorted(set(package.sizes) - set(listed) - {MANIFEST, CHECKSUMS}):
        problems.append(Problem(name, "is not listed in the manifest."))
    _check_sums(package, digests, problems)
    for dataset in manifest.datasets:
        data = listed.get(dataset.file)
        if data is None or not is_safe_path(dataset.file):
            problems.append(Problem(dataset.file, f"the data of {dataset.name} is not listed."))
        elif dataset.file in package.sizes and digests[dataset.file] == data.sha256:
            _check_data(package, dataset, problems)
    return manifest


class _Digests:
    """Each file hashed once, when something names it: an extra file is reported, not read."""

    def __init__(self, package: _Package, problems: list[Problem]) -> None:
        self._package, self._problems = package, problems
        self._known: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        if name not in self._known:
            self._known[name] = _digest(self._package, name, self._problems)
        return self._known[name]


def _digest(package: _Package, name: str, problems: list[Problem]) -> str:
    """The file's SHA-256, reading no more than its listed size (a zip entry that lies about
    its size stops there)."""
    digest = hashlib.sha256()
    left = package.sizes[name] + 1
    try:
        with package.open(name) as stream:
            while left > 0 and (chunk := stream.read(min(CHUNK, left))):
                digest.update(chunk)
                left -= len(chunk)
    except (OSError, zipfile.BadZipFile) as exc:
        problems.append(Problem(name, f"cannot be read ({exc})."))
        return ""
    return digest.hexdigest()


def _read_manifest(package: _Package, problems: list[Problem]) -> Manifest | None:
    size = package.sizes.get(MANIFEST)
    if size is None:
        problems.append(Problem(MANIFEST, "is missing: nothing can be checked."))
        return None
    if size > MAX_MANIFEST_BYTES:
        problems.append(Problem(MANIFEST, "is too large to be a manifest."))
        return None
    with package.open(MANIFEST) as stream:
        data = stream.read(MAX_MANIFEST_BYTES + 1)
    try:
        return parse_manifest(data)
    except ManifestError as exc:
        problems.append(Problem(MANIFEST, str(exc)))
        return None


def _check_sums(package: _Package, digests: _Digests, problems: list[Problem]) -> None:
    size = package.sizes.get(CHECKSUMS)
    if size is None or size > MAX_MANIFEST_BYTES:
        problems.append(Problem(CHECKSUMS, "is missing." if size is None else "is too large."))
        return
    with package.open(CHECKSUMS) as stream:
        entries, bad = parse_checksums(stream.read(MAX_MANIFEST_BYTES + 1))
    for line in bad:
        problems.append(Problem(CHECKSUMS, f"{line} is not a checksum line."))
    expected = set(package.sizes) - {CHECKSUMS}
    for name in sorted(set(entries) - expected):
        problems.append(Problem(CHECKSUMS, f"lists {name!r}, which the package does not hold."))
    for name in sorted(expected - set(entries)):
        problems.append(Problem(CHECKSUMS, f"does not list {name}."))
    for name in sorted(set(entries) & expected):
        if entries[name] != digests[name]:
            problems.append(Problem(name, f"does not match its SHA-256 in {CHECKSUMS}."))


def _check_data(package: _Package, dataset: DatasetEntry, problems: list[Problem]) -> None:
    """Rows and columns of one data file against the manifest (Parquet from its footer, CSV
    counted as records, so a value with a line break counts once)."""
    expected = [f.name for f in dataset.fields]
    try:
        with package.open(dataset.file) as stream:
            if dataset.file.endswith(".parquet"):
                meta = pq.ParquetFile(stream)
                rows, columns = meta.metadata.num_rows, meta.schema_arrow.names
            elif dataset.file.endswith(".csv"):
                rows, columns = _count_csv(stream, expected)
            else:
                problems.append(Problem(dataset.file, "is neither Parquet nor CSV."))
                return
    except (pa.ArrowException, OSError, ValueError) as exc:
        problems.append(Problem(dataset.file, f"cannot be read as data ({exc})."))
        return
    if columns != expected:
        problems.append(
            Problem(dataset.file, f"has columns {columns}, the manifest says {expected}.")
        )
    if rows != dataset.rows:
        problems.append(
            Problem(dataset.file, f"has {rows:,} rows, the manifest says {dataset.rows:,}.")
        )


def _count_csv(stream: IO[bytes], expected: list[str]) -> tuple[int, list[str]]:
    reader = pa_csv.open_csv(
        stream,
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        # read as text: the count must not depend on type inference from the first block
        convert_options=pa_csv.ConvertOptions(column_types=dict.fromkeys(expected, pa.string())),
    )
    rows = sum(batch.num_rows for batch in reader)
    return rows, reader.schema.names
