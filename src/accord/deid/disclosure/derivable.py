"""Which withheld cells the published equations fix: a rank-based check (DDG.md §10.5).

A reader who knows every published cell and total can solve the additive groups for the
withheld ones. A withheld cell is exactly derivable when every solution gives it the same
value: when it is zero in every vector of the null space of the withheld cells' columns, or,
equivalently, when deleting its column lowers the rank. This check ignores the bounds a reader
also knows (>= 1, the reason labels), so it can only under-report what the interval audit
finds; what it does report is certain up to the arithmetic below. It shares no code with the
perturbation search that chose the pattern, and it runs in seconds on tables far too large for
an interval solver.

The matrix is reduced to echelon form in exact arithmetic modulo the prime p = 2^31 - 1,
pivoting on the sparsest row first (the additive groups of a table stay sparse under
elimination). A random null vector is then built by back-substitution and checked against the
original equations. Two things can err, each with probability about 1/p per cell: a free cell
can be zero in the random vector by chance (a safe cell reported derivable: a false alarm),
and reducing modulo p can lose a solution of the rational system only when p divides a minor of
the matrix that the elimination divides by (a derivable cell reported free). The release does
not rest on this check alone: every primary cell also has its perturbation proof.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numba
import numpy as np
import numpy.typing as npt

from accord.deid.model.groups import Groups

PRIME = (1 << 31) - 1  # products of two residues fit in 64 bits
SEED = 20251125  # fixed: the same table always gets the same answer
MAX_ENTRIES = 40_000_000  # of the reduced rows (~1.3 GB with their index): beyond, give up
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Derivability:
    """The outcome over one table's unknown cells."""

    fixed: npt.NDArray[np.bool_]  # over all cells: unknown cells the equations determine
    unknowns: int
    rank: int  # of the unknown cells' columns; -1 when the elimination outgrew MAX_ENTRIES

    @property
    def complete(self) -> bool:
        return self.rank >= 0

    @property
    def freedom(self) -> int:
        """Dimension of the reader's solution space: how many values can still move together."""
        return self.unknowns - self.rank


def derivable(
    groups: Groups,
    unknown: npt.NDArray[np.bool_],
    hidden: npt.NDArray[np.bool_] | None = None,
) -> Derivability:
    """The unknown cells whose value the additive groups and the known cells determine.

    `hidden` cells are the cross-tabulation behind linked tables, printed in none of them.
    Groups through them are left out: over real values, tables that agree on the totals they
    share always have a cross-tabulation behind them, so those groups tell a reader nothing
    about the printed cells that the tables' own groups do not — and leaving them out keeps
    the elimination small (a 5-way cross-tabulation hidden behind two tables is 450,000
    unknowns, and gigabytes of fill-in).
    """
    if hidden is not None and hidden.any():
        through = np.asarray(groups.matrix[:, np.flatnonzero(hidden)].getnnz(axis=1) > 0)
        rows = np.flatnonzero(~through)
        unknown = unknown & ~hidden
    else:
        rows = np.arange(groups.count)
    columns = np.flatnonzero(unknown)
    sub = groups.matrix[rows].tocsc()[:, columns].tocsr()
    sub.eliminate_zeros()
    sub = sub[np.diff(sub.indptr) > 0]
    sub.sort_indices()
    ptr = sub.indptr.astype(np.int64)
    idx = sub.indices.astype(np.int64)
    coef = np.rint(sub.data).astype(np.int64) % PRIME
    start = np.random.default_rng(SEED).integers(1, PRIME, size=len(columns), dtype=np.int64)
    y, rank = _null_vector(ptr, idx, coef, start, PRIME, MAX_ENTRIES)
    if rank < 0:
        return Derivability(np.zeros(len(unknown), dtype=bool), len(columns), -1)
    signed = np.rint(sub.data).astype(np.int64) * y[idx]
    if len(signed) and (np.add.reduceat(signed, ptr[:-1]) % PRIME).any():
        raise RuntimeError("rank check: the null vector fails an equation")
    fixed = np.zeros(len(unknown), dtype=bool)
    fixed[columns[y == 0]] = True
    return Derivability(fixed, len(columns), int(rank))


@numba.njit(cache=True)
def _inverse(a: int, p: int) -> int:
    result, base, e = 1, a % p, p - 2
    while e:
        if e & 1:
            result = result * base % p
        base = base * base % p
        e >>= 1
    return result


@numba.njit(cache=True)
def _null_vector(
    ptr: IntArray, idx: IntArray, coef: IntArray, start: IntArray, p: int, limit: int
) -> tuple[IntArray, int]:
    """Forward elimination, sparsest row first; then back-substitution from `start`.
    The rank is -1 when the rows outgrow `limit` entries.

    Rows live in one growing pool (each row's sorted columns and residues at an offset);
    `holders` lists, per column, rows that held it at some time — stale entries are skipped —
    and `count` is exact, for choosing the pivot column that touches the fewest rows.
    """
    m, n = len(ptr) - 1, len(start)
    if len(idx) > limit:
        return start, -1
    cap = min(4 * len(idx), limit) + 16
    pool_c = np.empty(cap, dtype=np.int64)
    pool_v = np.empty(cap, dtype=np.int64)
    pool_c[: len(idx)] = idx
    pool_v[: len(idx)] = coef
    top = len(idx)
    off = ptr[:-1].copy()
    size = np.diff(ptr)
    hold_row = np.empty(len(idx) + 16, dtype=np.int64)
    hold_next = np.full(len(idx) + 16, -1, dtype=np.int64)
    head = np.full(n, -1, dtype=np.int64)
    count = np.zeros(n, dtype=np.int64)
    n_hold = 0
    for r in range(m):
        for k in range(ptr[r], ptr[r + 1]):
            c = idx[k]
            if n_hold == len(hold_row):
                hold_row = np.concatenate((hold_row, np.empty(n_hold, dtype=np.int64)))
                hold_next = np.concatenate((hold_next, np.full(n_hold, -1, dtype=np.int64)))
            hold_row[n_hold] = r
            hold_next[n_hold] = head[c]
            head[c] = n_hold
            n_hold += 1
            count[c] += 1
    done = np.zeros(m, dtype=np.bool_)
    seen = np.full(m, -1, dtype=np.int64)
    heap = [(size[r], r) for r in range(m)]
    heapq.heapify(heap)
    piv_col = np.empty(min(m, n), dtype=np.int64)
    piv_row = np.empty(min(m, n), dtype=np.int64)
    rank = 0
    buf_c = np.empty(n, dtype=np.int64)
    buf_v = np.empty(n, dtype=np.int64)
    while heap:
        s, r = heapq.heappop(heap)
        if done[r]:
            continue
        if s != size[r]:
            heapq.heappush(heap, (size[r], r))
            continue
        done[r] = True
        if size[r] == 0:
            continue  # a dependent equation: it fixes nothing new
        o = off[r]
        pivot, best = -1, 1 << 62
        for k in range(o, o + size[r]):
            c = pool_c[k]
            count[c] -= 1
            if count[c] < best:
                pivot, best = c, count[c]
        pv = 0
        for k in range(o, o + size[r]):
            if pool_c[k] == pivot:
                pv = pool_v[k]
        inv = _inverse(pv, p)
        piv_col[rank], piv_row[rank] = pivot, r
        rank += 1
        h = head[pivot]
        while h >= 0:
            r2 = hold_row[h]
            h = hold_next[h]
            if done[r2] or seen[r2] == r:
                continue
            seen[r2] = r
            o2, s2 = off[r2], size[r2]
            f = 0
            for k in range(o2, o2 + s2):  # rows are short: a scan beats a search
                if pool_c[k] == pivot:
                    f = pool_v[k] * inv % p
            if f == 0:
                continue  # a stale entry: the column left this row earlier
            # merge r2 - f * r into the buffer, both sorted by column
            i, j, t = o2, o, 0
            while i < o2 + s2 or j < o + size[r]:
                if j >= o + size[r] or (i < o2 + s2 and pool_c[i] < pool_c[j]):
                    buf_c[t], buf_v[t] = pool_c[i], pool_v[i]
                    t += 1
                    i += 1
                    continue
                c = pool_c[j]
                v = (p - f * pool_v[j] % p) % p
                if i < o2 + s2 and pool_c[i] == c:
                    v = (v + pool_v[i]) % p
                    i += 1
                    if v == 0:
                        count[c] -= 1
                else:
                    count[c] += 1  # a new column in r2 (fill-in)
                    if n_hold == len(hold_row):
                        hold_row = np.concatenate((hold_row, np.empty(n_hold, dtype=np.int64)))
                        hold_next = np.concatenate(
                            (hold_next, np.full(n_hold, -1, dtype=np.int64))
                        )
                    hold_row[n_hold] = r2
                    hold_next[n_hold] = head[c]
                    head[c] = n_hold
                    n_hold += 1
                j += 1
                if v:
                    buf_c[t], buf_v[t] = c, v
                    t += 1
            if t <= s2:  # fits where it was
                dest = o2
            else:
                if top + t > limit:
                    return start, -1
                if top + t > len(pool_c):
                    grow = max(len(pool_c), t)
                    pool_c = np.concatenate((pool_c, np.empty(grow, dtype=np.int64)))
                    pool_v = np.concatenate((pool_v, np.empty(grow, dtype=np.int64)))
                dest = top
                top += t
            pool_c[dest : dest + t] = buf_c[:t]
            pool_v[dest : dest + t] = buf_v[:t]
            off[r2], size[r2] = dest, t
            heapq.heappush(heap, (t, r2))
    y = start.copy()
    for q in range(rank - 1, -1, -1):
        pivot, r = piv_col[q], piv_row[q]
        acc, pv = 0, 1
        for k in range(off[r], off[r] + size[r]):
            c = pool_c[k]
            if c == pivot:
                pv = pool_v[k]
            else:
                acc = (acc + pool_v[k] * y[c]) % p
        y[pivot] = (p - acc) % p * _inverse(pv, p) % p
    return y, rank
