"""Long-format tables in, validated cubes out (DDG.md §11.1 rule 5: one value per record).

Reading keeps every cell as text first, so "3.5", "-2" or "abc" in a count column are reported
as what they are instead of being silently coerced. All problems are collected (issue 5, "Bad
input"): unknown columns, non-integer or negative counts, duplicate cells, hierarchies with
cycles or orphans, and margins that do not add up.

A linked release (SPEC `publish`, DDG.md §10.4 R6) reads one cross-tabulation and publishes
several of its faces; `published_view` turns the input into the rows those tables print, and
`merge_faces` reads such a release back for an audit. `read_previously_suppressed` marks the
cells an earlier release withheld.

A release publishes only what its SPEC describes (`undescribed_columns`): a column nobody
described may hold counts, and would leave unprotected. A wide table (SPEC `wide`) is read
into the long form first (`melt_wide`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from accord.csv_cells import restored
from accord.deid.findings import Finding
from accord.deid.model.availability import no_data_margins, read_availability
from accord.deid.model.cube import Cube, cube_from_codes
from accord.deid.model.hierarchy import Dimension, IntArray, build_dimension
from accord.deid.quoting import quoted, shown
from accord.deid.spec.spec import TableSpec, table_name

MAX_ROW_FINDINGS = 50
TABLE_COLUMN = "table"  # names the published table of each record of a linked release
WITHHELD_CODES = ("1", "2")  # ODP annotation codes of a privacy suppression (§11.1)
_INT = re.compile(r"^\s*\d+(\.0*)?\s*$")
_NUM = re.compile(r"^\s*-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


@dataclass
class LongTable:
    """Columns as text, exactly as read; blanks are empty strings."""

    names: list[str]
    columns: dict[str, list[str]]

    @property
    def n_rows(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0


@dataclass
class LoadedTable:
    """A table placed in its cube; `row_cell[i]` is the cell of row i.

    `earlier` marks cells withheld in an earlier related release (SPEC previously_suppressed).
    `on_faces` is set on the view of a linked release (`published_view`): the cells printed in
    some table of the release; the rows are then those tables' records, not the input's.
    """

    table: LongTable
    cube: Cube
    row_cell: IntArray
    blank: npt.NDArray[np.bool_]
    earlier: npt.NDArray[np.bool_] | None = None
    on_faces: npt.NDArray[np.bool_] | None = None
    availability: npt.NDArray[np.int8] | None = None  # per row: 0, 3 or 5 (availability.py)


def read_table(path: Path) -> tuple[LongTable | None, list[Finding]]:
    """CSV (header row) or Parquet; everything as text."""
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            import pyarrow.parquet as pq

            t = pq.read_table(path)
            cols = {
                n: ["" if v is None else str(v) for v in t.column(n).to_pylist()]
                for n in t.column_names
            }
            return LongTable(list(t.column_names), cols), []
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, delimiter=_delimiter(fh.readline()))
            fh.seek(0)
            first = next(reader, None)
            if first is None:
                return None, [Finding("empty-table", "11.1", f"{path} is empty")]
            header = [restored(h) for h in first]  # a released table.csv reads back as it was
            data: dict[str, list[str]] = {h: [] for h in header}
            for i, rec in enumerate(reader, start=2):
                if len(rec) != len(header):
                    return None, [
                        Finding(
                            "bad-table",
                            "11.1",
                            f"{path}:{i}: {len(rec)} fields, header has {len(header)}",
                        )
                    ]
                for h, v in zip(header, rec, strict=True):
                    data[h].append(restored(v))
            return LongTable(header, data), []
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as exc:  # csv: a field over 128 KB
        return None, [Finding("bad-table", "11.1", f"cannot read {path}: {exc}")]


def _delimiter(header: str) -> str:
    """Comma, unless the header has none and is split by semicolons or tabs, as spreadsheets
    in many locales save "CSV"."""
    if "," in header:
        return ","
    return max(";\t", key=header.count) if any(c in header for c in ";\t") else ","


_THOUSANDS = re.compile(r"^\d{1,3}([,' ]\d{3})+$")  # 1,234 (1.234 may be a decimal)
# a value a reader takes for a number: 12, 1,234, 3.5%, $40, -2, 1e3
_NUMBER_LIKE = re.compile(r"^\s*[-+]?\$?\s*(\d[\d,' ]*\.?\d*|\.\d+)([eE][-+]?\d+)?\s*%?\s*$")


def _parse_counts(
    table: LongTable, spec: TableSpec, allow_blank: bool
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_], list[Finding]]:
    raw = table.columns[spec.count]
    counts = np.zeros(len(raw), dtype=np.float64)
    blank = np.zeros(len(raw), dtype=bool)
    problems: list[Finding] = []
    for i, text in enumerate(raw):
        t = text.strip()
        if t == "":
            if allow_blank:
                blank[i], counts[i] = True, np.nan
                continue
            problems.append(Finding("count-missing", "11.1", "count is blank", row=i + 1))
        elif _INT.match(t):
            counts[i] = float(t)
        elif _NUM.match(t) and float(t) < 0:
            problems.append(
                Finding("count-negative", "2", f"negative count {quoted(t)}", row=i + 1)
            )
        else:
            hint = " (write it without thousands separators)" if _THOUSANDS.match(t) else ""
            problems.append(
                Finding(
                    "count-not-integer",
                    "2",
                    f"count {quoted(t)} is not a whole number{hint}",
                    row=i + 1,
                )
            )
    return counts, blank, problems


def _capped(problems: list[Finding]) -> list[Finding]:
    if len(problems) <= MAX_ROW_FINDINGS:
        return problems
    extra = len(problems) - MAX_ROW_FINDINGS
    return [
        *problems[:MAX_ROW_FINDINGS],
        Finding("more-problems", "11", f"... and {extra} more problems of these kinds"),
    ]


def build_cube(
    table: LongTable, spec: TableSpec, published: bool = False
) -> tuple[LoadedTable | None, list[Finding]]:
    """Validate `table` against `spec` and place it in a cube.

    `published` reads a table released elsewhere: blank counts are suppressed values (unknown),
    and margins not printed are unknown unless every part is known. A published linked release
    (SPEC `publish`) prints faces of a cross-tabulation whose interior it never shows: there
    every cell not printed is unknown, and no printed total is checked against parts.
    """
    faces = published and bool(spec.publish)
    findings: list[Finding] = []
    has = ", ".join(quoted(n) for n in table.names[:20]) + (", …" if len(table.names) > 20 else "")
    for col in spec.columns():
        if col not in table.columns:
            findings.append(
                Finding(
                    "unknown-column",
                    "11",
                    f"SPEC names column {quoted(col)}, which TABLE does not have (it has {has})",
                )
            )
    if spec.publish and TABLE_COLUMN in table.columns and TABLE_COLUMN not in spec.columns():
        findings.append(
            Finding(
                "publish-column-taken",
                "11.1",
                f"a linked release writes the table's name in column {TABLE_COLUMN!r}, which "
                "TABLE already has",
            )
        )
    if findings:
        return None, findings
    n = table.n_rows
    availability: npt.NDArray[np.int8] | None = None
    counted = table
    if spec.availability:  # a no-data row's blank adds nothing to its margins
        availability, count_text, problems = read_availability(
            table.columns, spec.availability, spec.count
        )
        findings.extend(problems)
        counted = LongTable(table.names, {**table.columns, spec.count: count_text})
    counts, blank, problems = _parse_counts(counted, spec, allow_blank=published)
    for den in [spec.denominator] if spec.denominator else []:
        for i, t in enumerate(table.columns[den]):
            if t.strip() and not _NUM.match(t):
                problems.append(
                    Finding(
                        "bad-denominator",
                        "6",
                        f"{shown(den)} {quoted(t)} is not a number",
                        row=i + 1,
                    )
                )
    dims: list[Dimension] = []
    codes: list[IntArray] = []
    for name in spec.dimensions:
        text = [v.strip() for v in table.columns[name]]
        for i, v in enumerate(text):
            if v == "":
                problems.append(
                    Finding("dimension-blank", "11.1", f"{shown(name)} is blank", row=i + 1)
                )
        dim, hf = build_dimension(
            name,
            text,
            spec.total_label,
            spec.hierarchies.get(name),
            inclusive=name in spec.inclusive,
        )
        findings.extend(hf)
        if dim is not None:
            dims.append(dim)
            index = dim.index
            codes.append(np.array([index.get(v, 0) for v in text], dtype=np.int64))
    findings.extend(_capped(problems))
    if findings or len(dims) != len(spec.dimensions):
        return None, findings
    shape = tuple(d.size for d in dims)
    flat = np.ravel_multi_index(tuple(codes), shape) if n else np.zeros(0, dtype=np.int64)
    uniq, first, seen = np.unique(flat, return_index=True, return_counts=True)
    for cell, count in zip(uniq[seen > 1], seen[seen > 1], strict=True):
        row = int(first[uniq == cell][0])
        findings.append(
            Finding("duplicate-cell", "11.1", f"{count} rows describe the same cell", row=row + 1)
        )
    if findings:
        return None, _capped(findings)
    if np.prod(shape, dtype=np.float64) > 50_000_000:
        return None, [
            Finding(
                "table-too-large", "10.4", f"the table's full cube has {int(np.prod(shape))} cells"
            )
        ]
    cube = cube_from_codes(dims, codes, counts)
    values = cube.values.copy()
    row_cell = np.asarray(flat, dtype=np.int64)
    margin_rows = ~cube.is_base[row_cell]
    findings.extend(_inclusive_totals_missing(cube))
    if availability is not None:
        findings.extend(no_data_margins(cube, row_cell, availability))
    computed = values[row_cell]
    given = counts
    bad = margin_rows & ~np.isnan(computed) & ~np.isnan(given) & (computed != given)
    if faces:
        bad[:] = False  # the parts of a printed total are not printed: nothing to add up
    for i in np.flatnonzero(bad)[:MAX_ROW_FINDINGS].tolist():
        findings.append(
            Finding(
                "margin-mismatch",
                "10.4",
                f"total {int(given[i])} does not equal the sum of its parts {int(computed[i])}",
                cell=cube.labels(int(row_cell[i])),
                row=i + 1,
            )
        )
    if findings:
        return None, findings
    if faces:
        values = np.full(cube.size, np.nan)
        printed = ~np.isnan(given)
        values[row_cell[printed]] = given[printed]
        cube = Cube(cube.dims, values, cube.row)
    elif published:
        printed = margin_rows & ~np.isnan(given)
        values[row_cell[printed]] = given[printed]
        values[row_cell[margin_rows & np.isnan(given)]] = np.nan
        cube = Cube(cube.dims, values, cube.row)
    return LoadedTable(table, cube, row_cell, blank, availability=availability), []


def undescribed_columns(table: LongTable, spec: TableSpec) -> list[Finding]:
    """Columns a release would publish without knowing what they hold, each named: any
    column the SPEC does not describe, and a column of numbers passed through without the
    reason it is safe (it may be a count, DDG.md §10.2)."""
    described = {*spec.published_columns(), *spec.read_only_columns()}
    problems = []
    for position, name in enumerate(table.names, start=1):
        if name in described:
            continue
        label = quoted(name) if name.strip() else f"number {position} (it has no header)"
        problems.append(
            Finding(
                "undescribed-column",
                "11",
                f"column {label} is not described by the SPEC, so it cannot be published: name "
                "it as a dimension, the count, the denominator or a statistic, list it under "
                "pass_through if it is text that carries no counts, or remove it from the table",
                details={"column": name},
            )
        )
    for name, why in spec.pass_through.items():
        values = table.columns.get(name)
        if why or values is None:
            continue
        numbers = [i for i, v in enumerate(values) if v.strip() and _NUMBER_LIKE.match(v)]
        if numbers:
            problems.append(
                Finding(
                    "pass-through-numeric",
                    "11",
                    f"column {quoted(name)} is passed through but holds numbers "
                    f"({quoted(values[numbers[0]])} in row {numbers[0] + 1}): a number published "
                    "as it is may be a small count. Describe it (count, denominator, statistic), "
                    f"or say why it is safe: pass_through: {{{shown(name)}: <reason>}}",
                    details={"column": name},
                )
            )
    return problems


def melt_wide(table: LongTable, spec: TableSpec) -> tuple[LongTable | None, list[Finding]]:
    """A wide table in the long form: each row becomes one record per column of
    `wide.columns` (the header is the category of `wide.dimension`) and one for `wide.total`
    (labelled with the SPEC's total label), so the file's total is checked against its cells
    and then published as a margin. A blank or text value is reported with its row and
    column as the file has them. A table that already has the dimension column (a release
    read back) is returned as it is."""
    wide = spec.wide
    if wide is None or wide.dimension in table.columns:
        return table, []
    value_columns = [*wide.columns, *([wide.total] if wide.total else [])]
    missing = [c for c in value_columns if c not in table.columns]
    if missing:
        has = ", ".join(quoted(n) for n in table.names[:20])
        return None, [
            Finding(
                "unknown-column",
                "11.1",
                f"wide names column {quoted(c)}, which TABLE does not have (it has {has})",
            )
            for c in missing
        ]
    if spec.count in table.columns:
        return None, [
            Finding(
                "bad-spec",
                "11.1",
                f"a wide table's counts are in its columns; the count {quoted(spec.count)} names "
                "the column the long form gets, and TABLE already has one of that name",
            )
        ]
    labels = [*wide.columns, *([spec.total_label] if wide.total else [])]
    kept = [n for n in table.names if n not in value_columns]
    columns: dict[str, list[str]] = {n: [] for n in [*kept, wide.dimension, spec.count]}
    problems: list[Finding] = []
    for i in range(table.n_rows):
        for column, label in zip(value_columns, labels, strict=True):
            value = table.columns[column][i]
            if not _INT.match(value):
                problems.append(
                    Finding(
                        "count-not-integer",
                        "2",
                        f"{shown(column)} {quoted(value.strip())} is not a whole number",
                        row=i + 1,
                        details={"column": column},
                    )
                )
            for name in kept:
                columns[name].append(table.columns[name][i])
            columns[wide.dimension].append(label)
            columns[spec.count].append(value)
    if problems:
        return None, _capped(problems)
    return LongTable([*kept, wide.dimension, spec.count], columns), []


def _inclusive_totals_missing(cube: Cube) -> list[Finding]:
    """A select-all-that-apply dimension's total counts people, not answers, so it cannot be
    summed from its categories: the table must print it wherever it prints the categories."""
    findings: list[Finding] = []
    interior = cube.is_interior & (cube.row >= 0)
    for j, d in enumerate(cube.dims):
        if not d.inclusive:
            continue
        at_total = np.flatnonzero(interior) - cube.coord_arrays[j][interior] * cube.strides[j]
        missing = np.unique(at_total[cube.row[at_total] < 0])
        for cell in missing[:MAX_ROW_FINDINGS].tolist():
            findings.append(
                Finding(
                    "inclusive-total-missing",
                    "16",
                    f"{d.name} is select-all-that-apply, so its total is not the sum of its "
                    "categories: the table needs this total row (§16 A22)",
                    cell=cube.labels(int(cell)),
                )
            )
    return findings


def face_cells(cube: Cube, inside: Sequence[int]) -> npt.NDArray[np.bool_]:
    """The cells of one linked table: those whose dimensions outside it are at their totals."""
    mask = np.ones(cube.size, dtype=bool)
    for j in range(len(cube.dims)):
        if j not in inside:
            mask &= cube.coord_arrays[j] == 0
    return mask


def published_view(loaded: LoadedTable, spec: TableSpec) -> LoadedTable:
    """The records of a linked release: for each table of SPEC `publish`, in order, every cell
    of its face (the cells whose other dimensions are at the total), categories before totals.

    A total shared by two tables (the county margin of county × age and county × sex) is one
    cell printed in each. Cells that no input row printed (margins) get rows of their own; a
    dimension outside a table is written with the total label. Beside the table's name, the
    dimensions, the count and the denominator, only columns passed through with one value in
    every input row are carried: other columns describe input rows, not margins. Without
    `publish`, or for a view already, `loaded` itself.
    """
    if not spec.publish or loaded.on_faces is not None:
        return loaded
    cube, table = loaded.cube, loaded.table
    position = {name: j for j, name in enumerate(spec.dimensions)}
    on_faces = np.zeros(cube.size, dtype=bool)
    blocks: list[IntArray] = []
    names: list[str] = []
    for face in spec.publish:
        inside = [position[d] for d in spec.dimensions if d in face]
        mask = face_cells(cube, inside)
        cells = np.flatnonzero(mask)
        keys: list[IntArray] = []
        for j in inside:
            code = cube.coord_arrays[j][cells]
            keys.extend([(code == 0).astype(np.int64), code])
        blocks.append(cells[np.lexsort(keys[::-1])])
        names.extend([table_name(face)] * len(cells))
        on_faces |= mask
    row_cell = np.concatenate(blocks).astype(np.int64)
    carried = [spec.count, *([spec.denominator] if spec.denominator else [])]
    constant = [
        n
        for n in table.names
        if n in spec.pass_through and n not in carried and len(set(table.columns[n])) == 1
    ]
    columns: dict[str, list[str]] = {TABLE_COLUMN: names}
    for j, name in enumerate(spec.dimensions):
        codes = cube.dims[j].codes
        columns[name] = [codes[c] for c in cube.coord_arrays[j][row_cell].tolist()]
    columns[spec.count] = [f"{v:.0f}" for v in cube.values[row_cell].tolist()]
    source = cube.row[row_cell].tolist()
    if spec.denominator:
        den = table.columns[spec.denominator]
        columns[spec.denominator] = [den[r] if r >= 0 else "" for r in source]
    for name in constant:
        columns[name] = [table.columns[name][0]] * len(row_cell)
    view = LongTable([TABLE_COLUMN, *spec.dimensions, *carried, *constant], columns)
    blank = np.zeros(len(row_cell), dtype=bool)
    return LoadedTable(view, cube, row_cell, blank, loaded.earlier, on_faces)


def merge_faces(table: LongTable, spec: TableSpec) -> tuple[LongTable | None, list[Finding]]:
    """Read a released linked table back as one set of cells: drop the table-name column and
    keep one record per cell. A cell printed in two tables must read the same in both."""
    if not spec.publish or TABLE_COLUMN not in table.columns:
        return table, []
    dims = [d for d in spec.dimensions if d in table.columns]
    names = [n for n in table.names if n != TABLE_COLUMN]
    first: dict[tuple[str, ...], int] = {}
    keep: list[int] = []
    problems: list[Finding] = []
    for i in range(table.n_rows):
        key = tuple(table.columns[d][i].strip() for d in dims)
        if key not in first:
            first[key] = i
            keep.append(i)
            continue
        j = first[key]
        differ = [n for n in names if table.columns[n][i].strip() != table.columns[n][j].strip()]
        if differ:
            problems.append(
                Finding(
                    "linked-tables-disagree",
                    "10.4",
                    f"this cell is printed in two tables with different {', '.join(differ)} "
                    f"(rows {j + 1} and {i + 1})",
                    cell=dict(zip(dims, key, strict=True)),
                    row=i + 1,
                )
            )
    if problems:
        return None, _capped(problems)
    return LongTable(names, {n: [table.columns[n][i] for i in keep] for n in names}), []


def read_previously_suppressed(
    path: Path, cube: Cube, spec: TableSpec
) -> tuple[npt.NDArray[np.bool_] | None, list[Finding]]:
    """The cells an earlier related release withheld (DDG.md §10.4 R6), as a mask over `cube`.

    The file is a long-format table with the dimension columns, such as an earlier release's
    table.csv: a record is withheld when its annotation column holds code 1 or 2 or, in a
    file without that column, when its count is blank. Every record's labels must be
    categories of this table; a label it lacks means the releases are not related as assumed.
    """
    earlier, problems = read_table(path)
    if earlier is None:
        return None, problems
    missing = [d for d in spec.dimensions if d not in earlier.columns]
    if missing:
        return None, [
            Finding(
                "bad-previously-suppressed",
                "10.4",
                f"{path.name} lacks dimension column(s) {', '.join(map(repr, missing))}",
            )
        ]
    ann = earlier.columns.get(spec.annotation_column)
    counts = earlier.columns.get(spec.count)
    if ann is not None:
        withheld = [a.strip() in WITHHELD_CODES for a in ann]
    elif counts is not None:
        withheld = [c.strip() == "" for c in counts]
    else:
        return None, [
            Finding(
                "bad-previously-suppressed",
                "10.4",
                f"{path.name} has neither the annotation column "
                f"{quoted(spec.annotation_column)} nor the count column {quoted(spec.count)}: "
                "which cells were withheld is unknown",
            )
        ]
    mask = np.zeros(cube.size, dtype=bool)
    for i in range(earlier.n_rows):
        coords: list[int] = []
        for dim in cube.dims:
            label = earlier.columns[dim.name][i].strip()
            node = dim.index.get(label)
            if node is None:
                problems.append(
                    Finding(
                        "previously-suppressed-unknown-label",
                        "10.4",
                        f"{path.name}: {shown(dim.name)} {quoted(label)} is not a category of "
                        "this table",
                        row=i + 1,
                    )
                )
                break
            coords.append(node)
        else:
            if withheld[i]:
                mask[cube.cell_index(coords)] = True
    if problems:
        return None, _capped(problems)
    return mask, []
