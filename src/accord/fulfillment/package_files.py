"""The files of a package, each hashed as it is written.

A package's data can be ten million rows; hashing the bytes on their way to the disk costs one
pass of SHA-256 and no second read of the file (bench/package_bench.py measures both). A file
the source engine wrote itself is hashed on its one read, as it is copied into the zip
(``PackageZip``). Every file is flushed and fsynced before the package is moved into place, so
a crash after the move cannot leave a package whose checksums describe bytes that never
reached the disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from accord.csv_cells import NUMBER

# A cell a spreadsheet would run as a formula (csv_cells._runs, vectorised): after any leading
# apostrophes it starts with a trigger and is not a plain number.
_TRIGGER = r"^'*[=+\-@\t\r]"
_PLAIN_NUMBER = "^'*" + NUMBER.pattern + "$"


DICTIONARY_PAGE = 32 * 2**20  # bytes
COPY_CHUNK = 2**20  # bytes read at a time into the zip (zipfile's own 8 KiB took 60% longer)
_HASH_AHEAD = 8  # chunks read but not yet hashed, at most
DISTINCT_SHARE = 10  # a column with at most one value in ten distinct gets a dictionary


@dataclass(frozen=True)
class Written:
    path: str  # relative to the package folder, with "/" separators
    size: int
    sha256: str


class HashingFile:
    """A write-only binary file that hashes and counts what passes through it.

    It has ``tell`` but no ``seek``: pyarrow's writers only append, and ``zipfile`` then writes
    each entry's sizes after its data, so no byte is ever rewritten behind the hash's back.
    """

    def __init__(self, path: Path) -> None:
        self._file = path.open("xb")  # a package's files are new; never written over
        self._hash = hashlib.sha256()
        self._size = 0
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> int:
        view = memoryview(data)
        self._file.write(view)
        self._hash.update(view)
        self._size += view.nbytes
        return view.nbytes

    def tell(self) -> int:
        return self._size

    def flush(self) -> None:
        self._file.flush()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    def close(self) -> None:
        """Flush and fsync; pyarrow and zipfile close the file they were given, so this is
        idempotent and ``done`` reads the totals afterwards."""
        if not self.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self.closed = True

    def abort(self) -> None:
        """Close without the sync; what is buffered may not fit (a full disk) and the caller
        removes the file anyway."""
        self.closed = True
        with contextlib.suppress(OSError):
            self._file.close()

    def done(self, relative: str) -> Written:
        self.close()
        return Written(relative, self._size, self._hash.hexdigest())

    def __enter__(self) -> HashingFile:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


class PackageZip:
    """The package's zip, written as its files are finished, hashed as it is written.

    Each entry is under a top folder ``<name>/``, so unzipping gives the package folder.
    Parquet and Excel files are stored (they are compressed already), other data deflated at
    ``data_level`` and text at ``text_level``.
    """

    STORED = (".parquet", ".xlsx")

    def __init__(self, path: Path, name: str, *, data_level: int, text_level: int) -> None:
        self._sink = HashingFile(path)
        # the sink cannot seek: zipfile writes each entry's sizes after its data instead
        self._archive = zipfile.ZipFile(self._sink, "w", allowZip64=True)
        self._name, self._data_level, self._text_level = name, data_level, text_level
        self._added: set[str] = set()

    def __contains__(self, relative: str) -> bool:
        return relative in self._added

    def add(self, folder: Path, relative: str) -> Written:
        """Copy ``folder/relative`` into the zip; the file as read (its size and SHA-256),
        after syncing it to disk."""
        source = folder / relative
        if relative.endswith(self.STORED):
            self._archive.compression, self._archive.compresslevel = zipfile.ZIP_STORED, None
        else:
            deflate = self._data_level if relative.startswith("data/") else self._text_level
            self._archive.compression, self._archive.compresslevel = zipfile.ZIP_DEFLATED, deflate
        digest, size, queued = hashlib.sha256(), 0, deque[Future[None]]()
        # The file's hash is taken by a thread of its own, chunk by chunk in order, while this
        # one writes the zip (its CRC, its own hash, the write): both let go of the GIL on a
        # chunk this large, so the two hashes take one core each (10M rows: 0.6 -> 0.4 s).
        with (
            ThreadPoolExecutor(1, thread_name_prefix="accord-hash") as hashing,
            source.open("rb") as read,
            self._archive.open(f"{self._name}/{relative}", "w", force_zip64=True) as entry,
        ):
            while chunk := read.read(COPY_CHUNK):
                queued.append(hashing.submit(digest.update, chunk))
                entry.write(chunk)
                size += len(chunk)
                if len(queued) > _HASH_AHEAD:  # a slow hash must not hold the file in memory
                    queued.popleft().result()
            os.fsync(read.fileno())
        self._added.add(relative)
        return Written(relative, size, digest.hexdigest())

    def close(self, relative: str) -> Written:
        """Finish the zip (its central directory), sync it, and give its size and SHA-256."""
        self._archive.close()
        return self._sink.done(relative)

    def abort(self) -> None:
        """Give up the zip, which the caller removes: its end is written (or fails to be) now
        rather than when it is collected."""
        with contextlib.suppress(OSError, ValueError):
            self._archive.close()
        self._sink.abort()


def write_bytes(folder: Path, relative: str, data: bytes) -> Written:
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    with HashingFile(target) as sink:
        sink.write(data)
    return sink.done(relative)


@dataclass(frozen=True)
class DataFile:
    written: Written
    rows: int
    schema: pa.Schema


def write_data(
    folder: Path,
    relative: str,
    kind: str,
    columns: list[str],
    batches: Iterable[pa.RecordBatch],
    on_batch: Callable[[int], None],
    *,
    dictionary: Sequence[str] = (),
    engine_copy: Callable[[Path, Callable[[float], None]], bool] | None = None,
    expected_rows: int | None = None,
    settle: Callable[[Path, str], Written] | None = None,
) -> DataFile:
    """Stream batches into one Parquet or CSV file; only one batch is in memory at a time.

    Every batch must carry exactly ``columns``, in order: the plan is the contract, and a
    column the plan dropped must never reach a recipient because an extraction slipped.
    ``engine_copy``, when the source engine offers it, writes a Parquet file itself; the
    batches are then not read, and the file is held to the same contract. Its progress is a
    share of ``expected_rows`` (when known), reported through ``on_batch`` as rows. ``settle``
    then reads the file once, hashing and syncing it (``PackageZip.add``, which zips it on the
    way); by default it is only hashed and synced.
    """
    target = folder / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if kind == "parquet" and engine_copy is not None:
        reported = 0

        def on_share(share: float) -> None:
            nonlocal reported
            now = int(min(share, 1.0) * expected_rows) if expected_rows and share > 0 else 0
            on_batch(max(now - reported, 0))  # also where a cancel is heard
            reported = max(now, reported)

        if engine_copy(target, on_share):
            copied = _copied(folder, relative, columns, settle or _settle)
            on_batch(copied.rows - reported)
            return copied
        target.unlink(missing_ok=True)
    rows = 0
    schema: pa.Schema | None = None
    with HashingFile(target) as sink:
        writer: pq.ParquetWriter | pa_csv.CSVWriter | None = None
        try:
            for batch in batches:
                if batch.schema.names != columns:
                    raise ValueError(
                        f"{relative}: the extraction gave columns {batch.schema.names}, "
                        f"the plan delivers {columns}."
                    )
                if writer is None:
                    schema = batch.schema
                    writer = _open_writer(sink, kind, schema, batch, dictionary)
                out = _formula_safe(batch) if kind == "csv" else batch
                writer.write_batch(out)
                rows += batch.num_rows
                on_batch(batch.num_rows)
            if writer is None:  # no rows at all: the header / schema still tells the columns
                schema = pa.schema([(name, pa.string()) for name in columns])
                writer = _open_writer(sink, kind, schema)
        finally:
            if writer is not None:
                writer.close()
    assert schema is not None
    return DataFile(sink.done(relative), rows, schema)


def _copied(
    folder: Path, relative: str, columns: list[str], settle: Callable[[Path, str], Written]
) -> DataFile:
    """A Parquet file the engine wrote, checked against the plan, then settled."""
    meta = pq.read_metadata(folder / relative)
    schema = meta.schema.to_arrow_schema()
    if schema.names != columns:
        raise ValueError(
            f"{relative}: the engine wrote columns {schema.names}, the plan delivers {columns}."
        )
    return DataFile(settle(folder, relative), meta.num_rows, schema)


def _settle(folder: Path, relative: str) -> Written:
    """Hash and sync a file written by someone else."""
    digest, size = hashlib.sha256(), 0
    with (folder / relative).open("rb") as written:
        while chunk := written.read(COPY_CHUNK):
            digest.update(chunk)
            size += len(chunk)
        os.fsync(written.fileno())
    return Written(relative, size, digest.hexdigest())


def _open_writer(
    sink: HashingFile,
    kind: str,
    schema: pa.Schema,
    first: pa.RecordBatch | None = None,
    always: Sequence[str] = (),
) -> pq.ParquetWriter | pa_csv.CSVWriter:
    """``always``: columns given a Parquet dictionary whatever the first batch suggests."""
    if kind == "csv":
        return pa_csv.CSVWriter(sink, _csv_schema(schema))
    dictionary: bool | list[str] = (
        True if first is None else sorted(set(_repetitive(first)) | set(always))
    )
    return pq.ParquetWriter(
        sink,
        schema,
        compression="zstd",
        use_dictionary=dictionary,
        # a batch's pseudonyms (32 characters each) can fill more than the default 1 MiB page,
        # after which the writer silently falls back to plain encoding
        dictionary_pagesize_limit=DICTIONARY_PAGE,
    )


def _repetitive(batch: pa.RecordBatch) -> list[str]:
    """The columns worth a Parquet dictionary, judged on the first batch (as DuckDB judges by
    cardinality). pyarrow's default tries one on every column and falls back on identifiers,
    notes and measures after writing a useless dictionary page: at 10M rows x 12 columns the
    file was twice as large and a third slower (bench/package_bench.py)."""
    names = []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        if pa.types.is_nested(field.type):
            continue
        if pc.count_distinct(column).as_py() <= max(batch.num_rows // DISTINCT_SHARE, 1):
            names.append(field.name)
    return names


def _text_in_csv(kind: pa.DataType) -> bool:
    """Columns whose text could start like a formula; integers and booleans never do."""
    return not (pa.types.is_integer(kind) or pa.types.is_boolean(kind))


def _csv_schema(schema: pa.Schema) -> pa.Schema:
    return pa.schema(
        [pa.field(f.name, pa.large_string() if _text_in_csv(f.type) else f.type) for f in schema]
    )


def _formula_safe(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch as csv_cells.safe would write it, one column at a time in Arrow."""
    columns = []
    for column, field in zip(batch.columns, batch.schema, strict=True):
        if _text_in_csv(field.type):
            column = safe_text(column.cast(pa.large_string()))
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, schema=_csv_schema(batch.schema))


def safe_text(column: pa.Array) -> pa.Array:
    """``csv_cells.safe`` over a text column: an apostrophe before a cell that would run."""
    starts = pc.match_substring_regex(column, _TRIGGER)
    if not pc.any(starts).as_py():  # the usual column: nothing looks like a formula
        return column
    runs = pc.and_not(starts, pc.match_substring_regex(column, _PLAIN_NUMBER))
    text = pa.large_string()
    escaped = pc.binary_join_element_wise(pa.scalar("'", text), column, pa.scalar("", text))
    return pc.if_else(pc.fill_null(runs, False), escaped, column)
