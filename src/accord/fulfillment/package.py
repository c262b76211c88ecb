"""Writing a fulfillment package: the data, its dictionaries, a README and checksums, whole or
not at all.

Everything is written into a hidden temporary folder beside the final one (same filesystem, so
the move is one rename), fsynced, zipped into a hidden temporary file (each data file as soon as
it is written, the rest once the manifest is), and only then renamed to
``root/<name>/`` and ``root/<name>.zip``. A failure at any point (a full disk, a bad batch, a
job cancelled through ``progress``) removes the temporary files: a delivery that watches
``root`` sees a complete, checksummed package or nothing. No database is touched, so a job, a
benchmark or a test calls it alike.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa

from accord.catalog.dictionary import FORMATS, Dictionary, GlossaryEntry
from accord.csv_cells import safe_row
from accord.errors import Conflict
from accord.fulfillment.manifest import (
    CHECKSUMS,
    MANIFEST,
    DatasetEntry,
    FieldEntry,
    FileEntry,
    Manifest,
    checksums_text,
    file_stem,
    is_safe_path,
)
from accord.fulfillment.package_files import PackageZip, Written, write_bytes, write_data
from accord.fulfillment.plan import DatasetPlan, Plan, Rule
from accord.fulfillment.readme import About, readme_text

# progress(rows written so far, what is being done): a run adapts it to the job's Progress
RowsWritten = Callable[[int, str], None]
DICTIONARY_FORMATS = ("csv", "xlsx", "table-schema")
# Deflate's fastest level for the data: at 10M rows of CSV level 6 took about five times as
# long for a zip only a fifth smaller (bench/package_bench.py).
_DATA_LEVEL, _TEXT_LEVEL = 1, 6
_OWN = ("data", "dictionary", "README.md", MANIFEST, CHECKSUMS)  # names an extra cannot take


@dataclass(frozen=True)
class PackageResult:
    path: Path  # root/<name>/
    zip_path: Path  # root/<name>.zip
    zip_sha256: str
    zip_size: int
    rows: dict[str, int]  # dataset name -> rows delivered
    files: dict[str, str]  # relative path -> SHA-256, every file of the folder


def write_package(
    root: Path,
    name: str,
    plan: Plan,
    tables: Iterable[tuple[DatasetPlan, Iterable[pa.RecordBatch]]],
    *,
    dictionaries: Mapping[str, Dictionary],
    glossary: Sequence[GlossaryEntry],
    about: About,
    progress: RowsWritten | None = None,
    created_at: datetime | None = None,
    extras: Mapping[str, bytes] | None = None,
) -> PackageResult:
    """Write the package ``root/<name>/`` and ``root/<name>.zip`` from streamed batches.

    ``tables`` gives each dataset of the plan with its batches, whose columns must be the
    plan's delivered fields in order; ``dictionaries`` maps each dataset's name to its
    dictionary, already restricted to those fields. Raises Conflict when ``root/<name>`` or
    ``root/<name>.zip`` exists, ValueError when the batches or dictionaries disagree with the
    plan; whatever ``tables`` or ``progress`` raise (a cancelled job) passes through. On any
    error nothing is left behind. ``extras`` are further files by relative path (an aggregate
    release's DDG report), written before the manifest so that it lists and checksums them.
    """
    _check_name(name)
    _check_extras(extras or {})
    final, final_zip = root / name, root / f"{name}.zip"
    _refuse_existing(final, final_zip)
    created = (created_at or datetime.now(UTC)).isoformat(timespec="seconds")
    report: RowsWritten = progress or (lambda rows, step: None)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
    tmp_zip = tmp.with_name(tmp.name + ".zip")
    archive: PackageZip | None = None
    try:
        archive = PackageZip(tmp_zip, name, data_level=_DATA_LEVEL, text_level=_TEXT_LEVEL)
        manifest, written = _write_folder(
            tmp,
            name,
            plan,
            tables,
            dictionaries,
            glossary,
            about,
            created,
            report,
            extras or {},
            archive,
        )
        report(_total(manifest), f"Zipping {name}.zip")
        for w in written:
            if w.path not in archive:  # the data files went in as they were written
                archive.add(tmp, w.path)
        zipped = archive.close(tmp_zip.name)
        _fsync_dir(tmp)
        _move_into_place(tmp, tmp_zip, final, final_zip)
    except BaseException:
        if archive is not None:
            archive.abort()
        shutil.rmtree(tmp, ignore_errors=True)
        tmp_zip.unlink(missing_ok=True)
        raise
    # no report after the move: a job cancelled now would raise over a finished package
    return PackageResult(
        path=final,
        zip_path=final_zip,
        zip_sha256=zipped.sha256,
        zip_size=zipped.size,
        rows={d.name: d.rows for d in manifest.datasets},
        files={w.path: w.sha256 for w in written},
    )


def _check_name(name: str) -> None:
    if "/" in name or not is_safe_path(name):
        raise ValueError(f"{name!r} cannot name a package folder: use letters, digits, . _ -")


def _check_extras(extras: Mapping[str, bytes]) -> None:
    """An extra file may not take the place of one the package writes itself."""
    for path in extras:
        if not is_safe_path(path) or path.split("/")[0] in _OWN or path == "glossary.csv":
            raise ValueError(f"{path!r} cannot name an extra file of a package.")


def _refuse_existing(*paths: Path) -> None:
    for path in paths:
        if os.path.lexists(path):
            raise Conflict(f"{path} exists already; a package is never written over.")


def _total(manifest: Manifest) -> int:
    return sum(d.rows for d in manifest.datasets)


def _write_folder(
    folder: Path,
    name: str,
    plan: Plan,
    tables: Iterable[tuple[DatasetPlan, Iterable[pa.RecordBatch]]],
    dictionaries: Mapping[str, Dictionary],
    glossary: Sequence[GlossaryEntry],
    about: About,
    created: str,
    report: RowsWritten,
    extras: Mapping[str, bytes],
    archive: PackageZip,
) -> tuple[Manifest, list[Written]]:
    """Write every file of the package, each data file into ``archive`` too; return the
    manifest and every file written."""
    written: list[Written] = []
    datasets: list[DatasetEntry] = []
    done = 0
    planned = {d.name for d in plan.datasets}
    for dataset, batches in tables:
        if dataset.name not in planned or dataset.name in {d.name for d in datasets}:
            raise ValueError(f"{dataset.name} is not in the plan, or is given twice.")
        relative = f"data/{file_stem(dataset.name)}.{plan.format}"
        report(done, f"Writing {relative}")

        def on_batch(rows: int, relative: str = relative) -> None:
            nonlocal done
            done += rows
            report(done, f"Writing {relative}")

        columns = [f.name for f in dataset.delivered]
        # a pseudonym repeats wherever its person does: worth a dictionary whatever the first
        # batch suggests (at 10M rows the package was 394 MB without one)
        keyed = [f.name for f in dataset.delivered if f.rule is Rule.PSEUDONYMISE]
        data = write_data(
            folder,
            relative,
            plan.format,
            columns,
            batches,
            on_batch,
            dictionary=keyed,
            engine_copy=getattr(batches, "copy_parquet", None),
            expected_rows=getattr(batches, "counted", None),
            settle=archive.add,
        )
        if data.written.path not in archive:  # streamed, so hashed as it was written
            zipped = archive.add(folder, relative)
            if zipped.sha256 != data.written.sha256:
                raise OSError(f"{relative} changed on disk while the package was written.")
        written.append(data.written)
        rules = {f.name: f.rule.value for f in dataset.delivered}
        fields = tuple(FieldEntry(f.name, str(f.type), rules[f.name]) for f in data.schema)
        datasets.append(DatasetEntry(dataset.name, relative, data.rows, fields))
        report(done, f"Writing the dictionary of {dataset.name}")
        written += _write_dictionary(folder, dataset, dictionaries)
    missing = planned - {d.name for d in datasets}
    if missing:
        raise ValueError(f"No data was given for {', '.join(sorted(missing))}.")
    written.append(write_bytes(folder, "glossary.csv", _glossary_csv(glossary)))
    written += [write_bytes(folder, path, data) for path, data in extras.items()]
    manifest = Manifest(
        agreement_id=plan.agreement_id,
        version=plan.version,
        created_at=created,
        format=plan.format,
        release=plan.release,
        datasets=tuple(datasets),
        files=tuple(FileEntry(w.path, w.size, w.sha256) for w in written),
    )
    readme = readme_text(name, plan, about, manifest)
    written.append(write_bytes(folder, "README.md", readme.encode("utf-8")))
    manifest = replace(manifest, files=tuple(FileEntry(w.path, w.size, w.sha256) for w in written))
    # the manifest last but the list that covers it: it describes the finished folder
    written.append(write_bytes(folder, MANIFEST, manifest.to_bytes()))
    sums = checksums_text((w.path, w.sha256) for w in written)
    written.append(write_bytes(folder, CHECKSUMS, sums))
    for sub in ("data", "dictionary"):
        _fsync_dir(folder / sub)
    return manifest, written


def _write_dictionary(
    folder: Path, dataset: DatasetPlan, dictionaries: Mapping[str, Dictionary]
) -> list[Written]:
    dictionary = dictionaries.get(dataset.name)
    if dictionary is None:
        raise ValueError(f"No data dictionary was given for {dataset.name}.")
    delivered = {f.name for f in dataset.delivered}
    extra = [f.name for f in dictionary.fields if f.name not in delivered]
    if extra:
        raise ValueError(
            f"The dictionary of {dataset.name} describes fields not delivered: {', '.join(extra)}"
        )
    stem = file_stem(dataset.name)
    return [
        write_bytes(
            folder,
            f"dictionary/{stem}.{FORMATS[kind].extension}",
            FORMATS[kind].render(dictionary),
        )
        for kind in DICTIONARY_FORMATS
    ]


def _glossary_csv(glossary: Sequence[GlossaryEntry]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["term", "acronym", "definition", "fields"])
    for g in glossary:
        writer.writerow(safe_row([g.term, g.acronym, g.definition, "; ".join(g.fields)]))
    # a byte-order mark, as the dictionary's CSV has, so that Excel reads it as UTF-8
    return out.getvalue().encode("utf-8-sig")


def _move_into_place(tmp: Path, tmp_zip: Path, final: Path, final_zip: Path) -> None:
    """The folder first, then the zip, so a delivery watching for ``<name>.zip`` finds the
    folder beside it. Neither is ever written over: a folder that appeared meanwhile stops
    the move, and the zip is linked (which fails on an existing name), not renamed."""
    _refuse_existing(final, final_zip)
    os.rename(tmp, final)
    try:
        os.link(tmp_zip, final_zip)
    except BaseException:
        os.rename(final, tmp)  # back out of sight; the caller removes it
        raise
    tmp_zip.unlink()
    _fsync_dir(final.parent)


def _fsync_dir(path: Path) -> None:
    """A rename or a new file is durable once its directory is synced (POSIX)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
