"""Protecting every primary cell of a table with perturbations, and keeping the pattern lean.

`protect` gives each cell in turn the cheapest perturbation wide enough (hypercube.py) and
suppresses what it adds; `prune` then publishes again complements that later perturbations
made unnecessary; `walk` chains perturbations for the few cells no single one can protect.
The drivers loop over cells inside compiled code, so a table of hundreds of thousands of
cells costs seconds, not hours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from accord.deid.masking.hypercube import (
    BUDGET,
    BoolArray,
    Costs,
    FloatArray,
    IntArray,
    Packed,
    Pattern,
    Trees,
    costs_of,
    search_one,
    tree_size,
    values_of,
)
from accord.deid.model.cube import Cube


@numba.njit(cache=True)
def _keep(store: IntArray, used: int, extra: int) -> IntArray:
    """Grow the proof store so `extra` more cells fit after `used`."""
    if used + extra <= store.shape[0]:
        return store
    bigger = np.empty(max(2 * store.shape[0], used + extra), dtype=np.int64)
    bigger[:used] = store[:used]
    return bigger


@numba.njit(cache=True)
def _protect_all(
    order: IntArray,
    tree: Packed,
    pattern: Pattern,
    costs: Costs,
    need: float,
    allow_new: bool,
    margins_first: bool,
    per_dim: int,
    budget: int,
    added: BoolArray,
    t_lo: FloatArray,
    t_hi: FloatArray,
    proved: BoolArray,
    proof_start: IntArray,
    proof_len: IntArray,
    store: IntArray,
) -> tuple[IntArray, int]:
    """Protect each cell of `order` in turn; every proof's cells are kept in `store`."""
    sup, usable = pattern[0], pattern[1]
    k, max_option = tree_size(tree)
    out = np.empty(max_option**k, dtype=np.int64)
    out_signs = np.empty(max_option**k, dtype=np.int64)
    used = 0
    for i in range(order.shape[0]):
        cell = order[i]
        n, lo, hi, fresh = search_one(
            cell, tree, pattern, costs, need, allow_new,
            margins_first, per_dim, budget, out, out_signs,
        )
        if fresh < 0:
            continue
        proved[i] = True
        t_lo[i], t_hi[i] = lo, hi
        store = _keep(store, used, n)
        store[used : used + n] = out[:n]
        proof_start[i], proof_len[i] = used, n
        used += n
        for a in range(n):
            y = out[a]
            if not sup[y]:
                sup[y] = True
                usable[y] = False
                added[y] = True
    return store, used


@dataclass
class Protection:
    """Outcome per requested cell: proved or not, and the steps its perturbation allows."""

    cells: IntArray
    proved: BoolArray
    t_lo: FloatArray
    t_hi: FloatArray
    added: BoolArray  # over the whole cube: cells this call suppressed
    proof_start: IntArray
    proof_len: IntArray
    store: IntArray  # proof i's cells are store[proof_start[i] : proof_start[i] + proof_len[i]]

    def merge(self, other: Protection) -> None:
        """Take in a later call's results for some of these cells (a retry of the unproved)."""
        at = np.searchsorted(self.cells, other.cells, sorter=np.argsort(self.cells))
        pos = np.argsort(self.cells)[at]
        used = int((self.proof_start + self.proof_len).max()) if len(self.cells) else 0
        ok = other.proved
        self.proved[pos[ok]] = True
        self.t_lo[pos[ok]] = other.t_lo[ok]
        self.t_hi[pos[ok]] = other.t_hi[ok]
        self.proof_start[pos[ok]] = other.proof_start[ok] + used
        self.proof_len[pos[ok]] = other.proof_len[ok]
        self.store = np.concatenate([self.store[:used], other.store])
        self.added |= other.added


def per_dim_limit(k: int, effort: int = 1) -> int:
    """Vectors kept per dimension: the product of k of them is searched. Five dimensions
    afford 20 (the search prunes hard there: 2.12 -> 2.05 suppressed per small cell on the
    650,000-cell benchmark for +2% time); four keep 10 to stay inside 2 s at 100,000 cells."""
    return effort * {1: 64, 2: 32, 3: 16, 4: 10, 5: 20}.get(k, 4)


def protect(
    cube: Cube,
    trees: Trees,
    cells: IntArray,
    sup: BoolArray,
    usable: BoolArray,
    lb: FloatArray,
    ub: FloatArray,
    need: float,
    *,
    least: BoolArray | None = None,
    strategy: tuple[str, ...] = ("smallest",),
    allow_new: bool = True,
    effort: int = 1,
) -> Protection:
    """Give each cell in turn the cheapest perturbation wide enough, suppressing what it adds.

    `sup` and `usable` are updated in place. With `allow_new` false nothing is added and the
    call only proves what the current pattern already protects. Above effort 1 the search
    is wider and tries perturbations through the margins first: they reach cells in sparse
    corners of a table, where every nearby cell is too small to move far.
    """
    cells = np.ascontiguousarray(cells, dtype=np.int64)
    n = len(cells)
    out = Protection(
        cells,
        np.zeros(n, dtype=bool),
        np.zeros(n),
        np.zeros(n),
        np.zeros(cube.size, dtype=bool),
        np.zeros(n, dtype=np.int64),
        np.zeros(n, dtype=np.int64),
        np.zeros(0, dtype=np.int64),
    )
    if n == 0:
        return out
    k = len(cube.dims)
    out.store, _ = _protect_all(
        cells,
        trees.packed,
        (sup, usable, values_of(cube), lb, ub),
        costs_of(cube, least, strategy),
        float(need),
        allow_new,
        effort > 1,
        per_dim_limit(k, effort) * (1 if allow_new else 4),
        BUDGET * effort,
        out.added,
        out.t_lo,
        out.t_hi,
        out.proved,
        out.proof_start,
        out.proof_len,
        np.empty(16 * n, dtype=np.int64),
    )
    return out


@numba.njit(cache=True)
def _group_ok_without(
    x: int,
    sup: BoolArray,
    values: FloatArray,
    g_ptr: IntArray,
    g_cells: IntArray,
    c_ptr: IntArray,
    c_groups: IntArray,
    threshold: float,
) -> bool:
    """Would every group of `x` still meet R1 and R2 if `x` were published?"""
    for q in range(c_ptr[x], c_ptr[x + 1]):
        g = c_groups[q]
        total = g_cells[g_ptr[g]]
        if total == x:
            continue  # publishing a total only adds knowledge the proofs already account for
        total_sup = sup[total]
        cnt, s, mx = 0, 0.0, 0.0
        for p in range(g_ptr[g] + 1, g_ptr[g + 1]):
            m = g_cells[p]
            if m != x and sup[m]:
                cnt += 1
                s += values[m]
                mx = max(mx, values[m])
        if total_sup:
            if cnt == 0:
                return False
        elif cnt > 0 and (cnt == 1 or mx <= 3 or s < threshold):
            return False
    return True


@numba.njit(cache=True)
def _prune(
    candidates: IntArray,
    primaries: IntArray,
    tree: Packed,
    pattern: Pattern,
    costs: Costs,
    need: float,
    per_dim: int,
    budget: int,
    g_ptr: IntArray,
    g_cells: IntArray,
    c_ptr: IntArray,
    c_groups: IntArray,
    threshold: float,
    users_ptr: IntArray,
    users: IntArray,
    proof_start: IntArray,
    proof_len: IntArray,
    store: IntArray,
    used: int,
    t_lo: FloatArray,
    t_hi: FloatArray,
    removed: BoolArray,
) -> tuple[IntArray, int]:
    """Publish again each candidate whose suppression is no longer needed.

    A candidate is published when every group rule still holds without it and every primary
    cell whose proof runs through it finds another proof among the remaining suppressions.
    Cells of a replacement proof are locked for the rest of the pass, so the index of which
    proofs use which cell stays correct for every cell still eligible.
    """
    sup, values = pattern[0], pattern[2]
    k, max_option = tree_size(tree)
    n_cells = sup.shape[0]
    locked = np.zeros(n_cells, dtype=np.bool_)
    cap = max_option**k
    out = np.empty(cap, dtype=np.int64)
    out_signs = np.empty(cap, dtype=np.int64)
    n_users_max = 0
    for x in range(n_cells):
        n_users_max = max(n_users_max, users_ptr[x + 1] - users_ptr[x])
    new_cells = np.empty((n_users_max, cap), dtype=np.int64)
    new_len = np.empty(n_users_max, dtype=np.int64)
    new_lo = np.empty(n_users_max)
    new_hi = np.empty(n_users_max)
    redo = np.empty(n_users_max, dtype=np.int64)
    for x in candidates:
        if locked[x] or not sup[x]:
            continue
        if not _group_ok_without(x, sup, values, g_ptr, g_cells, c_ptr, c_groups, threshold):
            continue
        sup[x] = False
        ok = True
        n_redo = 0
        for q in range(users_ptr[x], users_ptr[x + 1]):
            i = users[q]
            still = False
            for a in range(proof_start[i], proof_start[i] + proof_len[i]):
                if store[a] == x:
                    still = True
                    break
            if not still:
                continue
            n, lo, hi, fresh = search_one(
                primaries[i], tree, pattern, costs, need, False, False, per_dim, budget, out,
                out_signs,
            )
            if fresh < 0:
                ok = False
                break
            redo[n_redo] = i
            new_cells[n_redo, :n] = out[:n]
            new_len[n_redo] = n
            new_lo[n_redo], new_hi[n_redo] = lo, hi
            n_redo += 1
        if not ok:
            sup[x] = True
            continue
        removed[x] = True
        for r in range(n_redo):
            i, n = redo[r], new_len[r]
            store = _keep(store, used, n)
            store[used : used + n] = new_cells[r, :n]
            proof_start[i], proof_len[i] = used, n
            used += n
            t_lo[i], t_hi[i] = new_lo[r], new_hi[r]
            for a in range(n):
                locked[new_cells[r, a]] = True
    return store, used


def prune(
    cube: Cube,
    trees: Trees,
    groups_ptr: IntArray,
    groups_cells: IntArray,
    cell_ptr: IntArray,
    cell_groups: IntArray,
    protection: Protection,
    candidates: IntArray,
    sup: BoolArray,
    lb: FloatArray,
    ub: FloatArray,
    need: float,
    threshold: float,
) -> BoolArray:
    """Publish again the candidates no proof and no group rule needs; returns them as a mask.

    `sup` and the protection's proofs are updated in place.
    """
    p = protection
    ok = np.flatnonzero(p.proved)
    owners = np.repeat(ok, p.proof_len[ok])
    starts = np.repeat(p.proof_start[ok], p.proof_len[ok])
    first = np.cumsum(p.proof_len[ok]) - p.proof_len[ok]
    within = np.arange(len(owners)) - np.repeat(first, p.proof_len[ok])
    cells = p.store[starts + within]
    order = np.argsort(cells, kind="stable")
    counts = np.bincount(cells, minlength=cube.size)
    users_ptr = np.zeros(cube.size + 1, dtype=np.int64)
    np.cumsum(counts, out=users_ptr[1:])
    removed = np.zeros(cube.size, dtype=bool)
    nobody = np.zeros(cube.size, dtype=bool)  # proofs only: nothing new may be suppressed
    used = int((p.proof_start + p.proof_len).max()) if len(p.proof_len) else 0
    p.store, _ = _prune(
        np.ascontiguousarray(candidates, dtype=np.int64),
        p.cells,
        trees.packed,
        (sup, nobody, values_of(cube), lb, ub),
        costs_of(cube, None, ()),
        float(need),
        per_dim_limit(len(cube.dims)),
        BUDGET,
        groups_ptr,
        groups_cells,
        cell_ptr,
        cell_groups,
        float(threshold),
        users_ptr,
        np.ascontiguousarray(owners[order], dtype=np.int64),
        p.proof_start,
        p.proof_len,
        p.store,
        used,
        p.t_lo,
        p.t_hi,
        removed,
    )
    return removed


@numba.njit(cache=True)
def _walk_all(
    cells: IntArray,
    tree: Packed,
    pattern: Pattern,
    costs: Costs,
    need: float,
    allow_new: bool,
    per_dim: int,
    budget: int,
    max_steps: int,
    down: FloatArray,
    up: FloatArray,
    added: BoolArray,
) -> None:
    sup, usable, values, lb, ub = pattern
    k, max_option = tree_size(tree)
    out = np.empty(max_option**k, dtype=np.int64)
    out_signs = np.empty(max_option**k, dtype=np.int64)
    mine = np.empty(2 * max_steps * max_option**k, dtype=np.int64)
    for i in range(cells.shape[0]):
        cell = cells[i]
        n_mine = 0
        for direction in (-1, 1):
            current = values.copy()
            moved = 0.0
            for _ in range(max_steps):
                n, lo, hi, fresh = search_one(
                    cell, tree, (sup, usable, current, lb, ub), costs, 1.0, allow_new, True,
                    per_dim, budget, out, out_signs, direction,
                )
                if fresh < 0:
                    break
                step = lo if direction < 0 else hi
                if np.isinf(step):
                    step = direction * need
                for a in range(n):
                    y = out[a]
                    current[y] += out_signs[a] * step
                    if not sup[y]:
                        sup[y] = True
                        usable[y] = False
                        mine[n_mine] = y
                        n_mine += 1
                moved += step
                if down[i] + abs(moved) >= need:
                    break
            if direction < 0:
                down[i] = -moved
            else:
                up[i] = moved
            if down[i] + up[i] >= need:
                break
        if down[i] + up[i] >= need:
            for a in range(n_mine):
                added[mine[a]] = True
        else:  # not enough: take back what this cell added
            for a in range(n_mine):
                sup[mine[a]] = False
                usable[mine[a]] = True


def walk(
    cube: Cube,
    trees: Trees,
    cells: IntArray,
    sup: BoolArray,
    lb: FloatArray,
    ub: FloatArray,
    need: float,
    *,
    usable: BoolArray | None = None,
    least: BoolArray | None = None,
    strategy: tuple[str, ...] = ("smallest",),
    max_steps: int = 8,
) -> tuple[FloatArray, FloatArray, BoolArray]:
    """How far each cell can be moved down and up by chaining perturbations.

    Move as far as one perturbation allows, then search again from the table reached. Every
    table on the way is one a reader cannot exclude, so the values passed are feasible: this
    proves what no single perturbation can (a margin of 10 over seven small suppressed parts
    can fall to 7 only by lowering several parts in turn). With `usable`, steps may suppress
    more cells (kept only when the cell ends up protected); `sup` and `usable` are updated.
    Returns the reach down, the reach up, and the cells added.
    """
    cells = np.ascontiguousarray(cells, dtype=np.int64)
    down, up = np.zeros(len(cells)), np.zeros(len(cells))
    added = np.zeros(cube.size, dtype=bool)
    if len(cells):
        free = np.zeros(cube.size, dtype=bool) if usable is None else usable
        _walk_all(
            cells, trees.packed, (sup, free, values_of(cube), lb, ub),
            costs_of(cube, least, strategy), float(need), usable is not None,
            per_dim_limit(len(cube.dims), 3), BUDGET, max_steps, down, up, added,
        )
    return down, up, added
