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
    values: FloatArray | None = None,
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
    values = cube.values if values is None else values
    state = {"lo": 0.0, "hi": 0.0, "steps": 0}
    best: list[Perturbation] = []
    best_key = [float("inf"), float("inf")]
    min_width = need if allow_new else 1e-9

    def recurse(
        j: int,
        idx: list[int],
        sign: list[int],
        t_lo: float,
        t_hi: float,
        n_new: int,
        new_value: float,
    ) -> bool:
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
                best[:] = [
                    Perturbation(
                        np.array(idx, dtype=np.int64), np.array(sign, dtype=np.int64), t_lo, t_hi
                    )
                ]
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
            if recurse(
                j + 1,
                idx + add_idx,
                sign + add_sign,
                lo,
                hi,
                n_new + fresh,
                new_value + fresh_value,
            ):
                return True
        return False

    v0 = float(values[cell])
    recurse(0, [cell], [1], float(lb[cell] - v0), float(ub[cell] - v0), 0, 0.0)
    return state["lo"], state["hi"], (best[0] if best else None)


def _partners(cube: Cube, j: int, suppressed: npt.NDArray[np.bool_]) -> tuple[IntArray, IntArray]:
    """For every cell, one node in dimension j forming a balanced pair with it, or -1.

    Leaf: the next suppressed sibling along its line (cyclic), opposite sign. Root of a
    one-level dimension: the first suppressed leaf of its line, same sign. Anything else: -1
    (left to the full search).
    """
    d = cube.dims[j]
    shape = cube.shape
    sup = np.moveaxis(suppressed.reshape(shape), j, -1)
    partner = np.full(sup.shape, -1, dtype=np.int64)
    sign = np.zeros(sup.shape, dtype=np.int64)
    flat_dim = bool(d.is_leaf[1:].all())
    for parent in range(d.size):
        kids = np.array(d.children[parent], dtype=np.int64)
        if len(kids) < 2 and not (parent == 0 and flat_dim):
            continue
        sub = sup[..., kids]
        m = len(kids)
        if len(kids) >= 2:
            doubled = np.concatenate([sub, sub], axis=-1)
            idx = np.where(doubled, np.arange(2 * m), 2 * m)
            nxt = np.minimum.accumulate(idx[..., ::-1], axis=-1)[..., ::-1]
            # the next suppressed position strictly after i
            after = np.concatenate([nxt[..., 1:], np.full((*nxt.shape[:-1], 1), 2 * m)], -1)
            cand = after[..., :m]
            ok = cand < np.arange(m) + m
            node = np.where(ok, kids[np.minimum(cand, 2 * m - 1) % m], -1)
            partner[..., kids] = np.where(sub & ok, node, -1)
            sign[..., kids] = np.where(sub & ok, -1, 0)
        if parent == 0 and flat_dim:
            first = np.where(sub.any(axis=-1), kids[np.argmax(sub, axis=-1)], -1)
            partner[..., 0] = np.where(sup[..., 0], first, -1)
            sign[..., 0] = np.where(sup[..., 0] & (first >= 0), 1, 0)
    return (np.moveaxis(partner, -1, j).ravel(), np.moveaxis(sign, -1, j).ravel())


def batch_proofs(
    cube: Cube, cells: IntArray, suppressed: npt.NDArray[np.bool_], bounds: Bounds, need: float
) -> tuple[npt.NDArray[np.bool_], FloatArray, FloatArray]:
    """Vectorised first pass: one hypercube per cell from per-dimension partners.

    Returns which cells it proves and their step range. Cells it cannot prove go to `search`.
    """
    k = len(cube.dims)
    n = len(cells)
    proven = np.zeros(n, dtype=bool)
    t_lo, t_hi = np.zeros(n), np.zeros(n)
    if n == 0:
        return proven, t_lo, t_hi
    steps = np.zeros((n, k), dtype=np.int64)
    signs = np.ones((n, k), dtype=np.int64)
    usable = np.ones(n, dtype=bool)
    for j in range(k):
        if cube.dims[j].inclusive:
            continue
        partner, sign = _partners(cube, j, suppressed)
        p = partner[cells]
        usable &= p >= 0
        steps[:, j] = np.where(p >= 0, (p - cube.coord_arrays[j][cells]) * cube.strides[j], 0)
        signs[:, j] = sign[cells]
    active = [j for j in range(k) if not cube.dims[j].inclusive]
    lo = np.full(n, -np.inf)
    hi = np.full(n, np.inf)
    all_sup = usable.copy()
    for mask in range(1 << len(active)):
        offset = np.zeros(n, dtype=np.int64)
        s = np.ones(n, dtype=np.int64)
        for bit, j in enumerate(active):
            if mask >> bit & 1:
                offset += steps[:, j]
                s *= signs[:, j]
        corner = np.where(usable, cells + offset, cells)
        all_sup &= suppressed[corner]
        v = cube.values[corner]
        lo = np.maximum(lo, np.where(s > 0, bounds.lb[corner] - v, v - bounds.ub[corner]))
        hi = np.minimum(hi, np.where(s > 0, bounds.ub[corner] - v, v - bounds.lb[corner]))
    proven = all_sup & (hi - lo >= need)
    return proven, np.where(proven, lo, 0.0), np.where(proven, hi, 0.0)


def walk(
    cube: Cube,
    cell: int,
    suppressed: npt.NDArray[np.bool_],
    bounds: Bounds,
    need: float,
    max_steps: int = 4,
) -> tuple[float, float]:
    """Chain perturbations: move to the far end of one, then look for the next from there.

    Each table on the way is feasible, so every value passed is one a reader cannot exclude.
    This reaches values that no single ±1 perturbation can (a total at its upper bound spread
    over several small parts).
    """
    reach = [0.0, 0.0]
    nobody = np.zeros_like(suppressed)
    for side, direction in ((0, -1.0), (1, 1.0)):
        values = cube.values.copy()
        moved = 0.0
        for _ in range(max_steps):
            _, _, pert = search(
                cube,
                cell,
                suppressed,
                nobody,
                bounds,
                1.0,
                allow_new=True,
                per_dim=12,
                budget=5_000,
                values=values,
            )
            if pert is None:
                break
            step = pert.t_lo if direction < 0 else pert.t_hi
            if step * direction <= 0:
                break
            values[pert.cells] += pert.signs * step
            moved += step
            if abs(moved) >= need:
                break
        reach[side] = moved
        if reach[1] - reach[0] >= need:
            break
    return reach[0], reach[1]
