"""How few cells any suppression of a table could withhold: a certified lower bound.

The project's goal for information loss (suppressed ÷ primary cells ≤ 1.5, DDG.md §10.4 (7))
is a property of the table as much as of the algorithm: where small cells sit alone among
large ones, every pattern that obeys the group rules pays for them. A bound tells the two
apart. When the engine's loss is far above it, the engine is to blame; when the bound itself
is above the goal, no algorithm can meet the goal on that table and the remedy is to change
the table (§10.1), not the search.

The bound is the linear-programming relaxation of "withhold the fewest complements such that
R1 (never alone) holds in every additive group, primary cells withheld, zeros never (R3)".
Every pattern the engine may release satisfies R1–R3, and R2 and the audit (R4) only add
cells, so the optimum of the relaxation is at most the complements of any releasable pattern.
(R2 in the program raised the bound by 0.6% on four regions of the benchmark table and tripled
its time, so it is left out.) One more relaxation keeps large tables fast: the groups whose
total is the root of the dimension with the deepest hierarchy are left out, which splits the
table into one independent program per top-level category (the regions of a geography).
Candidates are those of `complement_candidates`: totals only when the department allows it.
Each program's optimum is rounded up, since complements come in whole cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from accord.deid.disclosure.check import HIDDEN, PRIMARY, StatusArray, complement_candidates
from accord.deid.model.cube import BoolArray, Cube
from accord.deid.model.groups import Groups
from accord.deid.model.hierarchy import IntArray
from accord.deid.spec.params import Parameters

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

    `status` marks the primary cells (and the hidden cells of linked tables: R1 does not bind
    their groups, as in suppression); the result holds whatever the complementary strategy.
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
    through_hidden = np.zeros(groups.count, dtype=bool)
    through_hidden[keep] = np.add.reduceat(status[groups.cells] == HIDDEN, starts[keep]) > 0
    keep &= (lowest == highest) & ~through_hidden
    total = 0
    programs = 0
    for b in np.unique(lowest[keep]).tolist():
        chosen = np.flatnonzero(keep & (lowest == b))
        entries = _entries(groups.ptr, chosen)
        local = np.repeat(np.arange(len(chosen), dtype=np.int64), np.diff(groups.ptr)[chosen])
        found = _block_bound(groups.cells[entries], local, primary, usable)
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
    cells: IntArray, group: IntArray, primary: BoolArray, usable: BoolArray
) -> int | None:
    """One program: x per candidate cell in [0, 1], s per group (its withheld members).

    s_g = primary members of g + sum of x over its candidates
    s_g >= 2 x_c for every candidate c of g, and s_g >= 2 when g has a primary   (R1)
    """
    n_groups = int(group.max()) + 1
    cand = usable[cells]
    var_cells, x_of = np.unique(cells[cand], return_inverse=True)
    n_x, n_cand = len(var_cells), int(cand.sum())
    s_col = n_x + np.arange(n_groups)
    n_vars = n_x + n_groups
    rows = np.arange(n_cand)
    a_ub = sp.csr_matrix(
        (
            np.concatenate([np.full(n_cand, 2.0), np.full(n_cand, -1.0)]),
            (np.concatenate([rows, rows]), np.concatenate([x_of, s_col[group[cand]]])),
        ),
        shape=(n_cand, n_vars),
    )
    a_eq = sp.csr_matrix(
        (
            np.concatenate([np.ones(n_groups), -np.ones(n_cand)]),
            (np.concatenate([np.arange(n_groups), group[cand]]), np.concatenate([s_col, x_of])),
        ),
        shape=(n_groups, n_vars),
    )
    b_eq = np.bincount(group[primary[cells]], minlength=n_groups).astype(float)
    lower = np.concatenate([np.zeros(n_x), np.where(b_eq > 0, 2.0, 0.0)])
    upper = np.concatenate([np.ones(n_x), np.full(n_groups, np.inf)])
    res = linprog(
        np.concatenate([np.ones(n_x), np.zeros(n_groups)]),
        A_ub=a_ub,
        b_ub=np.zeros(n_cand),
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
