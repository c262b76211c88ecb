"""ODP annotation codes 3 (no data available) and 5 (incomplete data), DDG.md §11.1 rule 3.

A SPEC's `availability` names a column of the table that marks rows: blank (or `0`) for data
as usual, `3` or "no data" when no data is available for the row, `5` or "incomplete" when
the value covers only part of the data. A no-data row has a blank count; an incomplete row
has its (partial) count.

How the engine reads a row with no data. Its count is unknown to everybody, the department
included, so there is nothing in it to protect and nothing to withhold: it is neither
suppressed (codes 1, 2) nor a zero (it is written blank with code 3, never `0`), and step 2
and the Events score skip it. What it means for its margins is the question:

- the department publishes no count for the row, so a margin printed over it can only be the
  sum of the rows that have data. The engine checks exactly that (the margin check adds the
  row as nothing), and annotates every such margin 5: a total that leaves a category out is
  incomplete, whether or not that category had events;
- for the audit and the additive groups the row therefore adds nothing to its margins, as a
  published zero would. If instead a reader took the margin to include the missing row with
  an unknown value, the reader would know less (an equation with an extra unknown term), so
  modelling the row as a known nothing can only overstate what a reader learns: the
  conservative reading. A no-data row is never a complement (there is no value to withhold).

An incomplete row is a count like any other for suppression and the audit (its small values
are withheld, and then carry their suppression code); only when published does it carry 5.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from accord.deid.findings import Finding
from accord.deid.model.cube import Cube
from accord.deid.model.groups import Groups
from accord.deid.quoting import quoted, shown

AVAILABLE, NO_DATA, INCOMPLETE = 0, 3, 5
_WORDS = {
    "": AVAILABLE,
    "0": AVAILABLE,
    "3": NO_DATA,
    "no data": NO_DATA,
    "no data available": NO_DATA,
    "5": INCOMPLETE,
    "incomplete": INCOMPLETE,
    "incomplete data": INCOMPLETE,
}
NO_DATA_SYMBOL = "NA"
INCOMPLETE_SUFFIX = " (I)"
MAX_FINDINGS = 50


def read_availability(
    columns: Mapping[str, Sequence[str]], column: str, count: str
) -> tuple[npt.NDArray[np.int8], list[str], list[Finding]]:
    """Each row's code, the count column as the cube reads it (a no-data row adds nothing,
    so its blank reads as 0), and every row whose mark or count does not fit."""
    marks = columns[column]
    counts = list(columns[count])
    codes = np.zeros(len(marks), dtype=np.int8)
    problems: list[Finding] = []
    for i, mark in enumerate(marks):
        code = _WORDS.get(" ".join(mark.casefold().split()))
        if code is None:
            problems.append(
                Finding(
                    "bad-availability",
                    "11.1",
                    f"{shown(column)} {quoted(mark)} is not blank, 3 (no data) or 5 (incomplete)",
                    row=i + 1,
                )
            )
            continue
        codes[i] = code
        blank = not counts[i].strip()
        if code == NO_DATA and not blank:
            problems.append(
                Finding(
                    "bad-availability",
                    "11.1",
                    f"the row has no data ({shown(column)} {quoted(mark)}) "
                    f"but a count {quoted(counts[i])}",
                    row=i + 1,
                )
            )
        elif code == INCOMPLETE and blank:
            problems.append(
                Finding(
                    "bad-availability",
                    "11.1",
                    f"an incomplete row ({shown(column)} {quoted(mark)}) still needs its count; "
                    "a row without one has no data (3)",
                    row=i + 1,
                )
            )
        elif code == NO_DATA:
            counts[i] = "0"
    return codes, counts, problems[:MAX_FINDINGS]


def no_data_margins(
    cube: Cube, row_cell: npt.NDArray[np.int64], codes: npt.NDArray[np.int8]
) -> list[Finding]:
    """A total cannot have no data while the categories under it have some: the total would
    then be derivable from them, or be something other than their sum."""
    margin = ~cube.is_base[row_cell]
    return [
        Finding(
            "bad-availability",
            "11.1",
            "a total is marked as having no data; leave the row out, or mark the categories "
            "under it",
            cell=cube.labels(int(row_cell[i])),
            row=i + 1,
        )
        for i in np.flatnonzero(margin & (codes == NO_DATA))[:MAX_FINDINGS].tolist()
    ]


def row_availability(
    codes: npt.NDArray[np.int8] | None, row_cell: npt.NDArray[np.int64], groups: Groups
) -> npt.NDArray[np.int8]:
    """Each printed row's code: its own mark, and 5 for every total (at any level) over a
    category with no data — such a total is the sum of the data received only."""
    if codes is None:
        return np.zeros(len(row_cell), dtype=np.int8)
    out = codes.copy()
    frontier = {int(c) for c in row_cell[codes == NO_DATA].tolist()}
    above: set[int] = set()
    while frontier:
        cell = frontier.pop()
        for g in groups.groups_of(cell).tolist():
            total = int(groups.total(g))
            if total != cell and total not in above:
                above.add(total)
                frontier.add(total)
    if above:
        over = np.isin(row_cell, np.fromiter(above, dtype=np.int64)) & (out == AVAILABLE)
        out[over] = INCOMPLETE
    return out
