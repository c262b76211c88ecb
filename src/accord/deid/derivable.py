"""Which withheld cells the published equations fix: a rank-based check (DDG.md §10.5).

A reader who knows every published cell and total can solve the additive groups for the
withheld ones. A withheld cell is exactly derivable when every solution gives it the same
value: when it is zero in every vector of the null space of the withheld cells' columns, or,
equivalently, when deleting its column lowers the rank. This check ignores the bounds a reader
also knows (>= 1, the reason labels), so it can only under-report what the interval audit
finds; what it does report is certain up to the arithmetic below. It is independent of the
perturbation search that chose the pattern, and it is the check that still runs in seconds on
tables too large for an interval solver.

The matrix is reduced to echelon form in exact arithmetic modulo the prime 2^61 - 1, pivoting
on the sparsest row first (the additive groups of a table stay sparse under elimination).
A random null vector is then built by back-substitution: a cell the equations fix is zero in
it always; any other cell is zero only with probability 2^-61. The rank modulo the prime can
fall below the rational rank only if the prime divides every maximal minor, which for tables
of small integer coefficients does not happen in practice; either error would flag a safe cell
as derivable, never the reverse.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from accord.deid.groups import Groups

PRIME = (1 << 61) - 1
SEED = 20251125  # fixed: the same table always gets the same answer


@dataclass(frozen=True)
class Derivability:
    """The outcome over one table's unknown cells."""

    fixed: npt.NDArray[np.bool_]  # over all cells: unknown cells the equations determine
    unknowns: int
    rank: int  # of the unknown cells' columns

    @property
    def freedom(self) -> int:
        """Dimension of the reader's solution space: how many values can still move together."""
        return self.unknowns - self.rank


def derivable(groups: Groups, unknown: npt.NDArray[np.bool_]) -> Derivability:
    """The unknown cells whose value the additive groups and the known cells determine."""
    columns = np.flatnonzero(unknown)
    sub = groups.matrix.tocsc()[:, columns].tocsr()
    sub.eliminate_zeros()
    rows = _rows(sub.indptr, sub.indices, sub.data)
    pivots = _eliminate(rows, len(columns))
    y = _null_vector(pivots, len(columns))
    _check_null(sub.indptr, sub.indices, sub.data, y)
    fixed = np.zeros(len(unknown), dtype=bool)
    fixed[columns[[i for i, v in enumerate(y) if v == 0]]] = True
    return Derivability(fixed, len(columns), len(pivots))


Row = dict[int, int]


def _rows(
    ptr: npt.NDArray[np.int32], idx: npt.NDArray[np.int32], data: npt.NDArray[np.float64]
) -> list[Row]:
    coef = np.rint(data).astype(np.int64) % PRIME
    cols, vals, bounds = idx.tolist(), coef.tolist(), ptr.tolist()
    return [dict(zip(cols[s:e], vals[s:e], strict=True)) for s, e in pairwise(bounds) if e > s]


def _eliminate(rows: list[Row], n_columns: int) -> list[tuple[int, Row]]:
    """Forward elimination; each pivot row is returned with its pivot column, in order.

    A pivot row may still hold columns pivoted later, never earlier ones: back-substitution
    in reverse order sees every value it needs.
    """
    holders: list[set[int]] = [set() for _ in range(n_columns)]
    for r, row in enumerate(rows):
        for c in row:
            holders[c].add(r)
    heap = [(len(row), r) for r, row in enumerate(rows)]
    heapq.heapify(heap)
    done = [False] * len(rows)
    pivots: list[tuple[int, Row]] = []
    while heap:
        size, r = heapq.heappop(heap)
        row = rows[r]
        if done[r] or size != len(row):
            if not done[r]:
                heapq.heappush(heap, (len(row), r))
            continue
        done[r] = True
        if not row:
            continue  # a dependent equation: it fixes nothing new
        pivot = min(row, key=lambda c: (len(holders[c]), c))
        inverse = pow(row[pivot], PRIME - 2, PRIME)
        for c in row:
            holders[c].discard(r)
        for other in sorted(holders[pivot]):
            _subtract(rows[other], other, row, rows[other][pivot] * inverse % PRIME, holders)
            heapq.heappush(heap, (len(rows[other]), other))
        pivots.append((pivot, row))
    return pivots


def _subtract(target: Row, r: int, row: Row, factor: int, holders: list[set[int]]) -> None:
    """target -= factor * row (mod PRIME), keeping the column index in step."""
    for c, v in row.items():
        new = (target.get(c, 0) - factor * v) % PRIME
        if new:
            if c not in target:
                holders[c].add(r)
            target[c] = new
        elif c in target:
            del target[c]
            holders[c].discard(r)


def _null_vector(pivots: list[tuple[int, Row]], n_columns: int) -> list[int]:
    """A random vector of the null space: random free columns, pivots solved in reverse."""
    rng = np.random.default_rng(SEED)
    y = [int(v) for v in rng.integers(1, PRIME, size=n_columns, dtype=np.int64)]
    for pivot, row in reversed(pivots):
        rest = sum(v * y[c] for c, v in row.items() if c != pivot)
        y[pivot] = -rest * pow(row[pivot], PRIME - 2, PRIME) % PRIME
    return y


def _check_null(
    ptr: npt.NDArray[np.int32],
    idx: npt.NDArray[np.int32],
    data: npt.NDArray[np.float64],
    y: list[int],
) -> None:
    """The vector must satisfy the original equations: a guard against an elimination bug."""
    coef = np.rint(data).astype(np.int64).tolist()
    cols, bounds = idx.tolist(), ptr.tolist()
    for s, e in pairwise(bounds):
        if sum(coef[k] * y[cols[k]] for k in range(s, e)) % PRIME:
            raise RuntimeError("rank check: the null vector fails an equation")
