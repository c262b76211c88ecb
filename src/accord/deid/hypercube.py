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
    # cousins: climb to an ancestor below the root, pair with one of its siblings' branches
    climbed = list(mine)
    for anc in up[:-1]:
        climbed.insert(0, anc)
        for sib in dim.children[dim.parents[anc]]:
            if sib == anc:
                continue
            theirs = _down_chain(dim, sib, rank)
            cost = sum(rank(k) for k in climbed if k != node) + sum(rank(k) for k in theirs)
            nodes = np.array(climbed + theirs, dtype=np.int64)
            signs = np.array([1] * len(climbed) + [-1] * len(theirs), dtype=np.int64)
            options.append((cost, sib, (nodes, signs)))
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
    per_dim: int = 4,
    budget: int = 400,
) -> tuple[float, float, Perturbation | None]:
    """Search perturbations through `cell` with sign +1.

    With `allow_new` false only suppressed cells may move; the result is the union of reachable
    steps [t_lo, t_hi] (each perturbation is a proof). With `allow_new` true, unsuppressed
    `usable` cells may join; returns the perturbation with width >= need that adds the fewest
    cells (then the smallest added value), or None. Corner sets are tiny (at most a few dozen
    cells), so plain Python lists beat array calls here.
    """
    k = len(cube.dims)
    coords = [int(cube.coord_arrays[j][cell]) for j in range(k)]
    per_dim_options: list[list[tuple[list[int], list[int]]]] = []
    for j in range(k):
        rank = _line_rank(cube, cell, j, suppressed, usable)
        opts = dimension_options(cube.dims[j], coords[j], rank, per_dim if allow_new else 64)
        if not allow_new:
            opts = [o for o in opts if all(rank(int(n)) == 0.0 for n in o[0])][:per_dim]
        if not opts:
            return 0.0, 0.0, None
        stride = int(cube.strides[j])
        moves: list[tuple[list[int], list[int]]] = []
        for nodes, signs in opts:
            steps_j = [(int(n) - coords[j]) * stride for n in nodes if int(n) != coords[j]]
            signs_j = [int(sg) for n, sg in zip(nodes, signs, strict=True) if int(n) != coords[j]]
            moves.append((steps_j, signs_j))
        per_dim_options.append(moves)

    lb = bounds.lb
    ub = bounds.ub
    values = cube.values
    state = {"lo": 0.0, "hi": 0.0, "steps": 0}
    best: list[Perturbation] = []
    best_key = [float("inf"), float("inf")]
    min_width = need if allow_new else 1e-9

    def recurse(j: int, idx: list[int], sign: list[int], t_lo: float, t_hi: float,
                n_new: int, new_value: float) -> bool:
        state["steps"] += 1
        if state["steps"] > budget:
            return True
        if j == k:
            if not allow_new:
                state["lo"] = min(state["lo"], t_lo)
                state["hi"] = max(state["hi"], t_hi)
                return state["hi"] - state["lo"] >= need
            if (n_new, new_value) < (best_key[0], best_key[1]):
                best_key[0], best_key[1] = n_new, new_value
                best[:] = [Perturbation(np.array(idx, dtype=np.int64),
                                        np.array(sign, dtype=np.int64), t_lo, t_hi)]
            return n_new == 0
        for steps_j, signs_j in per_dim_options[j]:
            lo, hi = t_lo, t_hi
            add_idx: list[int] = []
            add_sign: list[int] = []
            fresh = 0
            fresh_value = 0.0
            ok = True
            for base, sg in zip(idx, sign, strict=True):
                for step, s2 in zip(steps_j, signs_j, strict=True):
                    x = base + step
                    s = sg * s2
                    if not suppressed[x]:
                        if not allow_new or not usable[x]:
                            ok = False
                            break
                        fresh += 1
                        fresh_value += float(values[x])
                    v = float(values[x])
                    if s > 0:
                        lo, hi = max(lo, lb[x] - v), min(hi, ub[x] - v)
                    else:
                        lo, hi = max(lo, v - ub[x]), min(hi, v - lb[x])
                    if hi - lo < min_width:
                        ok = False
                        break
                    add_idx.append(x)
                    add_sign.append(s)
                if not ok:
                    break
            if not ok:
                continue
            if allow_new and n_new + fresh > best_key[0]:
                continue
            if not allow_new and lo >= state["lo"] and hi <= state["hi"]:
                continue
            if recurse(j + 1, idx + add_idx, sign + add_sign, lo, hi, n_new + fresh,
                       new_value + fresh_value):
                return True
        return False

    v0 = float(values[cell])
    recurse(0, [cell], [1], float(lb[cell] - v0), float(ub[cell] - v0), 0, 0.0)
    return state["lo"], state["hi"], (best[0] if best else None)
