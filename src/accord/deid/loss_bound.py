"""How few cells any suppression of a table could withhold: a certified lower bound.

The project's goal for information loss (suppressed ÷ primary cells ≤ 1.5, DDG.md §10.4 (7))
is a property of the table as much as of the algorithm: where small cells sit alone among
large ones, every pattern that obeys the group rules pays for them. A bound tells the two
apart. When the engine's loss is far above it, the engine is to blame; when the bound itself
is above the goal, no algorithm can meet the goal on that table and the remedy is to change
the table (§10.1), not the search.

The bound is the linear-programming relaxation of "withhold the fewest complements such that
R1 (never alone), R2 (small sums) and R3 (zeros never) hold in every additive group, primary
cells withheld". Every pattern the engine may release satisfies those rules, and the audit
(R4) only adds cells, so the optimum of the relaxation is at most the complements of any
releasable pattern. Two more relaxations keep it fast on large tables, each only lowering the
bound: the groups whose total is the root of the dimension with the deepest hierarchy are
left out, which splits the table into one independent program per top-level category (the
regions of a geography), and totals count as candidates when the department allows it.
Each program's optimum is rounded up, since complements come in whole cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import linprog

from accord.deid.audit import HIDDEN, PRIMARY, StatusArray, complement_candidates
from accord.deid.cube import Cube
from accord.deid.groups import Groups
from accord.deid.hierarchy import IntArray
from accord.deid.params import Parameters

R2_MAX_SMALL = 3  # R2 (a): a group whose withheld values are all 3 or less needs one more
TOLERANCE = 1e-6  # of the interior-point solver, taken off before rounding up


@dataclass(frozen=True)
class LossBound:
    """`complements` is None when no pattern meets R1–R3 at all (some primary cell has no
    possible partner), which is itself a proof that the table must be restructured."""

    primary: int
    complements: int | None
    programs: int

    @property
    def information_loss(self) -> float | None:
        """The smallest suppressed ÷ primary ratio any pattern obeying R1–R3 can have."""
        if self.complements is None:
            return None
        return (self.primary + self.complements) / self.primary if self.primary else 1.0


def complement_lower_bound(
    cube: Cube, groups: Groups, status: StatusArray, params: Parameters
) -> LossBound:
    """At least this many complements are in every pattern that meets R1–R3 on this table.

    `status` marks the primary cells (and hidden cells of linked tables, whose groups R1
    and R2 do not bind); the result holds whatever the complementary strategy.
    """
    primary = status == PRIMARY
    usable = complement_candidates(cube, groups, status, params)
    block = _blocks(cube)
    member_block = block[groups.cells]
    starts = groups.ptr[:-1]
    keep = np.diff(groups.ptr) > 0
    lowest = np.full(groups.count, -1, dtype=np.int64)
    highest = np.full(groups.count, -1, dtype=np.int64)
    lowest[keep] = np.minimum.reduceat(member_block, starts[keep])
    highest[keep] = np.maximum.reduceat(member_block, starts[keep])
    hidden = np.zeros(groups.count, dtype=bool)
    hidden[keep] = np.add.reduceat(status[groups.cells] == HIDDEN, starts[keep]) > 0
    keep &= (lowest == highest) & ~hidden
    values = np.nan_to_num(cube.values, nan=0.0)
    total = 0
    programs = 0
    for b in np.unique(lowest[keep]).tolist():
        chosen = np.flatnonzero(keep & (lowest == b))
        entries = _entries(groups.ptr, chosen)
        local = np.repeat(np.arange(len(chosen), dtype=np.int64), np.diff(groups.ptr)[chosen])
        found = _block_bound(
            groups.cells[entries],
            local,
            entries == groups.ptr[chosen][local],
            primary,
            usable,
            values,
            params.small_cell_threshold,
        )
        programs += 1
        if found is None:
            return LossBound(int(primary.sum()), None, programs)
        total += found
    return LossBound(int(primary.sum()), total, programs)


def _blocks(cube: Cube) -> IntArray:
    """Each cell's top-level category in the dimension with the deepest hierarchy (all 0
    when no dimension has one): the programs that leaving out the root groups separates."""
    depths = [int(d.depth.max()) for d in cube.dims]
    if not depths or max(depths) < 2:
        return np.zeros(cube.size, dtype=np.int64)
    j = depths.index(max(depths))
    dim = cube.dims[j]
    top = np.arange(dim.size, dtype=np.int64)
    for node in range(dim.size):
        while dim.depth[top[node]] > 1:
            top[node] = dim.parents[top[node]]
    return top[cube.coord_arrays[j]]


def _entries(ptr: IntArray, chosen: IntArray) -> IntArray:
    """Positions in the group arrays of the members of the chosen groups, group by group."""
    lengths = np.diff(ptr)[chosen]
    offsets = np.repeat(ptr[chosen] - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
    return np.arange(int(lengths.sum()), dtype=np.int64) + offsets


def _block_bound(
    cells: IntArray,
    group: IntArray,
    is_total: npt.NDArray[np.bool_],
    primary: npt.NDArray[np.bool_],
    usable: npt.NDArray[np.bool_],
    values: npt.NDArray[np.float64],
    threshold: int,
) -> int | None:
    """One program: x per candidate cell, s (suppressed members) and y (R2 binds) per group.

    s_g = primaries of g + sum x                  (definition)
    s_g >= 2 x_c for each candidate c of g,  s_g >= 2 if g has a primary   (R1)
    y_g >= [m withheld] - [total withheld]  for each part m                (R2 applies)
    sum of withheld parts' values >= threshold * y_g                       (R2 b)
    withheld parts above 3 >= y_g                                          (R2 a)
    """
    n_groups = int(group.max()) + 1
    cand = usable[cells]
    prim = primary[cells]
    var_cells, var_of = np.unique(cells[cand], return_inverse=True)
    n_x = len(var_cells)
    x_col = np.full(len(cells), -1, dtype=np.int64)
    x_col[cand] = var_of
    s_col, y_col = n_x + np.arange(n_groups), n_x + n_groups + np.arange(n_groups)
    n_vars = n_x + 2 * n_groups
    ub_rows = _Rows()

    # R1: 2 x_c - s_g <= 0 (for primary members it is the lower bound of s_g)
    n_cand = int(cand.sum())
    ub_rows.add(
        [np.arange(n_cand), np.arange(n_cand)],
        [x_col[cand], s_col[group[cand]]],
        [np.full(n_cand, 2.0), np.full(n_cand, -1.0)],
        np.zeros(n_cand),
    )
    # R2 applies when a part is withheld and the total is not
    total_cell = np.zeros(n_groups, dtype=np.int64)
    total_cell[group[is_total]] = cells[is_total]
    part = ~is_total & (cand | prim)
    t = total_cell[group[part]]
    m_cand, t_cand = cand[part], usable[t]
    k = int(part.sum())
    rows = np.arange(k)
    rhs = np.where(primary[t], 1.0, 0.0) - np.where(prim[part], 1.0, 0.0)
    ub_rows.add(
        [rows, rows[m_cand], rows[t_cand]],
        [y_col[group[part]], x_col[part][m_cand], np.searchsorted(var_cells, t[t_cand])],
        [np.full(k, -1.0), np.ones(int(m_cand.sum())), np.full(int(t_cand.sum()), -1.0)],
        rhs,
    )
    parts = ~is_total
    value = values[cells]
    sums = np.bincount(group[parts & prim], weights=value[parts & prim], minlength=n_groups)
    px = parts & cand
    ub_rows.add(
        [np.arange(n_groups), group[px]],
        [y_col, x_col[px]],
        [np.full(n_groups, float(threshold)), -value[px]],
        sums,
    )
    big = parts & (value > R2_MAX_SMALL)
    bigs = np.bincount(group[big & prim], minlength=n_groups).astype(float)
    bx = big & cand
    ub_rows.add(
        [np.arange(n_groups), group[bx]],
        [y_col, x_col[bx]],
        [np.ones(n_groups), -np.ones(int(bx.sum()))],
        bigs,
    )
    a_ub, b_ub = ub_rows.matrix(n_vars)
    a_eq = sp.csr_matrix(
        (
            np.concatenate([np.ones(n_groups), -np.ones(n_cand)]),
            (
                np.concatenate([np.arange(n_groups), group[cand]]),
                np.concatenate([s_col, x_col[cand]]),
            ),
        ),
        shape=(n_groups, n_vars),
    )
    b_eq = np.bincount(group[prim], minlength=n_groups).astype(float)
    lower = np.zeros(n_vars)
    lower[s_col] = np.where(b_eq > 0, 2.0, 0.0)
    upper = np.concatenate([np.ones(n_x), np.full(n_groups, np.inf), np.ones(n_groups)])
    cost = np.concatenate([np.ones(n_x), np.zeros(2 * n_groups)])
    res = linprog(
        cost,
        A_ub=a_ub,
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=b_eq,
        bounds=np.column_stack([lower, upper]),
        method="highs-ipm",
    )
    if res.status == 2:  # infeasible: some primary cell can have no partner
        return None
    if res.status != 0:
        raise RuntimeError(f"the lower-bound program did not solve: {res.message}")
    return max(0, math.ceil(float(res.fun) - TOLERANCE * max(1.0, abs(float(res.fun)))))


class _Rows:
    """Rows of A_ub x <= b_ub, added in blocks of (row, column, coefficient) triplets."""

    def __init__(self) -> None:
        self.rows: list[IntArray] = []
        self.cols: list[IntArray] = []
        self.data: list[npt.NDArray[np.float64]] = []
        self.rhs: list[npt.NDArray[np.float64]] = []
        self.count = 0

    def add(
        self,
        rows: list[IntArray],
        cols: list[IntArray],
        data: list[npt.NDArray[np.float64]],
        rhs: npt.ArrayLike,
    ) -> None:
        for r, c, d in zip(rows, cols, data, strict=True):
            self.rows.append(np.asarray(r, dtype=np.int64) + self.count)
            self.cols.append(np.asarray(c, dtype=np.int64))
            self.data.append(np.asarray(d, dtype=np.float64))
        self.rhs.append(np.asarray(rhs, dtype=np.float64))
        self.count += len(self.rhs[-1])

    def matrix(self, n_vars: int) -> tuple[sp.csr_matrix, npt.NDArray[np.float64]]:
        a = sp.csr_matrix(
            (np.concatenate(self.data), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(self.count, n_vars),
        )
        return a, np.concatenate(self.rhs)
