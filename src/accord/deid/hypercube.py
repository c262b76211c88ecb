"""Balanced perturbations ("hypercubes") of a suppression pattern.

A perturbation that adds +t and -t to suppressed cells so that every additive group keeps its
sum is invisible to a reader. If one exists through a primary cell and the bounds a reader knows
(DDG.md §10.5) allow t to take `min_feasible_values - 1` steps, that cell is protected: the
perturbed tables are integer solutions, so this is a proof, not an estimate. Searching for such
perturbations is how complementary cells are chosen at scale, and how most of the audit is
settled without a solver.

In one dimension a balanced vector w satisfies w[parent] = sum of w[children] at every node.
Two families suffice here: a pair of branches under a common parent with opposite signs
(siblings, or sibling subtrees followed down to a leaf), and a chain from the root down to a
leaf with one sign. The tensor product of one balanced vector per dimension is balanced in the
whole cube.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from accord.deid.cube import Cube
from accord.deid.hierarchy import Dimension, IntArray

FloatArray = npt.NDArray[np.float64]
Option = tuple[IntArray, IntArray]  # nodes in one dimension, their signs (+1 / -1)


@dataclass
class Bounds:
    """What a reader knows about each cell: lb <= x <= ub (published cells: lb == ub)."""

    lb: FloatArray
    ub: FloatArray


def _down_chain(dim: Dimension, node: int, rank: Callable[[int], float]) -> list[int]:
    chain = [node]
    while dim.children[chain[-1]]:
        chain.append(min(dim.children[chain[-1]], key=lambda k: (rank(k), k)))
    return chain


def dimension_options(
    dim: Dimension, node: int, rank: Callable[[int], float], limit: int
) -> list[Option]:
    """Balanced vectors of one dimension through `node` (sign +1 there), cheapest first.

    `rank(k)` scores replacing this cell's coordinate by node k (suppressed cells score lowest),
    which steers the choice of leaves when a branch has to be followed downwards.
    """
    if dim.inclusive:
        return [(np.array([node], dtype=np.int64), np.array([1], dtype=np.int64))]
    options: list[tuple[float, int, Option]] = []
    mine = _down_chain(dim, node, rank)
    mine_cost = sum(rank(k) for k in mine[1:])
    parent = dim.parents[node]
    if parent >= 0:
        for sib in dim.children[parent]:
            if sib == node:
                continue
            theirs = _down_chain(dim, sib, rank)
            cost = mine_cost + sum(rank(k) for k in theirs)
            nodes = np.array(mine + theirs, dtype=np.int64)
            signs = np.array([1] * len(mine) + [-1] * len(theirs), dtype=np.int64)
            options.append((cost, sib, (nodes, signs)))
    up = dim.ancestors(node)
    chain = up + mine
    cost = mine_cost + sum(rank(k) for k in up)
    options.append((cost, -1, (np.array(chain, dtype=np.int64), np.ones(len(chain), np.int64))))
    options.sort(key=lambda o: (o[0], o[1]))
    return [o[2] for o in options[:limit]]


@dataclass
class Perturbation:
    cells: IntArray
    signs: IntArray
    t_lo: float
    t_hi: float


def _line_rank(
    cube: Cube, cell: int, j: int, suppressed: npt.NDArray[np.bool_], usable: npt.NDArray[np.bool_]
) -> Callable[[int], float]:
    coord = int(cube.coord_arrays[j][cell])
    stride = int(cube.strides[j])
    values = cube.values

    def rank(k: int) -> float:
        other = cell + (k - coord) * stride
        if suppressed[other]:
            return 0.0
        if not usable[other]:
            return 1e12
        return 1e6 + float(values[other])

    return rank


def search(
    cube: Cube,
    cell: int,
    suppressed: npt.NDArray[np.bool_],
    usable: npt.NDArray[np.bool_],
    bounds: Bounds,
    need: float,
    allow_new: bool,
    per_dim: int = 6,
    budget: int = 4000,
) -> tuple[float, float, Perturbation | None]:
    """Search perturbations through `cell` with sign +1.

    With `allow_new` false only suppressed cells may move; the result is the union of reachable
    steps [t_lo, t_hi] (each perturbation is a proof). With `allow_new` true, unsuppressed
    `usable` cells may join; returns the perturbation with width >= need that adds the fewest
    cells (then the smallest added value), or None.
    """
    k = len(cube.dims)
    coords = [int(cube.coord_arrays[j][cell]) for j in range(k)]
    per_dim_options: list[list[Option]] = []
    for j in range(k):
        rank = _line_rank(cube, cell, j, suppressed, usable)
        opts = dimension_options(cube.dims[j], coords[j], rank, per_dim)
        if not allow_new:
            opts = [o for o in opts if all(rank(int(n)) == 0.0 for n in o[0])]
        if not opts:
            return 0.0, 0.0, None
        per_dim_options.append(opts)

    lb, ub, values = bounds.lb, bounds.ub, cube.values
    best_lo, best_hi = 0.0, 0.0
    best: Perturbation | None = None
    best_key: tuple[float, float] = (np.inf, np.inf)
    steps = 0

    def recurse(j: int, idx: IntArray, sign: IntArray, t_lo: float, t_hi: float,
                new_count: int, new_value: float) -> bool:
        nonlocal best_lo, best_hi, best, best_key, steps
        steps += 1
        if steps > budget:
            return True
        if j == k:
            if not allow_new:
                best_lo, best_hi = min(best_lo, t_lo), max(best_hi, t_hi)
                return best_hi - best_lo >= need
            if t_hi - t_lo >= need and (new_count, new_value) < best_key:
                best_key = (new_count, new_value)
                best = Perturbation(idx, sign, t_lo, t_hi)
            return False
        nodes_all = per_dim_options[j]
        stride = int(cube.strides[j])
        for nodes, signs in nodes_all:
            moved = nodes != coords[j]
            step = (nodes[moved] - coords[j]) * stride
            add_idx = (idx[:, None] + step[None, :]).ravel()
            add_sign = (sign[:, None] * signs[moved][None, :]).ravel()
            sup = suppressed[add_idx]
            if not allow_new and not sup.all():
                continue
            fresh = add_idx[~sup]
            if allow_new and not usable[fresh].all():
                continue
            n_new = new_count + len(fresh)
            if allow_new and n_new > best_key[0]:
                continue
            v = values[add_idx]
            pos = add_sign > 0
            lo = np.where(pos, lb[add_idx] - v, v - ub[add_idx])
            hi = np.where(pos, ub[add_idx] - v, v - lb[add_idx])
            nlo = max(t_lo, float(lo.max()) if len(lo) else t_lo)
            nhi = min(t_hi, float(hi.min()) if len(hi) else t_hi)
            if nhi - nlo < (need if allow_new else 1e-9):
                continue
            if not allow_new and nlo >= best_lo and nhi <= best_hi:
                continue
            done = recurse(
                j + 1,
                np.concatenate([idx, add_idx]),
                np.concatenate([sign, add_sign]),
                nlo,
                nhi,
                n_new,
                new_value + float(values[fresh].sum()),
            )
            if done:
                return True
        return False

    v0 = values[cell]
    start_lo, start_hi = float(lb[cell] - v0), float(ub[cell] - v0)
    recurse(0, np.array([cell], dtype=np.int64), np.array([1], dtype=np.int64),
            start_lo, start_hi, 0, 0.0)
    return best_lo, best_hi, best
