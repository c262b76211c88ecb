"""Benchmark of accord.deid suppression + audit (issue 5, "Performance").

Prints times as ratios to a baseline measured in the same process — a DuckDB `GROUP BY CUBE`
over the same leaf records (what it costs merely to compute the table's margins) — because
machines here are noisy. Information loss is suppressed cells ÷ primary cells. Each table is
run three ways: with distinct reason codes (the default: a reader knows primary cells are 1–10
and complementary cells ≥ 11), with one undifferentiated mark (DDG.md §16 A4), and with that mark
where the department lets totals be complements (DDG.md §10.4 (8)). A table that
suppression cannot protect gets the restructuring proposals (DDG.md §10.1: merged categories,
the table without a short dimension, or that dimension in a second, linked table), timed, and
each is suppressed and audited in turn. On the 100,000-cell table the release's independent
rank check is timed on its own line; the large table's exact-derivability check includes it.
With --bound, each configuration and each proposal also prints the least information loss any
pattern meeting R1–R3 could have on its table (loss_bound.py), so the engine's loss reads
against what is possible at all.

    python bench/deid_bench.py          # 100,000-cell 4-dimension table
    python bench/deid_bench.py --full   # also the 650,000-cell 5-dimension table
    python bench/deid_bench.py --full --bound   # and the lower bounds (minutes per table)
"""

from __future__ import annotations

import argparse
import resource
import time
from collections import Counter

import duckdb
import numpy as np
import pyarrow as pa

from accord.deid.disclosure.check import HIDDEN, audit_pattern, exact_disclosures
from accord.deid.masking.aggregation import hidden_by_faces, propose_restructuring
from accord.deid.masking.loss_bound import LossBound, complement_lower_bound
from accord.deid.masking.suppression import SuppressionResult, primary_status, suppress_cube
from accord.deid.model.cube import Cube, sum_margins
from accord.deid.model.groups import Groups, build_groups
from accord.deid.model.hierarchy import Dimension, flat_dimension
from accord.deid.release import rank_check
from accord.deid.spec.params import Parameters
from accord.deid.warmup import warm_up


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def baseline_seconds(dims: list[Dimension], leaf: np.ndarray) -> float:
    """GROUP BY CUBE over the leaf records: the plain cost of producing all margins."""
    shape = tuple(d.size - 1 for d in dims)
    idx = np.nonzero(np.ones(shape, dtype=bool))
    values = leaf.reshape(tuple(d.size for d in dims))[tuple(i + 1 for i in idx)]
    con = duckdb.connect()
    cols = {f"d{j}": idx[j].astype(np.int32) for j in range(len(dims))}
    cols["n"] = values.astype(np.int64)
    con.register("t", pa.table(cols))
    group = ", ".join(f"d{j}" for j in range(len(dims)))
    start = time.perf_counter()
    con.execute(f"SELECT {group}, sum(n) FROM t GROUP BY CUBE ({group})").fetchall()
    return time.perf_counter() - start


def four_way(rng: np.random.Generator) -> tuple[list[Dimension], np.ndarray]:
    sizes = (24, 19, 9, 19)  # with totals: 25 × 20 × 10 × 20 = 100,000 cells
    dims = [
        flat_dimension(f"d{j}", [f"c{i}" for i in range(s)], "Total") for j, s in enumerate(sizes)
    ]
    area = rng.lognormal(3.0, 1.0, sizes[0])
    shares = [rng.dirichlet(np.ones(s) * 2) for s in sizes[1:]]
    lam = (
        area[:, None, None, None]
        * shares[0][None, :, None, None]
        * 60
        * shares[1][None, None, :, None]
        * 9
        * shares[2][None, None, None, :]
        * 19
    )
    leaf = np.zeros(tuple(s + 1 for s in sizes))
    leaf[1:, 1:, 1:, 1:] = rng.poisson(lam)
    return dims, leaf.ravel()


def five_way(rng: np.random.Generator) -> tuple[list[Dimension], np.ndarray]:
    """3,000 areas in 50 regions in one state; age × sex × race × year; skewed sizes."""
    n_regions, per_region = 50, 60
    codes = ["Total"] + [f"R{r}" for r in range(n_regions)]
    parents = [-1] + [0] * n_regions
    for r in range(n_regions):
        for a in range(per_region):
            codes.append(f"R{r}A{a}")
            parents.append(1 + r)
    geo = Dimension("geo", tuple(codes), tuple(parents))
    others = [
        flat_dimension("age", ["0-17", "18-34", "35-49", "50-64", "65+"], "Total"),
        flat_dimension("sex", ["F", "M"], "Total"),
        flat_dimension("race", ["Hispanic", "White", "Other"], "Total"),
        flat_dimension("year", ["2023", "2024"], "Total"),
    ]
    dims = [geo, *others]
    shape = tuple(d.size for d in dims)
    leaf = np.zeros(shape)
    # events per area over the two years: median 1,500 (a program's enrollees in an area the
    # size of a ZIP code), heavy-tailed so that a tenth of the areas have fewer than 370
    pop = rng.lognormal(np.log(1_500), 1.1, n_regions * per_region)
    age = np.array([0.2, 0.25, 0.2, 0.2, 0.15])
    race = np.array([0.45, 0.4, 0.15])
    lam = (
        pop[:, None, None, None, None]
        * age[None, :, None, None, None]
        * np.array([0.5, 0.5])[None, None, :, None, None]
        * race[None, None, None, :, None]
        * np.array([0.5, 0.5])[None, None, None, None, :]
    )
    leaf_view = leaf[1 + n_regions :, 1:, 1:, 1:, 1:]
    leaf_view[...] = rng.poisson(lam)
    return dims, leaf.ravel()


CONFIGURATIONS = [
    ("distinct reason codes (the DDG default)", Parameters()),
    ("one undifferentiated mark (§16 A4)", Parameters(reason_disclosure="undifferentiated")),
    (
        "undifferentiated, totals may be complements (complement_totals)",
        Parameters(reason_disclosure="undifferentiated", complement_totals=True),
    ),
]


def run(
    name: str, dims: list[Dimension], leaf: np.ndarray, audit_solver: bool, bound: bool
) -> None:
    base = baseline_seconds(dims, leaf)
    start = time.perf_counter()
    cube = Cube(tuple(dims), sum_margins(dims, leaf), np.full(leaf.size, -1, dtype=np.int64))
    groups = build_groups(cube)
    built = time.perf_counter() - start
    print(f"\n== {name}: {cube.size:,} cells, {groups.count:,} additive groups")
    print(f"baseline GROUP BY CUBE             {base:8.3f} s")
    print(f"build cube + groups                {built:8.3f} s  ({built / base:7.1f} × baseline)")
    bounds: dict[bool, LossBound] = {}
    for label, params in CONFIGURATIONS:
        print(f"-- {label}")
        result = suppress_and_audit(cube, groups, params, base, audit_solver)
        if bound:
            print_bound(cube, groups, params, result, bounds, base)
        if result.protected:
            continue
        start = time.perf_counter()
        options = propose_restructuring(cube, result, params)
        took = time.perf_counter() - start
        print(f"restructuring proposals            {took:8.3f} s  ({took / base:7.1f} × baseline)")
        for coarse in options:
            merged = dict(Counter(m.dimension for m in coarse.merges))
            areas = sum(len(m.codes) for m in coarse.merges)
            shape = (
                f"as linked tables {coarse.tables}"
                if coarse.faces
                else f"without {coarse.dropped or '—'}"
            )
            print(
                f"   {shape}, merged groups {merged} ({areas} categories) in {coarse.rounds} "
                f"more rounds, {coarse.cells:,} cells published; passes {coarse.passes}"
            )
            hidden = hidden_by_faces(coarse.cube, coarse.faces) if coarse.faces else None
            coarse_groups = build_groups(coarse.cube)
            found = suppress_and_audit(
                coarse.cube, coarse_groups, params, base, audit_solver, hidden
            )
            if bound:
                print_bound(coarse.cube, coarse_groups, params, found, {}, base, hidden)
    print(f"peak RSS {peak_mib():,.0f} MiB")


def suppress_and_audit(
    cube: Cube,
    groups: Groups,
    params: Parameters,
    base: float,
    audit_solver: bool,
    hidden: np.ndarray | None = None,
) -> SuppressionResult:
    start = time.perf_counter()
    result = suppress_cube(cube, groups, params, hidden=hidden)
    suppress_s = time.perf_counter() - start
    start = time.perf_counter()
    if audit_solver:
        audit = audit_pattern(cube, groups, result.status, params)
        verdict = f"passed {audit.passed} ({len(audit.failing)} cells below 4 values)"
        kind = "interval audit (proofs + LP)"
    else:
        check = exact_disclosures(cube, groups, result.status, params)
        verdict = (
            f"exact disclosures {check.exact} ({check.derivable} solvable from the equations, "
            f"{check.pinned} pinned by the reader's bounds), unsettled {check.unsettled}, "
            f"conflicts {check.conflicts}; {len(result.audit.failing)} cells below 4 values"
            + ("" if check.ranked else "; the rank check outgrew its limit")
        )
        kind = "exact-derivability check (rank first)"
    audit_s = time.perf_counter() - start
    total = suppress_s + audit_s
    for label, secs in (("suppression (R1–R5)", suppress_s), (kind, audit_s)):
        print(f"{label:35s}{secs:8.3f} s  ({secs / base:7.1f} × baseline)")
    print(f"suppression + audit                {total:8.3f} s")
    if audit_solver:
        start = time.perf_counter()
        solvable = sum(f.rule == "R4-derivable" for f in rank_check(cube, groups, result.status))
        secs = time.perf_counter() - start
        print(
            f"release's independent rank check   {secs:8.3f} s  ({secs / base:7.1f} × baseline); "
            f"{solvable} primary cells solvable"
        )
    print(
        f"primary cells {result.primary_count:,}; suppressed {result.suppressed_count:,}; "
        f"information loss {result.information_loss:.3f}; {verdict}; "
        f"{len(result.unprotectable)} cells in groups no complement can complete"
    )
    return result


def print_bound(
    cube: Cube,
    groups: Groups,
    params: Parameters,
    result: SuppressionResult,
    known: dict[bool, LossBound],
    base: float,
    hidden: np.ndarray | None = None,
) -> None:
    """The bound depends only on which cells may be complements, so each is solved once."""
    start = time.perf_counter()
    if params.complement_totals not in known:
        status = primary_status(cube, params)
        if hidden is not None:
            status[hidden] = HIDDEN
        known[params.complement_totals] = complement_lower_bound(cube, groups, status, params)
    took = time.perf_counter() - start
    found = known[params.complement_totals]
    if found.information_loss is None:
        what = "no pattern meets R1–R3 (some primary cell can have no partner)"
    else:
        what = (
            f"information loss ≥ {found.information_loss:.3f} for any pattern meeting R1–R3 "
            f"({found.complements:,} complements at least; this pattern has "
            f"{result.suppressed_count - result.primary_count:,})"
        )
    label = f"lower bound ({found.programs} LPs)"
    print(f"{label:35s}{took:8.3f} s  ({took / base:7.1f} × baseline); {what}")


def timed_warm_up() -> float:
    start = time.perf_counter()
    warm_up()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="also run the 650,000-cell table")
    parser.add_argument("--skip-small", action="store_true", help="skip the 100,000-cell table")
    parser.add_argument("--bound", action="store_true", help="also the lower bounds on loss")
    parser.add_argument("--seed", type=int, default=20251124)
    args = parser.parse_args()
    print(f"warm-up (compiles the search unless cached): {timed_warm_up():.1f} s")
    rng = np.random.default_rng(args.seed)
    small = four_way(rng)
    if not args.skip_small:
        run("4-dimension table with all margins", *small, audit_solver=True, bound=args.bound)
    if args.full:
        run(
            "5-dimension table, 3,000-area geography in 3 levels",
            *five_way(rng),
            audit_solver=False,
            bound=args.bound,
        )


if __name__ == "__main__":
    main()
