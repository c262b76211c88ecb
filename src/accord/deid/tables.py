"""Long-format tables in, validated cubes out (DDG.md §11.1 rule 5: one value per record).

Reading keeps every cell as text first, so "3.5", "-2" or "abc" in a count column are reported
as what they are instead of being silently coerced. All problems are collected (issue 5, "Bad
input"): unknown columns, non-integer or negative counts, duplicate cells, hierarchies with
cycles or orphans, and margins that do not add up.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from accord.deid.cube import Cube, cube_from_codes
from accord.deid.findings import Finding
from accord.deid.hierarchy import Dimension, IntArray, build_dimension
from accord.deid.spec import TableSpec

MAX_ROW_FINDINGS = 50
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
    table: LongTable
    cube: Cube
    row_cell: IntArray
    blank: npt.NDArray[np.bool_]


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
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                return None, [Finding("empty-table", "11.1", f"{path} is empty")]
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
                    data[h].append(v)
            return LongTable(header, data), []
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return None, [Finding("bad-table", "11.1", f"cannot read {path}: {exc}")]


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
            problems.append(Finding("count-negative", "2", f"negative count {t!r}", row=i + 1))
        else:
            problems.append(
                Finding("count-not-integer", "2", f"count {t!r} is not a whole number", row=i + 1)
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
    and margins not printed are unknown unless every part is known.
    """
    findings: list[Finding] = []
    for col in spec.columns():
        if col not in table.columns:
            findings.append(
                Finding(
                    "unknown-column", "11", f"SPEC names column {col!r}, which TABLE does not have"
                )
            )
    if findings:
        return None, findings
    n = table.n_rows
    counts, blank, problems = _parse_counts(table, spec, allow_blank=published)
    for den in [spec.denominator] if spec.denominator else []:
        for i, t in enumerate(table.columns[den]):
            if t.strip() and not _NUM.match(t):
                problems.append(
                    Finding("bad-denominator", "6", f"{den} {t!r} is not a number", row=i + 1)
                )
    dims: list[Dimension] = []
    codes: list[IntArray] = []
    for name in spec.dimensions:
        text = [v.strip() for v in table.columns[name]]
        for i, v in enumerate(text):
            if v == "":
                problems.append(Finding("dimension-blank", "11.1", f"{name} is blank", row=i + 1))
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
    margin_rows = ~cube.is_interior[row_cell]
    computed = values[row_cell]
    given = counts
    bad = margin_rows & ~np.isnan(computed) & ~np.isnan(given) & (computed != given)
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
    if published:
        printed = margin_rows & ~np.isnan(given)
        values[row_cell[printed]] = given[printed]
        values[row_cell[margin_rows & np.isnan(given)]] = np.nan
        cube = Cube(cube.dims, values, cube.row)
    return LoadedTable(table, cube, row_cell, blank), []
