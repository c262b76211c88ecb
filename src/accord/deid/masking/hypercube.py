"""Compiled search for balanced perturbations ("hypercubes") through a suppressed cell.

A perturbation adds +t and -t to suppressed cells so that every additive group keeps its sum;
a reader cannot tell the perturbed tables apart. If one runs through a primary cell and the
bounds a reader knows (DDG.md §10.5) let t take `min_feasible_values - 1` steps, that cell is
protected: the perturbed tables are integer solutions, so this is a proof, not an estimate.

In one dimension a balanced vector satisfies w[parent] = sum of w[children] at every node. The
candidates here, per dimension: a pair of sibling branches with opposite signs, a pair of
cousin branches (climb to an ancestor, pair it with one of that ancestor's siblings), and the
chain from the root through the node with one sign; a branch below a margin follows its
cheapest child down to a leaf. The tensor product of one vector per dimension is balanced in
the whole cube. Each dimension keeps its `per_dim` cheapest vectors (ranked on the cell's own
line: suppressed cells cost nothing, usable cells their count, anything else rules the vector
out); the product is searched depth first with pruning on the number of cells it would add.

The loops run per cell over a few dozen corners, which is why they are compiled with Numba:
the same code in Python costs milliseconds per cell, and large tables have tens of thousands
of primary cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt

from accord.deid.model.cube import Cube

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

FREE, NEW_CELL, BLOCKED = 0.0, 1e6, 1e12
N_KEYS = 5  # new cells, new margin cells, then the three strategy keys in department order
BUDGET = 100_000  # partial perturbations tried per cell at effort 1
STRATEGY_CODES = {"least_interesting": 0, "smallest": 1, "most_similar": 2}


@dataclass
class Bounds:
    """What a reader knows about each cell: lb <= x <= ub (published cells: lb == ub)."""

    lb: FloatArray
    ub: FloatArray


# the dimension trees as the compiled code takes them (see Trees); flat arrays only, so that
# one compiled version serves tables of any number of dimensions
Packed = tuple[
    IntArray, IntArray, IntArray, IntArray, IntArray, BoolArray, IntArray, IntArray, int
]


# the state of the table being protected: suppressed, usable as a new complement, values,
# and the reader's bounds (for usable cells, the bounds they would have once suppressed)
Pattern = tuple[BoolArray, BoolArray, FloatArray, FloatArray, FloatArray]
# what a perturbation's cost weighs after its new cells: least-interesting categories,
# interior cells (margins cost more), the department's strategy order (STRATEGY_CODES)
Costs = tuple[BoolArray, BoolArray, IntArray]


def costs_of(cube: Cube, least: BoolArray | None, strategy: tuple[str, ...]) -> Costs:
    return (
        np.zeros(cube.size, dtype=bool) if least is None else least,
        np.ascontiguousarray(cube.is_interior),
        np.array([STRATEGY_CODES[s] for s in strategy], dtype=np.int64),
    )


def values_of(cube: Cube) -> FloatArray:
    """Cell values as the compiled code reads them (unknown cells count as 0)."""
    return np.ascontiguousarray(np.nan_to_num(cube.values, nan=0.0), dtype=np.float64)


@dataclass(frozen=True)
class Trees:
    """The cube's dimension trees as flat arrays, in the shape the compiled code reads.

    Dimension j's nodes are parents[node_off[j] : node_off[j + 1]] (local indices), its child
    pointers child_ptr[node_off[j] + j : node_off[j + 1] + j + 1] into
    child_idx[kid_off[j] : kid_off[j + 1]]; coords[j, cell] is a cell's node in dimension j.
    """

    parents: IntArray
    node_off: IntArray
    child_ptr: IntArray
    child_idx: IntArray
    kid_off: IntArray
    inclusive: BoolArray
    strides: IntArray
    coords: IntArray
    max_option: int

    @property
    def packed(self) -> Packed:
        return (
            self.parents,
            self.node_off,
            self.child_ptr,
            self.child_idx,
            self.kid_off,
            self.inclusive,
            self.strides,
            self.coords,
            self.max_option,
        )

    @classmethod
    def of(cls, cube: Cube) -> Trees:
        parents, ptrs, idxs = [], [], []
        longest = 1
        for d in cube.dims:
            parents.append(np.asarray(d.parents, dtype=np.int64))
            counts = np.array([len(k) for k in d.children], dtype=np.int64)
            ptr = np.zeros(d.size + 1, dtype=np.int64)
            np.cumsum(counts, out=ptr[1:])
            ptrs.append(ptr)
            idxs.append(np.array([k for kids in d.children for k in kids], dtype=np.int64))
            depth = int(d.depth.max()) if d.size else 0
            longest = max(longest, 2 * (depth + 1))

        def offsets(parts: list[IntArray]) -> IntArray:
            out = np.zeros(len(parts) + 1, dtype=np.int64)
            np.cumsum([len(p) for p in parts], out=out[1:])
            return out

        return cls(
            np.concatenate(parents),
            offsets(parents),
            np.concatenate(ptrs),
            np.concatenate(idxs),
            offsets(idxs),
            np.array([d.inclusive for d in cube.dims], dtype=bool),
            np.asarray(cube.strides, dtype=np.int64),
            np.ascontiguousarray(np.stack(cube.coord_arrays)),
            longest,
        )


@numba.njit(cache=True)
def tree_size(tree: Packed) -> tuple[int, int]:
    """Number of dimensions and the longest vector of one dimension."""
    return tree[6].shape[0], tree[8]


@numba.njit(cache=True)
def _rank(x: int, sup: BoolArray, usable: BoolArray, values: FloatArray) -> float:
    if sup[x]:
        return FREE
    if usable[x]:
        return NEW_CELL + float(values[x])
    return BLOCKED


@numba.njit(cache=True)
def _down(
    start: int,
    base: int,
    coord: int,
    stride: int,
    child_ptr: IntArray,
    child_idx: IntArray,
    sup: BoolArray,
    usable: BoolArray,
    values: FloatArray,
    out: IntArray,
    at: int,
) -> tuple[int, float]:
    """Write `start` and its cheapest descendants down to a leaf into out[at:]; returns the
    new end and the summed rank of the nodes written after `start`."""
    node = start
    out[at] = node
    at += 1
    cost = 0.0
    while child_ptr[node + 1] > child_ptr[node]:
        best, best_rank = -1, 0.0
        for p in range(child_ptr[node], child_ptr[node + 1]):
            kid = child_idx[p]
            r = _rank(base + (kid - coord) * stride, sup, usable, values)
            if best < 0 or r < best_rank:
                best, best_rank = kid, r
        node = best
        out[at] = node
        at += 1
        cost += best_rank
    return at, cost


@numba.njit(cache=True)
def _cheaper(cost: float, tie: int, other_cost: float, other_tie: int) -> bool:
    return cost < other_cost or (cost == other_cost and tie < other_tie)


@numba.njit(cache=True)
def _offer(
    cost: float,
    tie: int,
    buf: IntArray,
    sgn: IntArray,
    length: int,
    opt_nodes: IntArray,
    opt_signs: IntArray,
    opt_len: IntArray,
    opt_cost: FloatArray,
    opt_tie: IntArray,
    count: int,
    limit: int,
) -> int:
    """Insert a vector into the sorted list of the `limit` cheapest; returns the new count."""
    if count == limit and not _cheaper(cost, tie, opt_cost[count - 1], opt_tie[count - 1]):
        return count
    pos = count if count < limit else limit - 1
    while pos > 0 and _cheaper(cost, tie, opt_cost[pos - 1], opt_tie[pos - 1]):
        if pos < limit:
            opt_cost[pos] = opt_cost[pos - 1]
            opt_tie[pos] = opt_tie[pos - 1]
            opt_len[pos] = opt_len[pos - 1]
            opt_nodes[pos, :] = opt_nodes[pos - 1, :]
            opt_signs[pos, :] = opt_signs[pos - 1, :]
        pos -= 1
    opt_cost[pos] = cost
    opt_tie[pos] = tie
    opt_len[pos] = length
    opt_nodes[pos, :length] = buf[:length]
    opt_signs[pos, :length] = sgn[:length]
    return count + 1 if count < limit else count


@numba.njit(cache=True)
def _options(
    cell: int,
    coord: int,
    stride: int,
    parents: IntArray,
    child_ptr: IntArray,
    child_idx: IntArray,
    inclusive: bool,
    sup: BoolArray,
    usable: BoolArray,
    values: FloatArray,
    allow_new: bool,
    margins_first: bool,
    limit: int,
    opt_nodes: IntArray,
    opt_signs: IntArray,
    opt_len: IntArray,
    opt_cost: FloatArray,
    opt_tie: IntArray,
) -> int:
    """The `limit` cheapest balanced vectors of one dimension through `coord` (sign +1)."""
    if inclusive:  # no group along this dimension: the cell may move alone
        opt_nodes[0, 0] = coord
        opt_signs[0, 0] = 1
        opt_len[0] = 1
        opt_cost[0] = 0.0
        return 1
    width = opt_nodes.shape[1]
    buf = np.empty(width, dtype=np.int64)
    sgn = np.empty(width, dtype=np.int64)
    ceiling = NEW_CELL if not allow_new else BLOCKED
    lead = -BLOCKED if margins_first else 0.0  # sorts the chains through the margins first
    count = 0
    mine_end, mine_cost = _down(
        coord, cell, coord, stride, child_ptr, child_idx, sup, usable, values, buf, 0
    )
    parent = parents[coord]
    # siblings: my branch +, theirs -
    if parent >= 0:
        for p in range(child_ptr[parent], child_ptr[parent + 1]):
            sib = child_idx[p]
            if sib == coord:
                continue
            end, cost = _down(
                sib, cell, coord, stride, child_ptr, child_idx, sup, usable, values, buf, mine_end
            )
            cost += _rank(cell + (sib - coord) * stride, sup, usable, values) + mine_cost
            if cost >= ceiling:
                continue
            sgn[:mine_end] = 1
            sgn[mine_end:end] = -1
            count = _offer(
                cost, abs(sib - coord), buf, sgn, end,
                opt_nodes, opt_signs, opt_len, opt_cost, opt_tie, count, limit,
            )
    # cousins: climb to an ancestor below the root, pair it with one of its siblings
    climbed = np.empty(width, dtype=np.int64)
    n_climbed = 0
    climb_cost = mine_cost
    anc = parent
    while anc >= 0 and parents[anc] >= 0:
        climbed[n_climbed] = anc
        n_climbed += 1
        climb_cost += _rank(cell + (anc - coord) * stride, sup, usable, values)
        if climb_cost >= ceiling:
            break
        # layout: climbed ancestors (+), my branch (+), their branch (-)
        head = n_climbed + mine_end
        up = parents[anc]
        for p in range(child_ptr[up], child_ptr[up + 1]):
            sib = child_idx[p]
            if sib == anc:
                continue
            for i in range(n_climbed):
                buf[i] = climbed[n_climbed - 1 - i]
            end, cost = _down(
                coord, cell, coord, stride, child_ptr, child_idx, sup, usable, values,
                buf, n_climbed,
            )
            end, their_cost = _down(
                sib, cell, coord, stride, child_ptr, child_idx, sup, usable, values, buf, head
            )
            cost = climb_cost + their_cost
            cost += _rank(cell + (sib - coord) * stride, sup, usable, values)
            if cost >= ceiling:
                continue
            sgn[:head] = 1
            sgn[head:end] = -1
            count = _offer(
                cost, width + abs(sib - anc), buf, sgn, end,
                opt_nodes, opt_signs, opt_len, opt_cost, opt_tie, count, limit,
            )
        anc = up
    # the chain from the root down through this node, all +; below a margin, one chain per
    # child, because which child carries the perturbation matters most there
    n = 0
    cost = 0.0
    anc = parent
    while anc >= 0:
        climbed[n] = anc
        n += 1
        cost += _rank(cell + (anc - coord) * stride, sup, usable, values)
        anc = parents[anc]
    for i in range(n):
        buf[i] = climbed[n - 1 - i]
    buf[n] = coord
    first, last = child_ptr[coord], child_ptr[coord + 1]
    if first == last:
        if n > 0 and cost < ceiling:
            sgn[: n + 1] = 1
            count = _offer(
                cost + lead, 2 * width, buf, sgn, n + 1,
                opt_nodes, opt_signs, opt_len, opt_cost, opt_tie, count, limit,
            )
        return count
    for p in range(first, last):
        kid = child_idx[p]
        end, below = _down(
            kid, cell, coord, stride, child_ptr, child_idx, sup, usable, values, buf, n + 1
        )
        total = cost + below + _rank(cell + (kid - coord) * stride, sup, usable, values)
        if total >= ceiling:
            continue
        sgn[:end] = 1
        count = _offer(
            total + lead, 2 * width + kid, buf, sgn, end,
            opt_nodes, opt_signs, opt_len, opt_cost, opt_tie, count, limit,
        )
    return count


@numba.njit(cache=True)
def _too_narrow(t_lo: float, t_hi: float, need: float, direction: int) -> bool:
    if direction < 0:
        return t_lo > -need
    if direction > 0:
        return t_hi < need
    return t_hi - t_lo < need


@numba.njit(cache=True)
def _better(a: FloatArray, b: FloatArray) -> bool:
    for i in range(a.shape[0]):
        if a[i] < b[i]:
            return True
        if a[i] > b[i]:
            return False
    return False


@numba.njit(cache=True)
def search_one(
    cell: int,
    tree: Packed,
    pattern: Pattern,
    costs: Costs,
    need: float,
    allow_new: bool,
    margins_first: bool,
    per_dim: int,
    budget: int,
    out_cells: IntArray,
    out_signs: IntArray,
    direction: int = 0,
) -> tuple[int, float, float, int]:
    """Best perturbation through `cell`: returns (corners written to out_cells and their signs
    to out_signs, t_lo, t_hi, cells it adds), or (0, 0, 0, -1) when none within the budget
    has width >= need (with `direction` -1 or +1: reaches t <= -need, or t >= need).

    Without `allow_new` only suppressed cells may move and the first wide enough one is
    returned (a proof). With it, the one adding the fewest cells wins, then fewer margins,
    then the department's strategy order; lb/ub must already hold, for usable cells, the
    bounds they would have once suppressed.
    """
    parents, node_off, child_ptr, child_idx, kid_off, inclusive, strides, coords, max_option = (
        tree
    )
    sup, usable, values, lb, ub = pattern
    least, interior, strategy = costs
    k = strides.shape[0]
    opt_nodes = np.zeros((k, per_dim, max_option), dtype=np.int64)
    opt_signs = np.zeros((k, per_dim, max_option), dtype=np.int64)
    opt_len = np.zeros((k, per_dim), dtype=np.int64)
    opt_cost = np.zeros((k, per_dim), dtype=np.float64)
    opt_tie = np.zeros((k, per_dim), dtype=np.int64)
    n_opts = np.zeros(k, dtype=np.int64)
    for j in range(k):
        n_opts[j] = _options(
            cell, coords[j, cell], strides[j], parents[node_off[j] : node_off[j + 1]],
            child_ptr[node_off[j] + j : node_off[j + 1] + j + 1],
            child_idx[kid_off[j] : kid_off[j + 1]],
            inclusive[j], sup, usable, values, allow_new, margins_first, per_dim,
            opt_nodes[j], opt_signs[j], opt_len[j], opt_cost[j], opt_tie[j],
        )
        if n_opts[j] == 0:
            return 0, 0.0, 0.0, -1
    cap = 1
    for j in range(k):
        longest = 1
        for o in range(n_opts[j]):
            longest = max(longest, opt_len[j, o])
        cap *= longest
    corners = np.empty((k + 1, cap), dtype=np.int64)
    signs = np.empty((k + 1, cap), dtype=np.int64)
    n_corners = np.zeros(k + 1, dtype=np.int64)
    lo = np.zeros(k + 1)
    hi = np.zeros(k + 1)
    keys = np.zeros((k + 1, N_KEYS))
    choice = np.full(k, -1, dtype=np.int64)
    best_keys = np.full(N_KEYS, np.inf)
    best_lo, best_hi = 0.0, 0.0
    v0 = values[cell]
    corners[0, 0] = cell
    signs[0, 0] = 1
    n_corners[0] = 1
    lo[0], hi[0] = lb[cell] - v0, ub[cell] - v0
    if _too_narrow(lo[0], hi[0], need, direction):
        return 0, 0.0, 0.0, -1
    steps = 0
    level = 0
    found = False
    while level >= 0:
        choice[level] += 1
        if choice[level] >= n_opts[level] or steps >= budget:
            choice[level] = -1
            level -= 1
            continue
        steps += 1
        o = choice[level]
        coord = coords[level, cell]
        stride = strides[level]
        t_lo, t_hi = lo[level], hi[level]
        kk = keys[level].copy()
        m = 0
        ok = True
        for a in range(n_corners[level]):
            x, s = corners[level, a], signs[level, a]
            corners[level + 1, m] = x
            signs[level + 1, m] = s
            m += 1
        for b in range(opt_len[level, o]):
            node = opt_nodes[level, o, b]
            if node == coord:
                continue
            sg = opt_signs[level, o, b]
            for a in range(n_corners[level]):
                y = corners[level, a] + (node - coord) * stride
                s = signs[level, a] * sg
                if not sup[y]:
                    if not (allow_new and usable[y]):
                        ok = False
                        break
                    kk[0] += 1.0
                    if not interior[y]:
                        kk[1] += 1.0
                    for q in range(strategy.shape[0]):
                        if strategy[q] == 0 and not least[y]:
                            kk[2 + q] += 1.0
                        elif strategy[q] == 1:
                            kk[2 + q] += values[y]
                        elif strategy[q] == 2:
                            kk[2 + q] += abs(node - coord)
                vy = values[y]
                if s > 0:
                    t_lo = max(t_lo, lb[y] - vy)
                    t_hi = min(t_hi, ub[y] - vy)
                else:
                    t_lo = max(t_lo, vy - ub[y])
                    t_hi = min(t_hi, vy - lb[y])
                if _too_narrow(t_lo, t_hi, need, direction):
                    ok = False
                    break
                corners[level + 1, m] = y
                signs[level + 1, m] = s
                m += 1
            if not ok:
                break
        if not ok or kk[0] > best_keys[0]:
            continue
        if level + 1 < k:
            n_corners[level + 1] = m
            lo[level + 1], hi[level + 1] = t_lo, t_hi
            keys[level + 1] = kk
            level += 1
            continue
        if found and not _better(kk, best_keys):
            continue
        found = True
        best_keys[:] = kk
        best_lo, best_hi = t_lo, t_hi
        n_corners[k] = m
        out_cells[:m] = corners[k, :m]
        out_signs[:m] = signs[k, :m]
        if kk[0] == 0.0:
            break  # nothing to add: a proof, and no perturbation can add fewer cells
    if not found:
        return 0, 0.0, 0.0, -1
    return int(n_corners[k]), best_lo, best_hi, int(best_keys[0])
