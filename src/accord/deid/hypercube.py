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

from accord.deid.cube import Cube

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


@dataclass(frozen=True)
class Trees:
    """The cube's dimension trees as flat arrays, in the shape the compiled code reads."""

    parents: tuple[IntArray, ...]
    child_ptr: tuple[IntArray, ...]
    child_idx: tuple[IntArray, ...]
    inclusive: BoolArray
    strides: IntArray
    coords: tuple[IntArray, ...]
    max_option: int

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
        return cls(
            tuple(parents),
            tuple(ptrs),
            tuple(idxs),
            np.array([d.inclusive for d in cube.dims], dtype=bool),
            np.asarray(cube.strides, dtype=np.int64),
            cube.coord_arrays,
            longest,
        )


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
    parents: tuple[IntArray, ...],
    child_ptr: tuple[IntArray, ...],
    child_idx: tuple[IntArray, ...],
    inclusive: BoolArray,
    strides: IntArray,
    coords: tuple[IntArray, ...],
    max_option: int,
    sup: BoolArray,
    usable: BoolArray,
    values: FloatArray,
    lb: FloatArray,
    ub: FloatArray,
    least: BoolArray,
    interior: BoolArray,
    strategy: IntArray,
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
    k = strides.shape[0]
    opt_nodes = np.zeros((k, per_dim, max_option), dtype=np.int64)
    opt_signs = np.zeros((k, per_dim, max_option), dtype=np.int64)
    opt_len = np.zeros((k, per_dim), dtype=np.int64)
    opt_cost = np.zeros((k, per_dim), dtype=np.float64)
    opt_tie = np.zeros((k, per_dim), dtype=np.int64)
    n_opts = np.zeros(k, dtype=np.int64)
    for j in range(k):
        n_opts[j] = _options(
            cell, coords[j][cell], strides[j], parents[j], child_ptr[j], child_idx[j],
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
        coord = coords[level][cell]
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
    parents: tuple[IntArray, ...],
    child_ptr: tuple[IntArray, ...],
    child_idx: tuple[IntArray, ...],
    inclusive: BoolArray,
    strides: IntArray,
    coords: tuple[IntArray, ...],
    max_option: int,
    sup: BoolArray,
    usable: BoolArray,
    values: FloatArray,
    lb: FloatArray,
    ub: FloatArray,
    least: BoolArray,
    interior: BoolArray,
    strategy: IntArray,
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
    k = strides.shape[0]
    out = np.empty(max_option**k, dtype=np.int64)
    out_signs = np.empty(max_option**k, dtype=np.int64)
    used = 0
    for i in range(order.shape[0]):
        cell = order[i]
        n, lo, hi, fresh = search_one(
            cell, parents, child_ptr, child_idx, inclusive, strides, coords, max_option,
            sup, usable, values, lb, ub, least, interior, strategy, need, allow_new,
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
    """Vectors kept per dimension: the product of k of them is searched."""
    return effort * {1: 64, 2: 32, 3: 16, 4: 12, 5: 6}.get(k, 4)


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
    values = np.ascontiguousarray(np.nan_to_num(cube.values, nan=0.0), dtype=np.float64)
    out.store, _ = _protect_all(
        cells,
        trees.parents,
        trees.child_ptr,
        trees.child_idx,
        trees.inclusive,
        trees.strides,
        trees.coords,
        trees.max_option,
        sup,
        usable,
        values,
        lb,
        ub,
        np.zeros(cube.size, dtype=bool) if least is None else least,
        np.ascontiguousarray(cube.is_interior),
        np.array([STRATEGY_CODES[s] for s in strategy], dtype=np.int64),
        float(need),
        allow_new,
        effort > 1,
        per_dim_limit(k, effort),
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
    parents: tuple[IntArray, ...],
    child_ptr: tuple[IntArray, ...],
    child_idx: tuple[IntArray, ...],
    inclusive: BoolArray,
    strides: IntArray,
    coords: tuple[IntArray, ...],
    max_option: int,
    sup: BoolArray,
    values: FloatArray,
    lb: FloatArray,
    ub: FloatArray,
    interior: BoolArray,
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
    k = strides.shape[0]
    n_cells = sup.shape[0]
    locked = np.zeros(n_cells, dtype=np.bool_)
    nobody = np.zeros(n_cells, dtype=np.bool_)
    no_least = np.zeros(n_cells, dtype=np.bool_)
    strategy = np.zeros(0, dtype=np.int64)
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
                primaries[i], parents, child_ptr, child_idx, inclusive, strides, coords,
                max_option, sup, nobody, values, lb, ub, no_least, interior, strategy, need,
                False, False, per_dim, budget, out, out_signs,
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
    values = np.ascontiguousarray(np.nan_to_num(cube.values, nan=0.0), dtype=np.float64)
    used = int((p.proof_start + p.proof_len).max()) if len(p.proof_len) else 0
    p.store, _ = _prune(
        np.ascontiguousarray(candidates, dtype=np.int64),
        p.cells,
        trees.parents,
        trees.child_ptr,
        trees.child_idx,
        trees.inclusive,
        trees.strides,
        trees.coords,
        trees.max_option,
        sup,
        values,
        lb,
        ub,
        np.ascontiguousarray(cube.is_interior),
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
    parents: tuple[IntArray, ...],
    child_ptr: tuple[IntArray, ...],
    child_idx: tuple[IntArray, ...],
    inclusive: BoolArray,
    strides: IntArray,
    coords: tuple[IntArray, ...],
    max_option: int,
    sup: BoolArray,
    usable: BoolArray,
    values: FloatArray,
    lb: FloatArray,
    ub: FloatArray,
    least: BoolArray,
    interior: BoolArray,
    strategy: IntArray,
    need: float,
    allow_new: bool,
    per_dim: int,
    budget: int,
    max_steps: int,
    down: FloatArray,
    up: FloatArray,
    added: BoolArray,
) -> None:
    k = strides.shape[0]
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
                    cell, parents, child_ptr, child_idx, inclusive, strides, coords,
                    max_option, sup, usable, current, lb, ub, least, interior, strategy,
                    1.0, allow_new, True, per_dim, budget, out, out_signs, direction,
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
        values = np.ascontiguousarray(np.nan_to_num(cube.values, nan=0.0), dtype=np.float64)
        _walk_all(
            cells, trees.parents, trees.child_ptr, trees.child_idx, trees.inclusive,
            trees.strides, trees.coords, trees.max_option, sup,
            np.zeros(cube.size, dtype=bool) if usable is None else usable, values, lb, ub,
            np.zeros(cube.size, dtype=bool) if least is None else least,
            np.ascontiguousarray(cube.is_interior),
            np.array([STRATEGY_CODES[s] for s in strategy], dtype=np.int64),
            float(need), usable is not None, per_dim_limit(len(cube.dims), 3), BUDGET,
            max_steps, down, up, added,
        )
    return down, up, added
