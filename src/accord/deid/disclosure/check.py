"""Disclosure audit (DDG.md §10.5): how far can a reader narrow each suppressed cell?

The reader knows every published cell, every known total, that suppressed cells are >= 1, and —
when reasons are disclosed — that primary cells lie in 1..T-1 and complementary cells are >= T.
For each suppressed cell the smallest and largest feasible integer value is computed. A
perturbation proof (hypercube.py) settles most primary cells without a solver; the rest are
solved as linear programs with SciPy's HiGHS, and a program whose optimum is not integral is
re-solved as an integer program, because in three or more dimensions the linear relaxation can
report a wider interval than integers allow (the optimistic error a safety check must not make).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.optimize import Bounds as LpBounds
from scipy.optimize import LinearConstraint, linprog, milp
from scipy.sparse.csgraph import connected_components

from accord.deid.disclosure.derivable import Derivability, derivable
from accord.deid.findings import Finding, Severity
from accord.deid.masking.hypercube import Bounds, Trees
from accord.deid.masking.protection import protect, walk
from accord.deid.model.cube import Cube
from accord.deid.model.groups import Groups
from accord.deid.spec.params import Parameters

log = logging.getLogger(__name__)
PUBLISHED, PRIMARY, COMPLEMENTARY = 0, 1, 2
HIDDEN = 3  # not published in any table of the release: unknown to the reader, not withheld
MILP_SECONDS = 2.0
MAX_COMPONENT = 3_000  # linked suppressed cells; beyond it only proofs count
StatusArray = npt.NDArray[np.int8]


@dataclass(frozen=True)
class CellInterval:
    """Feasible values of one suppressed cell as a reader can bound them."""

    cell: int
    lo: float
    hi: float
    method: str
    exact: bool

    @property
    def feasible_values(self) -> float:
        return self.hi - self.lo + 1


@dataclass
class AuditReport:
    intervals: dict[int, CellInterval] = field(default_factory=dict)
    failing: list[int] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failing


def attacker_bounds(
    values: npt.NDArray[np.float64],
    status: StatusArray,
    params: Parameters,
    extra: Bounds | None = None,
) -> Bounds:
    """Bounds of DDG.md §10.5. Unknown cells (NaN, or never published) are free above zero."""
    t = params.small_cell_threshold
    distinct = params.reason_disclosure == "distinct"
    lb = values.copy()
    ub = values.copy()
    unknown = np.isnan(values)
    lb[unknown], ub[unknown] = 0.0, np.inf
    prim, comp = status == PRIMARY, status == COMPLEMENTARY
    lb[prim], ub[prim] = 1.0, (t - 1.0) if distinct else np.inf
    lb[comp], ub[comp] = (float(t) if distinct else 1.0), np.inf
    hidden = status == HIDDEN
    lb[hidden], ub[hidden] = 0.0, np.inf
    if extra is not None:
        lb = np.maximum(lb, extra.lb)
        ub = np.minimum(ub, extra.ub)
    return Bounds(lb, ub)


def _components(
    groups: Groups, free: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.int64], sp.csr_matrix]:
    """Label free cells by connected component of the "shares a group" relation."""
    a = groups.matrix
    sub = a[:, np.flatnonzero(free)]
    active = np.flatnonzero(np.diff(sub.indptr) > 0)
    sub = sub[active]
    n_groups, n_free = sub.shape
    adj = (
        sp.bmat([[None, sub], [sub.T, None]], format="csr")
        if n_groups
        else sp.csr_matrix((n_free, n_free))
    )
    _, labels = connected_components(adj, directed=False)
    return np.asarray(labels[n_groups:], dtype=np.int64), a[active]


def _solve(
    a_eq: sp.csr_matrix,
    b_eq: npt.NDArray[np.float64],
    lb: npt.NDArray[np.float64],
    ub: npt.NDArray[np.float64],
    target: int,
    sense: float,
) -> tuple[float, bool]:
    """Optimise sense * x[target]; returns the integer-exact extreme and whether it was exact."""
    n = a_eq.shape[1]
    c = np.zeros(n)
    c[target] = sense
    ub_lp = [None if np.isinf(u) else float(u) for u in ub]
    res = linprog(
        c,
        A_eq=a_eq if a_eq.shape[0] else None,
        b_eq=b_eq if a_eq.shape[0] else None,
        bounds=list(zip(lb, ub_lp, strict=True)),
        method="highs-ipm",
    )
    if res.status == 3:  # unbounded
        return (np.inf if sense < 0 else -np.inf), True
    if res.status != 0:
        return (np.nan, False)
    x = np.asarray(res.x)
    if np.all(np.abs(x - np.round(x)) < 1e-7):
        return float(np.round(x[target])), True
    cons = [LinearConstraint(a_eq, b_eq, b_eq)] if a_eq.shape[0] else []
    mres = milp(
        c,
        constraints=cons,
        integrality=np.ones(n),
        bounds=LpBounds(lb, ub),
        options={"time_limit": MILP_SECONDS},
    )
    if mres.status == 0 and mres.x is not None:
        return float(np.round(mres.x[target])), True
    bound = float(res.fun) * sense
    return (float(np.ceil(bound - 1e-9)) if sense > 0 else float(np.floor(bound + 1e-9))), False


def solve_intervals(
    cube: Cube,
    groups: Groups,
    bounds: Bounds,
    targets: Iterable[int],
    max_component: int = MAX_COMPONENT,
) -> dict[int, CellInterval]:
    """Exact [lo, hi] for each target cell by linear (and if needed integer) programming."""
    free = bounds.lb != bounds.ub
    targets = [int(c) for c in targets if free[c]]
    out: dict[int, CellInterval] = {}
    if not targets:
        return out
    labels, a = _components(groups, free)
    free_cells = np.flatnonzero(free)
    position = np.full(cube.size, -1, dtype=np.int64)
    position[free_cells] = np.arange(len(free_cells))
    fixed_vals = np.where(free, 0.0, np.nan_to_num(cube.values, nan=0.0))
    rhs_all = -(a @ np.where(free, 0.0, fixed_vals))
    a_free = a[:, free_cells].tocsc()
    a_free_rows = a_free.tocsr()
    by_comp: dict[int, list[int]] = {}
    for c in targets:
        by_comp.setdefault(int(labels[position[c]]), []).append(c)
    for comp, cells in sorted(by_comp.items()):
        cols = np.flatnonzero(labels == comp)
        if len(cols) > max_component:
            continue  # left unsolved: the caller reports these cells as not verified
        sub = a_free_rows[:, cols]
        rows = np.flatnonzero(np.diff(sub.indptr) > 0)
        a_eq = sub[rows]
        b_eq = np.asarray(rhs_all[rows], dtype=np.float64)
        lb = bounds.lb[free_cells[cols]]
        ub = bounds.ub[free_cells[cols]]
        local = {int(free_cells[c]): i for i, c in enumerate(cols)}
        for cell in cells:
            lo, lo_exact = _solve(a_eq, b_eq, lb, ub, local[cell], 1.0)
            hi, hi_exact = _solve(a_eq, b_eq, lb, ub, local[cell], -1.0)
            method = "lp" if lo_exact and hi_exact else "lp-bound"  # integer range is inside
            out[cell] = CellInterval(cell, lo, hi, method, lo_exact and hi_exact)
    return out


def audit_pattern(
    cube: Cube,
    groups: Groups,
    status: StatusArray,
    params: Parameters,
    extra: Bounds | None = None,
    cells: Iterable[int] | None = None,
    exact_intervals: bool = False,
    proofs: bool = True,
    max_component: int = MAX_COMPONENT,
    solver: bool = True,
    structural: set[int] | None = None,
) -> AuditReport:
    """Audit primary cells (or `cells`); with `exact_intervals` every suppressed cell is solved.

    Without `exact_intervals`, a cell proved safe by a perturbation is not sent to the solver —
    the proof is a pair of integer tables the reader cannot tell apart, which is all the
    acceptance test needs. `structural` (structurally_narrow of the cells) saves a caller that
    audits the same table repeatedly from computing it each time.
    """
    bounds = attacker_bounds(cube.values, status, params, extra)
    need = params.min_feasible_values - 1
    suppressed = status > 0
    report = AuditReport()
    if cells is None:
        targets = np.flatnonzero(status == PRIMARY)
    else:
        targets = np.asarray(sorted(set(cells)), dtype=np.int64)
    if exact_intervals:
        targets = np.flatnonzero(suppressed)
    to_solve = targets.tolist()
    known = ~np.isnan(cube.values)
    searching = not exact_intervals and proofs and known.all()
    trees = Trees.of(cube)
    if searching:
        to_solve = _prove(cube, trees, to_solve, suppressed, bounds, need, 1, report)
    if to_solve:  # narrow even from outside: a disclosure, no search or solver needed
        outer = propagate_bounds(groups, bounds)
        narrow = set()
        for cell in to_solve:
            lo, hi = float(outer.lb[cell]), float(outer.ub[cell])
            if hi - lo < need:
                report.intervals[cell] = CellInterval(cell, lo, hi, "propagation", False)
                narrow.add(cell)
        to_solve = [c for c in to_solve if c not in narrow]
    if searching and to_solve:
        to_solve = _prove(cube, trees, to_solve, suppressed, bounds, need, 3, report)
        report.intervals.update(walk_proofs(cube, trees, to_solve, suppressed, bounds, need))
        to_solve = [c for c in to_solve if c not in report.intervals]
    log.debug("audit: %d of %d cells left for the solver", len(to_solve), len(targets))
    if not solver:
        to_solve = []
    report.intervals.update(solve_intervals(cube, groups, bounds, to_solve, max_component))
    unverified = [
        c for c in targets.tolist() if c not in report.intervals and status[c] == PRIMARY
    ]
    if unverified:  # beyond the solver: the rank check still tells what the equations fix
        fixed = reader_derivable(cube, groups, status).fixed
        for cell in unverified:
            if fixed[cell]:
                v = float(cube.values[cell])
                report.intervals[cell] = CellInterval(cell, v, v, "rank", True)
    if structural is None:
        pinned = [c for c, iv in report.intervals.items() if iv.method == "propagation"]
        structural = structurally_narrow(cube, groups, status, params, pinned)
    for cell in targets.tolist():
        if status[cell] != PRIMARY:
            continue
        iv = report.intervals.get(cell)
        if iv is None:
            report.failing.append(cell)
            report.findings.append(
                Finding(
                    "R4-not-verified",
                    "10.5",
                    "the audit could not verify this suppressed cell "
                    "(its linked suppressions exceed the solver limit and no proof was found)",
                    Severity.ERROR,
                    cell=cube.labels(cell),
                )
            )
            continue
        if iv.method == "lp-bound" and iv.feasible_values >= params.min_feasible_values:
            # the linear bound is wider than the integer truth, and the integer program did
            # not finish: a safety check may not take the optimistic answer
            report.failing.append(cell)
            report.findings.append(
                Finding(
                    "R4-not-verified",
                    "10.5",
                    "the integer program bounding this cell did not "
                    "finish in time; treated as failing",
                    Severity.ERROR,
                    cell=cube.labels(cell),
                )
            )
            continue
        if iv.feasible_values < params.min_feasible_values:
            report.failing.append(cell)
            report.findings.append(
                Finding(
                    "R4-audit",
                    "10.5",
                    f"suppressed cell can be narrowed to {int(iv.feasible_values)} value(s) "
                    f"({_fmt(iv.lo)}..{_fmt(iv.hi)}); at least {params.min_feasible_values} "
                    "are required"
                    + (
                        "; no suppression can widen it, even with every other candidate cell "
                        "withheld: aggregate categories (§10.1) or publish one undifferentiated "
                        "suppression mark (§16 A4)"
                        if cell in structural
                        else ""
                    ),
                    Severity.ERROR,
                    cell=cube.labels(cell),
                    row=int(cube.row[cell]) if cube.row[cell] >= 0 else None,
                    details={"lo": _num(iv.lo), "hi": _num(iv.hi)},
                )
            )
    return report


@dataclass(frozen=True)
class ExactCheck:
    """Exact-derivability of primary cells: the check used where the solver cannot go."""

    movable: int  # a perturbation witness shows at least two values
    derivable: int  # the published equations alone fix the value (rank-based)
    pinned: int  # the equations with the reader's bounds pin it (interval propagation)
    unsettled: int  # neither could be shown
    conflicts: int  # a witness moves a cell the rank check calls derivable: a defect
    ranked: bool = True  # False: the rank check outgrew its limit, `derivable` is not known

    @property
    def exact(self) -> int:
        return self.derivable + self.pinned

    @property
    def passed(self) -> bool:
        return self.exact == 0 and self.unsettled == 0 and self.conflicts == 0


def exact_disclosures(
    cube: Cube, groups: Groups, status: StatusArray, params: Parameters
) -> ExactCheck:
    """Can a reader compute any primary cell exactly? Rank first, then witnesses, propagation.

    The rank check (derivable.py) finds every cell the equations alone fix. A perturbation
    that moves a cell by one step is a second table the reader cannot exclude, so the cell is
    not derivable even with the bounds; interval propagation that pins it proves it is. The
    rank check and the witness search are independent: a cell both claim is counted as a
    conflict, and as derivable.
    """
    rank = reader_derivable(cube, groups, status)
    fixed = rank.fixed
    bounds = attacker_bounds(cube.values, status, params)
    cells = np.flatnonzero(status == PRIMARY).tolist()
    report = AuditReport()
    trees = Trees.of(cube)
    rest = _prove(cube, trees, cells, status > 0, bounds, 1.0, 1, report)
    rest = _prove(cube, trees, rest, status > 0, bounds, 1.0, 3, report)
    walked = walk_proofs(cube, trees, rest, status > 0, bounds, 1.0)
    rest = [c for c in rest if c not in walked]
    unmoved = set(rest)
    moved = [c for c in cells if c not in unmoved]
    outer = propagate_bounds(groups, bounds)
    pinned = [c for c in rest if not fixed[c] and outer.lb[c] == outer.ub[c]]
    n_fixed = int(fixed[cells].sum()) if cells else 0
    conflicts = int(fixed[moved].sum()) if moved else 0
    return ExactCheck(
        len(moved) - conflicts,
        n_fixed,
        len(pinned),
        len(rest) - len(pinned) - (n_fixed - conflicts),
        conflicts,
        rank.complete,
    )


def unknown_to_reader(cube: Cube, status: StatusArray) -> npt.NDArray[np.bool_]:
    """Cells a reader does not see: withheld, printed in no table, or a total never known."""
    return np.asarray((status != PUBLISHED) | np.isnan(cube.values), dtype=bool)


def reader_derivable(cube: Cube, groups: Groups, status: StatusArray) -> Derivability:
    """The rank check (derivable.py) over what a reader of this pattern does not see."""
    return derivable(groups, unknown_to_reader(cube, status), status == HIDDEN)


def _prove(
    cube: Cube,
    trees: Trees,
    cells: list[int],
    suppressed: npt.NDArray[np.bool_],
    bounds: Bounds,
    need: float,
    effort: int,
    report: AuditReport,
) -> list[int]:
    """Record a perturbation proof for each cell that has one; returns the others."""
    proof = protect(
        cube,
        trees,
        np.asarray(cells, dtype=np.int64),
        suppressed.copy(),
        np.zeros(cube.size, dtype=bool),
        bounds.lb,
        bounds.ub,
        need,
        allow_new=False,
        effort=effort,
    )
    rest = []
    for cell, ok, lo, hi in zip(
        cells, proof.proved.tolist(), proof.t_lo.tolist(), proof.t_hi.tolist(), strict=True
    ):
        if ok:
            v = float(cube.values[cell])
            report.intervals[cell] = CellInterval(cell, v + lo, v + hi, "proof", False)
        else:
            rest.append(cell)
    return rest


def walk_proofs(
    cube: Cube,
    trees: Trees,
    cells: list[int],
    suppressed: npt.NDArray[np.bool_],
    bounds: Bounds,
    need: float,
) -> dict[int, CellInterval]:
    """Intervals proved by chained perturbations, for the cells they prove wide enough."""
    down, up, _ = walk(
        cube,
        trees,
        np.asarray(cells, dtype=np.int64),
        suppressed.copy(),
        bounds.lb,
        bounds.ub,
        need,
    )
    out = {}
    for cell, d, u in zip(cells, down.tolist(), up.tolist(), strict=True):
        if d + u >= need:
            v = float(cube.values[cell])
            out[cell] = CellInterval(cell, v - d, v + u, "proof", False)
    return out


def complement_candidates(
    cube: Cube, groups: Groups, status: StatusArray, params: Parameters
) -> npt.NDArray[np.bool_]:
    """Cells that may be withheld as complements: published, known, non-zero (R3), not the
    grand total, and not a total unless the department allows it (§10.4 (8)).

    With natural margins known to a reader (assume_margins_public) withholding a total would
    hide nothing anyway. A total is the first member of a group with a published part, so a
    face of linked tables is not a total of the hidden cross-tabulation beneath it.
    """
    grand = np.all([c == 0 for c in cube.coord_arrays], axis=0)
    values = np.nan_to_num(cube.values, nan=0.0)
    usable: npt.NDArray[np.bool_] = (
        (status == PUBLISHED) & (values >= 1) & ~np.isnan(cube.values) & ~grand
    )
    g = groups
    if params.complement_totals or not g.count:
        return usable
    starts = g.ptr[:-1]
    nonempty = np.diff(g.ptr) > 0
    part = np.ones(len(g.cells), dtype=bool)
    part[starts] = False
    shown = np.add.reduceat((status[g.cells] != HIDDEN) & part, starts[nonempty])
    usable[g.cells[starts[nonempty][shown > 0]]] = False
    return usable


def structurally_narrow(
    cube: Cube, groups: Groups, status: StatusArray, params: Parameters, cells: Iterable[int]
) -> set[int]:
    """The `cells` no suppression can protect: too narrow even with every candidate withheld.

    Withholding one more cell only adds an unknown, so a reader's intervals only widen; bounds
    propagated over the widest pattern are outer bounds for every pattern there can be.
    """
    cells = list(cells)
    if not cells:
        return set()
    widest = status.copy()
    widest[complement_candidates(cube, groups, status, params)] = COMPLEMENTARY
    outer = propagate_bounds(groups, attacker_bounds(cube.values, widest, params))
    need = params.min_feasible_values - 1
    return {c for c in cells if outer.ub[c] - outer.lb[c] < need}


def propagate_bounds(groups: Groups, bounds: Bounds, rounds: int = 8) -> Bounds:
    """Outer bounds of every cell by interval reasoning over the groups (total = sum of parts).

    Each round tightens a total to the sum of its parts' bounds and each part to the total
    minus the other parts. Every integer table a reader cannot exclude stays inside, so a
    cell whose outer interval is narrow is narrowed at least that far: a proof of disclosure
    (the converse of a perturbation proof), found without a solver.
    """
    lb, ub = bounds.lb.copy(), bounds.ub.copy()
    if not groups.count:
        return Bounds(lb, ub)
    starts = groups.ptr[:-1]
    is_total = np.zeros(len(groups.cells), dtype=bool)
    is_total[starts] = True
    group_of = np.repeat(np.arange(groups.count), np.diff(groups.ptr))
    for _ in range(rounds):
        before_lb, before_ub = lb.copy(), ub.copy()
        part_lb = np.where(is_total, 0.0, lb[groups.cells])
        part_ub = np.where(is_total, 0.0, ub[groups.cells])
        finite_ub = np.where(np.isinf(part_ub), 0.0, part_ub)
        sum_lb = np.add.reduceat(part_lb, starts)
        sum_ub = np.add.reduceat(finite_ub, starts)
        n_inf = np.add.reduceat(np.isinf(part_ub).astype(np.int64), starts)
        totals = groups.cells[starts]
        np.maximum.at(lb, totals, sum_lb)
        np.minimum.at(ub, totals, np.where(n_inf > 0, np.inf, sum_ub))
        # a part: total minus the others' bounds
        t_lb, t_ub = lb[totals][group_of], ub[totals][group_of]
        others_lb = sum_lb[group_of] - part_lb
        own_inf = np.isinf(part_ub)
        others_inf = n_inf[group_of] - own_inf.astype(np.int64)
        others_ub = np.where(others_inf > 0, np.inf, sum_ub[group_of] - finite_ub)
        with np.errstate(invalid="ignore"):
            new_lb = np.where(np.isinf(others_ub), -np.inf, t_lb - others_ub)
            new_ub = t_ub - others_lb
        parts = ~is_total
        np.maximum.at(lb, groups.cells[parts], new_lb[parts])
        np.minimum.at(ub, groups.cells[parts], new_ub[parts])
        if np.array_equal(lb, before_lb) and np.array_equal(ub, before_ub):
            break
    return Bounds(lb, ub)


def _num(x: float) -> float | int | None:
    if np.isinf(x) or np.isnan(x):
        return None
    return int(x) if float(x).is_integer() else float(x)


def _fmt(x: float) -> str:
    return "∞" if np.isinf(x) else str(_num(x))


def local_interval(
    cube: Cube, groups: Groups, bounds: Bounds, cell: int, max_vars: int = 400
) -> tuple[float, float]:
    """Integer interval of `cell` when only its nearby suppressed cells may move.

    Every other suppressed cell is pinned at its true value, which shrinks the feasible set:
    the interval found is inside the reader's true one, so a wide enough local interval is a
    proof of safety (never of disclosure). Used where the linked suppressions are too many for
    the full program.
    """
    free = bounds.lb != bounds.ub
    chosen = [cell]
    seen = {cell}
    frontier = [cell]
    while frontier and len(chosen) < max_vars:
        nxt: list[int] = []
        for c in frontier:
            for g in groups.groups_of(c).tolist():
                for m in groups.members(g).tolist():
                    if free[m] and m not in seen and len(chosen) < max_vars:
                        seen.add(m)
                        chosen.append(m)
                        nxt.append(m)
        frontier = nxt
    cols = np.array(chosen, dtype=np.int64)
    a = groups.matrix[:, cols].tocsr()
    rows = np.flatnonzero(np.diff(a.indptr) > 0)
    a_eq = a[rows]
    b_eq = np.asarray(a_eq @ cube.values[cols], dtype=np.float64)
    lb, ub = bounds.lb[cols], bounds.ub[cols]
    n = len(cols)
    out = []
    for sense in (1.0, -1.0):
        objective = np.zeros(n)
        objective[0] = sense
        cons = [LinearConstraint(a_eq, b_eq, b_eq)] if a_eq.shape[0] else []
        res = milp(
            objective,
            constraints=cons,
            integrality=np.ones(n),
            bounds=LpBounds(lb, ub),
            options={"time_limit": MILP_SECONDS},
        )
        if res.status == 0 and res.x is not None:
            out.append(float(np.round(res.x[0])))
        elif res.status == 3:
            out.append(-sense * np.inf)
        else:
            out.append(float(cube.values[cell]))  # no better than the true value itself
    return out[0], out[1]
