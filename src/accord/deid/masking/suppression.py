"""Primary and complementary suppression (DDG.md §10.2, §10.4 R1–R5).

Design for scale: group rules R1–R3 are enforced with a worklist over additive groups, keeping
per-group tallies (count, sum, largest suppressed value) so each step is O(group size); the
choice of complement minimises the number of groups it newly breaks, then follows the
department's strategy (least interesting, smallest, most similar). The audit (R4) is then run;
a primary cell it cannot prove safe gets the cheapest perturbation that protects it
(hypercube.py), and R1–R3 are re-enforced — repeated until nothing changes (R5).
"""

from __future__ import annotations

import heapq
import logging
import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from accord.deid.disclosure.check import (
    COMPLEMENTARY,
    HIDDEN,
    PRIMARY,
    PUBLISHED,
    AuditReport,
    CellInterval,
    StatusArray,
    attacker_bounds,
    audit_pattern,
    complement_candidates,
    structurally_narrow,
)
from accord.deid.findings import Finding, Severity
from accord.deid.masking.hypercube import Trees
from accord.deid.masking.protection import Protection, protect, prune, walk
from accord.deid.model.cube import Cube
from accord.deid.model.groups import Groups
from accord.deid.model.hierarchy import IntArray
from accord.deid.spec.params import Parameters


@dataclass
class SuppressionResult:
    status: StatusArray
    audit: AuditReport
    findings: list[Finding] = field(default_factory=list)
    # withheld cells of groups R1/R2 could not complete: with `audit.failing`, what no
    # suppression fixes (aggregation.py starts from them)
    unprotectable: list[int] = field(default_factory=list)

    @property
    def protected(self) -> bool:
        """Every primary cell proved or solved safe, and every group rule met."""
        return not self.audit.failing and not self.unprotectable

    @property
    def primary_count(self) -> int:
        return int((self.status == PRIMARY).sum())

    @property
    def suppressed_count(self) -> int:
        return int(((self.status == PRIMARY) | (self.status == COMPLEMENTARY)).sum())

    @property
    def information_loss(self) -> float:
        """Suppressed cells per primary cell (project goal: <= 1.5 on large tables)."""
        p = self.primary_count
        return self.suppressed_count / p if p else 1.0


def primary_status(cube: Cube, params: Parameters) -> StatusArray:
    """DDG 4.4.1 (1), (3): values from 1..T-1 contributors are withheld; zeros never."""
    v = cube.values
    small = (v > 0) & (v < params.small_cell_threshold)
    if params.zero_is_small:
        small |= v == 0
    status = np.zeros(cube.size, dtype=np.int8)
    status[small] = PRIMARY
    return status


log = logging.getLogger(__name__)
SUPPRESSED = (PRIMARY, COMPLEMENTARY)
WIDEN_ROUNDS = 3
PRUNE_PASSES = 2  # each pass locks the cells of new proofs, so a later one can free more


class _Closure:
    """Worklist enforcement of R1 (never alone) and R2 (small-sum) over all groups."""

    def __init__(self, cube: Cube, groups: Groups, status: StatusArray, params: Parameters):
        self.cube, self.groups, self.status, self.params = cube, groups, status, params
        self.t = params.small_cell_threshold
        self.values = np.nan_to_num(cube.values, nan=0.0)
        g = groups
        member = status[g.cells]
        sup = (member == PRIMARY) | (member == COMPLEMENTARY)
        val = np.where(sup, self.values[g.cells], 0.0)
        is_total = np.zeros(len(g.cells), dtype=bool)
        is_total[g.ptr[:-1]] = True
        child_sup = sup & ~is_total
        starts = g.ptr[:-1]
        nonempty = np.diff(g.ptr) > 0
        self.cnt = np.zeros(g.count, dtype=np.int64)
        self.sum = np.zeros(g.count, dtype=np.float64)
        self.mx = np.zeros(g.count, dtype=np.float64)
        if g.count:
            self.cnt[nonempty] = np.add.reduceat(child_sup.astype(np.int64), starts[nonempty])
            self.sum[nonempty] = np.add.reduceat(np.where(child_sup, val, 0.0), starts[nonempty])
            self.mx[nonempty] = np.maximum.reduceat(np.where(child_sup, val, 0.0), starts[nonempty])
        self.tot = sup[starts] if g.count else np.zeros(0, dtype=bool)
        # a group with a part no table publishes gives a reader no sum to subtract from:
        # R1 and R2 do not apply to it (the audit still sees it)
        self.exempt = np.zeros(g.count, dtype=bool)
        if g.count:
            hidden = (member == HIDDEN).astype(np.int64)
            self.exempt[nonempty] = np.add.reduceat(hidden, starts[nonempty])[nonempty] > 0
        self.usable = complement_candidates(cube, groups, status, params)
        self.least = self._least_interesting()
        self.unfixable: list[int] = []

    def _least_interesting(self) -> npt.NDArray[np.bool_]:
        labels = {s.casefold() for s in self.params.least_interesting_labels}
        mask = np.zeros(self.cube.size, dtype=bool)
        for j, d in enumerate(self.cube.dims):
            hits = np.array([c.casefold() in labels for c in d.codes], dtype=bool)
            mask |= hits[self.cube.coord_arrays[j]]
        return mask

    def needs(self, g: int) -> bool:
        if self.exempt[g]:
            return False
        cnt = int(self.cnt[g])
        if self.tot[g]:
            return cnt == 0
        if cnt == 0:
            return False
        return cnt == 1 or self.mx[g] <= 3 or self.sum[g] < self.t

    def _needs_after(self, g: int, cell: int, value: float) -> bool:
        if self.exempt[g]:
            return False
        if self.groups.total(g) == cell:
            return int(self.cnt[g]) == 0
        cnt, s, mx = int(self.cnt[g]) + 1, self.sum[g] + value, max(self.mx[g], value)
        if self.tot[g]:
            return False
        return cnt == 1 or mx <= 3 or s < self.t

    def add(self, cell: int, code: int) -> list[int]:
        """Suppress `cell`; return the groups that may now break a rule."""
        self.status[cell] = code
        self.usable[cell] = False
        v = float(self.values[cell])
        touched = []
        for g in self.groups.groups_of(cell).tolist():
            if self.groups.total(g) == cell:
                self.tot[g] = True
            else:
                self.cnt[g] += 1
                self.sum[g] += v
                self.mx[g] = max(self.mx[g], v)
            touched.append(g)
        return touched

    def _has_other_candidate(self, g: int, cell: int) -> bool:
        kids = self.groups.members(g)[1:]
        return int(self.usable[kids].sum()) - int(self.usable[cell] and cell in kids) > 0

    def _key(self, g: int, cell: int) -> tuple[float, ...]:
        v = float(self.values[cell])
        delta = 0
        for h in self.groups.groups_of(cell).tolist():
            if h == g:
                continue
            after = self._needs_after(h, cell, v)
            delta += int(after) - int(self.needs(h))
            if after and not self._has_other_candidate(h, cell):
                delta += 1000  # a dead end: that group could never be completed

        keys: list[float] = [float(delta), float(not self.cube.is_interior[cell])]
        for strategy in self.params.complementary_strategy:
            if strategy == "least_interesting":
                keys.append(0.0 if self.least[cell] else 1.0)
            elif strategy == "smallest":
                keys.append(v)
            else:
                keys.append(self._distance(g, cell))
        keys.append(float(cell))
        return tuple(keys)

    def _distance(self, g: int, cell: int) -> float:
        j = int(self.groups.dim[g])
        coords = self.cube.coord_arrays[j]
        members = self.groups.members(g)[1:]
        sup = members[self.status[members] > 0]
        if not len(sup):
            return 0.0
        return float(np.abs(coords[sup] - coords[cell]).min())

    def pick(self, g: int) -> int | None:
        members = self.groups.members(g)
        kids = members[1:]
        candidates = kids[self.usable[kids]]
        if not len(candidates) and self.params.complement_totals and self.usable[members[0]]:
            candidates = members[:1]
        if not len(candidates):
            return None
        best: int = min(candidates.tolist(), key=lambda c: self._key(g, c))
        return best

    def run(self, start: list[int] | None = None) -> int:
        """Enforce R1/R2 to a fixed point; returns the number of complements added."""
        if start is None:
            start = np.flatnonzero(self.cnt + self.tot > 0).tolist()
        heap = list(start)
        heapq.heapify(heap)
        queued = set(heap)
        added = 0
        while heap:
            g = heapq.heappop(heap)
            queued.discard(g)
            if not self.needs(g):
                continue
            cell = self.pick(g)
            if cell is None:
                self.unfixable.append(g)
                continue
            added += 1
            for h in self.add(cell, COMPLEMENTARY):
                if h not in queued and self.needs(h):
                    heapq.heappush(heap, h)
                    queued.add(h)
        return added


def suppress_cube(
    cube: Cube,
    groups: Groups,
    params: Parameters,
    audit: bool = True,
    solver_limit: int = 100_000,
    forced: npt.NDArray[np.bool_] | None = None,
    hidden: npt.NDArray[np.bool_] | None = None,
    primary: npt.NDArray[np.bool_] | None = None,
    small_rule: bool = True,
    no_data: npt.NDArray[np.bool_] | None = None,
) -> SuppressionResult:
    """Primary suppression, a protecting perturbation per primary cell, then R1–R3 on top.

    Each primary cell in turn gets the cheapest perturbation wide enough for the audit
    (hypercube.py), so the audit (R4) is satisfied by construction: the perturbations
    are the proofs, and they stay valid as the pattern grows. R1–R3 are then enforced to a
    fixed point (R5). Cells left without a proof go to the solver when the table has at most
    `solver_limit` cells, and are widened until it passes; beyond that size a cell passes only
    with a proof (the exact-derivability check at large sizes).

    `forced` cells were suppressed in an earlier related release and stay suppressed (DDG.md
    §10.4 R6): as complements unless they are small now. A zero is never suppressed.
    `hidden` cells are published in no table of the release (linked tables sharing margins
    are faces of one cube): they are neither withheld nor known, so a reader's equations
    through them have an unknown term, and perturbations may move them.

    `primary` cells are small under another rule that binds the table (a survey's own rules,
    DDG.md §12 rule 3); `small_rule` false leaves out the DDG's own (the score did not require
    masking). Such a cell below the threshold is an ordinary primary cell. One at or above it
    (CHIS: < 500 weighted, but 11 or more respondents) cannot be: the audit reads a primary as
    1 to T−1. It is withheld as a complement is — never alone in a group, and known to the
    audit's reader only as at least T, which is true and all the annotation code tells —
    so no equation of the table gives it away on its own.

    `no_data` cells have no data available (§11.1 code 3): they add nothing to their margins
    and have nothing to withhold, so they are never primary, even with `zero_is_small`.
    """
    started = time.perf_counter()
    status = primary_status(cube, params)
    if not small_rule:
        status[:] = PUBLISHED
    earlier = forced
    if primary is not None:
        own = primary & (np.nan_to_num(cube.values) > 0)
        large = own & (cube.values >= params.small_cell_threshold)
        status[own & ~large] = PRIMARY
        forced = large if forced is None else forced | large
    if no_data is not None:
        status[no_data & (status == PRIMARY)] = PUBLISHED
    log.info("suppressing: %d cells, %d of them small", cube.size, int((status == PRIMARY).sum()))
    if hidden is not None:
        status[hidden] = HIDDEN
    if forced is not None:
        status[forced & (status == PUBLISHED) & (np.nan_to_num(cube.values) > 0)] = COMPLEMENTARY
    closure = _Closure(cube, groups, status, params)
    leftovers: list[int] = []
    final = AuditReport()
    if audit:
        intervals, leftovers = _protect_primaries(cube, groups, status, params, closure)
        final.intervals.update(intervals)
    closure.run()
    log.info("group rules applied; %d cells for the audit (%.1f s)", len(leftovers),
             time.perf_counter() - started)
    # too narrow even with every candidate withheld: no widening helps (the widest pattern is
    # the same whatever the rounds add, so this is computed once)
    structural = structurally_narrow(cube, groups, status, params, leftovers)
    for _ in range(WIDEN_ROUNDS if leftovers else 0):
        solved = audit_pattern(
            cube,
            groups,
            status,
            params,
            cells=leftovers,
            solver=cube.size <= solver_limit,
            structural=structural,
        )
        final.intervals.update(solved.intervals)
        final.failing = solved.failing
        final.findings = solved.findings
        # widen each failing cell with one more complement in its groups, unless nothing can
        widen = [c for c in solved.failing if c not in structural]
        touched = []
        for cell in widen:
            pick = _widen(closure, cell)
            if pick is not None:
                touched.extend(closure.add(pick, COMPLEMENTARY))
        if not touched:
            break
        closure.run(sorted(set(touched)))
        leftovers = solved.failing
    open_groups = [g for g in sorted(set(closure.unfixable)) if closure.needs(g)]
    t = params.small_cell_threshold
    findings = [_unfixable(cube, groups, status, g, earlier, t) for g in open_groups]
    lone = {
        int(c)
        for g, f in zip(open_groups, findings, strict=True)
        if f.severity is Severity.ERROR
        for c in groups.members(g)
        if status[c] in SUPPRESSED
    }
    findings.extend(final.findings)
    return SuppressionResult(status, final, findings, sorted(lone))


def _unfixable(
    cube: Cube,
    groups: Groups,
    status: StatusArray,
    g: int,
    forced: npt.NDArray[np.bool_] | None,
    threshold: int,
) -> Finding:
    """A group R1/R2 cannot complete. Only withheld-earlier complements in it (R6): nothing
    here discloses a person, the cell is just derivable, so a warning; otherwise an error."""
    members = groups.members(g)
    sup = members[np.isin(status[members], SUPPRESSED)]
    if forced is not None and len(sup) and forced[sup].all() and (status[sup] != PRIMARY).all():
        return Finding(
            "R6-derivable",
            "10.4",
            "withheld in the earlier release but derivable here from the published cells of "
            "its group; it stays withheld, check that the earlier release is still protected",
            Severity.WARNING,
            cell=cube.labels(int(sup[0])),
        )
    total = int(members[0])
    parts = [int(c) for c in sup if c != total]
    where = ", ".join(f"{k} = {v}" for k, v in cube.labels(total).items())
    if len(parts) == 1:
        cell, what = parts[0], f"it is the only withheld part of the total at {where}"
    elif not parts:
        cell, what = total, "this total is withheld but all its parts are published"
    else:
        cell, what = total, (
            f"the withheld parts of this total are all 3 or less or sum to less than {threshold}"
        )
    return Finding(
        "R1-unprotectable",
        "10.4",
        f"{what}, and no other part can be withheld (zeros and totals are not complements, "
        "§10.4): aggregate categories or split the table (§10.1)",
        Severity.ERROR,
        cell=cube.labels(cell),
    )


def _protect_primaries(
    cube: Cube, groups: Groups, status: StatusArray, params: Parameters, closure: _Closure
) -> tuple[dict[int, CellInterval], list[int]]:
    """Give every primary cell a proof: perturbations, pruning, walks. Returns the proved
    intervals and the cells left for the audit; complements go into `closure`."""
    started = time.perf_counter()
    need = params.min_feasible_values - 1
    intervals: dict[int, CellInterval] = {}
    leftovers: list[int] = []
    prim = np.flatnonzero(status == PRIMARY)
    trees = Trees.of(cube)
    trial = status.copy()
    trial[closure.usable] = COMPLEMENTARY
    bounds = attacker_bounds(cube.values, trial, params)
    sup = status > 0
    usable = closure.usable.copy()

    def protect_cells(cells: IntArray, effort: int) -> Protection:
        return protect(
            cube,
            trees,
            cells,
            sup,
            usable,
            bounds.lb,
            bounds.ub,
            need,
            least=closure.least,
            strategy=params.complementary_strategy,
            effort=effort,
        )

    prot = protect_cells(_protection_order(cube, prim), 1)
    log.info("protected %d of %d primary cells, %d complements (%.1f s)",
             prot.proved.sum(), len(prim), prot.added.sum(), time.perf_counter() - started)
    if not prot.proved.all():  # a wider search for the few cells the first one missed
        prot.merge(protect_cells(prot.cells[~prot.proved], 3))
    cells_g, cell_groups = groups.inverse
    removed = np.zeros(cube.size, dtype=bool)
    for _ in range(PRUNE_PASSES):
        gone = prune(
            cube,
            trees,
            groups.ptr,
            groups.cells,
            cells_g,
            cell_groups,
            prot,
            _prune_order(cube, np.flatnonzero(prot.added & ~removed)),
            sup,
            bounds.lb,
            bounds.ub,
            need,
            params.small_cell_threshold,
        )
        removed |= gone
        if not gone.any():
            break
    usable |= removed
    unproved = prot.cells[~prot.proved]
    log.info("published again %d complements; %d cells unproved (%.1f s)",
             removed.sum(), len(unproved), time.perf_counter() - started)
    down, up, walked = walk(
        cube,
        trees,
        unproved,
        sup,
        bounds.lb,
        bounds.ub,
        need,
        usable=usable,
        least=closure.least,
        strategy=params.complementary_strategy,
    )
    for cell in np.flatnonzero((prot.added & ~removed) | walked).tolist():
        closure.add(cell, COMPLEMENTARY)
    for cell, d, u in zip(unproved.tolist(), down.tolist(), up.tolist(), strict=True):
        if d + u >= need:
            v = float(cube.values[cell])
            intervals[cell] = CellInterval(cell, v - d, v + u, "proof", False)
    values = cube.values
    for cell, ok, lo, hi in zip(
        prot.cells.tolist(), prot.proved.tolist(), prot.t_lo.tolist(), prot.t_hi.tolist(),
        strict=True,
    ):
        if ok:
            v = float(values[cell])
            intervals[cell] = CellInterval(cell, v + lo, v + hi, "proof", False)
        elif cell not in intervals:
            leftovers.append(cell)
    return intervals, leftovers


def _protection_order(cube: Cube, cells: IntArray) -> IntArray:
    """Smallest value first (their perturbations are the hardest to widen, and the cells they
    add then serve the rest); ties by position, so the pattern is deterministic."""
    values = np.nan_to_num(cube.values[cells], nan=0.0)
    return cells[np.lexsort((cells, values))]


def _prune_order(cube: Cube, cells: IntArray) -> IntArray:
    """Largest complement first: publishing it again gives back the most information."""
    values = np.nan_to_num(cube.values[cells], nan=0.0)
    return cells[np.lexsort((cells, -values))]


def _widen(closure: _Closure, cell: int, depth: int = 3) -> int | None:
    """The cheapest unsuppressed cell sharing a group with `cell` or, failing that, with the
    suppressed cells linked to it (R5 applied to R4: widen where the pinning comes from)."""
    frontier, seen = [cell], {cell}
    for _ in range(depth):
        best: tuple[tuple[float, ...], int] | None = None
        nxt: list[int] = []
        for c0 in frontier:
            for g in closure.groups.groups_of(c0).tolist():
                kids = closure.groups.members(g)[1:]
                for c in kids[closure.usable[kids]].tolist():
                    key = closure._key(g, c)
                    if best is None or key < best[0]:
                        best = (key, c)
                for m in closure.groups.members(g).tolist():
                    if closure.status[m] > 0 and m not in seen:
                        seen.add(m)
                        nxt.append(m)
        if best is not None:
            return best[1]
        frontier = nxt[:200]
    return None
