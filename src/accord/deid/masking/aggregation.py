"""Proposing coarser categories for a table that suppression cannot protect (DDG.md §10.1).

Some cells no choice of complements can protect: a total whose parts are all small (a tiny
area, a rare category) is pinned by the reader's knowledge that withheld cells hold 1–10, and
totals are never complements (§10.4 (8)). The DDG's first remedies restructure the table:
coarsen, or publish fewer variables. This module finds the categories behind the cells that
could not be protected, merges each with its smallest sibling (least detail lost), and
suppresses the coarser table again, for a few rounds; it also tries the table without each
short dimension (years added together), and that dimension in a second table linked to the
first (DDG §10.1 "split into several tables"). The reviewer gets restructurings known to pass,
as SPEC lines (`recode`, `drop`, `publish`) — or an honest statement that they still do not.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import yaml

from accord.deid.findings import Finding, Severity
from accord.deid.masking.suppression import SuppressionResult, suppress_cube
from accord.deid.model.cube import Cube, sum_margins
from accord.deid.model.groups import build_groups
from accord.deid.model.hierarchy import Dimension
from accord.deid.model.tables import face_cells
from accord.deid.spec.params import Parameters
from accord.deid.spec.spec import table_name

log = logging.getLogger(__name__)
MAX_ROUNDS = 6
PROPOSAL = "aggregation-proposal"


@dataclass(frozen=True)
class Merge:
    """Categories of one dimension published as one."""

    dimension: str
    codes: tuple[str, ...]

    @property
    def label(self) -> str:
        return " + ".join(self.codes)


@dataclass
class Coarsening:
    merges: list[Merge]
    cube: Cube
    result: SuppressionResult
    rounds: int
    dropped: tuple[str, ...] = ()  # a dimension the table is published without
    cells_before: int = 0  # the table's cells (with margins) before restructuring
    faces: tuple[tuple[int, ...], ...] = ()  # linked tables the cube is published as

    @property
    def passes(self) -> bool:
        return self.result.protected

    @property
    def tables(self) -> list[list[str]]:
        """The SPEC `publish` of a split: each linked table's dimensions."""
        return [[self.cube.dims[j].name for j in face] for face in self.faces]

    @property
    def cells(self) -> int:
        """Cells published, margins included: a split prints its tables, not its cube."""
        if not self.faces:
            return self.cube.size
        return int((~hidden_by_faces(self.cube, self.faces)).sum())

    def recode(self) -> dict[str, dict[str, str]]:
        """The SPEC `recode` that produces the coarser table: every merged code to its label."""
        out: dict[str, dict[str, str]] = {}
        for m in self.merges:
            out.setdefault(m.dimension, {}).update({code: m.label for code in m.codes})
        return out


def propose_aggregation(
    cube: Cube,
    result: SuppressionResult,
    params: Parameters,
    max_rounds: int = MAX_ROUNDS,
    faces: tuple[tuple[int, ...], ...] = (),
    merged: list[dict[int, tuple[str, ...]]] | None = None,
) -> Coarsening | None:
    """Merge the categories behind unprotectable cells until the table passes.

    None when nothing can be merged (every culprit is an only child). Each round merges every
    category that still causes a failure with its smallest sibling and suppresses again.
    With `faces` the cube is published as those linked tables; `merged` carries merges a
    caller already made (their codes by category).
    """
    merged = merged if merged is not None else [{} for _ in cube.dims]
    started_merged = any(merged)
    rounds = 0
    while rounds < max_rounds:
        cells = sorted(set(result.audit.failing) | set(result.unprotectable))
        if not cells:
            break
        pairs = _pairs(cube, cells)
        if not pairs:
            break
        rounds += 1
        cube, merged = _merge(cube, pairs, merged)
        hidden = hidden_by_faces(cube, faces) if faces else None
        result = suppress_cube(cube, build_groups(cube), params, hidden=hidden)
        log.info(
            "combining categories, round %d: %d merges; %d cells still unprotected",
            rounds, len(pairs), len(result.audit.failing) + len(result.unprotectable),
        )
    if not rounds and not started_merged:
        return None
    merges = [
        Merge(cube.dims[j].name, codes)
        for j, per_dim in enumerate(merged)
        for _, codes in sorted(per_dim.items())
    ]
    return Coarsening(merges, cube, result, rounds, faces=faces)


def propose_restructuring(
    cube: Cube, result: SuppressionResult, params: Parameters
) -> list[Coarsening]:
    """The merge proposal, and the best table without one short dimension (summed over it,
    then merged as needed): DDG §10.1 prefers fewer variables and multi-year aggregation to
    blanket suppression, and without, say, the year a table may keep every one of its areas.

    Which loses less is the publisher's call (areas, or years?), so both are offered, each
    with the cells it keeps; of the tables without a dimension, the one keeping most cells,
    and beside it that dimension in a linked table. The option keeping most cells comes first.
    """
    log.info("suppression cannot protect the table as it is; trying coarser tables")
    proposals = []
    merged = propose_aggregation(cube, result, params)
    if merged is not None:
        proposals.append(merged)
    best: Coarsening | None = None
    for j, dim in enumerate(cube.dims):
        if not _droppable(cube, j):
            continue
        log.info("trying the table without %s", dim.name)
        smaller = _without(cube, j)
        outcome = suppress_cube(smaller, build_groups(smaller), params)
        option = (
            Coarsening([], smaller, outcome, 0)
            if outcome.protected
            else propose_aggregation(smaller, outcome, params)
        )
        if option is None or not option.passes:
            continue
        option.dropped = (dim.name,)
        if best is None or option.cube.size > best.cube.size:
            best = option
    if best is not None:
        proposals.append(best)
        split = _propose_split(cube, best, params)
        if split is not None and split.passes:
            proposals.append(split)
    for option in proposals:
        option.cells_before = cube.size
    return sorted(proposals, key=lambda option: -option.cells)  # most detail kept first


def _propose_split(cube: Cube, without: Coarsening, params: Parameters) -> Coarsening | None:
    """Instead of leaving a dimension out, publish it in a second, linked table with the
    dimension of most categories (DDG §10.1: "split into several tables with fewer
    variables"): without the year, and area × year beside it. The split starts from the
    merges that let the table without the dimension pass, and merges further if the second
    table needs it. None for a table of two dimensions, where the split is the table itself.
    """
    (name,) = without.dropped
    j = next(i for i, d in enumerate(cube.dims) if d.name == name)
    others = [i for i in range(len(cube.dims)) if i != j]
    if len(others) < 2:
        return None
    key = max(others, key=lambda i: (int(cube.dims[i].is_leaf.sum()), -i))
    faces = (tuple(others), tuple(sorted((key, j))))
    log.info("trying %s published beside it, linked", " × ".join(cube.dims[i].name
             for i in faces[1]))
    start, merged = _apply(cube, without.merges)
    result = suppress_cube(start, build_groups(start), params, hidden=hidden_by_faces(start, faces))
    option = propose_aggregation(start, result, params, faces=faces, merged=merged)
    if option is None:  # nothing merged, and nothing needed merging
        option = Coarsening([], start, result, 0, faces=faces)
    return option


def hidden_by_faces(cube: Cube, faces: tuple[tuple[int, ...], ...]) -> npt.NDArray[np.bool_]:
    """Cells printed in none of the linked tables (the hidden cross-tabulation)."""
    printed = np.zeros(cube.size, dtype=bool)
    for face in faces:
        printed |= face_cells(cube, face)
    return ~printed


def _apply(cube: Cube, merges: list[Merge]) -> tuple[Cube, list[dict[int, tuple[str, ...]]]]:
    """The cube with `merges` (named by their original codes) made, in one pass."""
    merged: list[dict[int, tuple[str, ...]]] = [{} for _ in cube.dims]
    folds: list[tuple[int, int, int]] = []
    for m in merges:
        j = next(i for i, d in enumerate(cube.dims) if d.name == m.dimension)
        first, *rest = (cube.dims[j].index[code] for code in m.codes)
        folds.extend((j, first, other) for other in rest)
    if not folds:
        return cube, merged
    return _merge(cube, folds, merged)


MAX_DROPPED_CATEGORIES = 5  # a short dimension such as years or sex, not a geography


def _droppable(cube: Cube, j: int) -> bool:
    dim = cube.dims[j]
    leaves = int(dim.is_leaf.sum())
    flat = all(p <= 0 for p in dim.parents)
    return len(cube.dims) > 1 and flat and 1 < leaves <= MAX_DROPPED_CATEGORIES


def _without(cube: Cube, j: int) -> Cube:
    """The table summed over dimension j: its slice at j's total holds every sum already."""
    values = np.take(cube.values.reshape(cube.shape), 0, axis=j).ravel()
    dims = cube.dims[:j] + cube.dims[j + 1 :]
    return Cube(dims, values, np.full(values.size, -1, dtype=np.int64))


def _node_totals(cube: Cube) -> list[np.ndarray]:
    """Each dimension's node totals (the cell with every other dimension at its root)."""
    values = np.nan_to_num(cube.values).reshape(cube.shape)
    out = []
    for j in range(len(cube.dims)):
        index = [0] * len(cube.dims)
        index[j] = slice(None)  # type: ignore[call-overload]
        out.append(values[tuple(index)])
    return out


def _pairs(cube: Cube, cells: list[int]) -> list[tuple[int, int, int]]:
    """(dimension, category, sibling) to merge: for each cell its smallest mergeable
    category, the most-blamed first, each with its smallest sibling not already merged."""
    totals = _node_totals(cube)
    blame: Counter[tuple[int, int]] = Counter()
    for cell in cells:
        options = [
            (float(totals[j][node]), j, node)
            for j, node in enumerate(cube.coords(cell))
            if _siblings(cube.dims[j], node)
        ]
        if options:
            _, j, node = min(options)
            blame[(j, node)] += 1
    taken: set[tuple[int, int]] = set()
    pairs = []
    for (j, node), _ in sorted(
        blame.items(), key=lambda kv: (-kv[1], float(totals[kv[0][0]][kv[0][1]]), kv[0])
    ):
        if (j, node) in taken:
            continue
        free = [s for s in _siblings(cube.dims[j], node) if (j, s) not in taken]
        if not free:
            continue
        sibling = min(free, key=lambda s: (float(totals[j][s]), s))
        taken.update({(j, node), (j, sibling)})
        pairs.append((j, min(node, sibling), max(node, sibling)))
    return pairs


def _siblings(dim: Dimension, node: int) -> list[int]:
    """Leaf siblings a leaf may merge with (merging within one parent keeps the hierarchy;
    select-all-that-apply categories overlap, so their counts cannot be added)."""
    parent = dim.parents[node]
    if parent < 0 or not dim.is_leaf[node] or dim.inclusive:
        return []
    return [k for k in dim.children[parent] if k != node and dim.is_leaf[k]]


def _merge(
    cube: Cube, pairs: list[tuple[int, int, int]], merged: list[dict[int, tuple[str, ...]]]
) -> tuple[Cube, list[dict[int, tuple[str, ...]]]]:
    """The cube with each pair's second category folded into the first."""
    dims = list(cube.dims)
    leaf = np.where(cube.is_base, np.nan_to_num(cube.values), 0.0).reshape(cube.shape)
    new_merged = [dict(m) for m in merged]
    for j in sorted({j for j, _, _ in pairs}):
        dim = dims[j]
        into = {b: a for jj, a, b in pairs if jj == j}  # several b may fold into one a
        keep = [n for n in range(dim.size) if n not in into]
        position = {n: i for i, n in enumerate(keep)}
        new_index = np.array([position[into.get(n, n)] for n in range(dim.size)], dtype=np.int64)
        originals = {n: merged[j].get(n, (dim.codes[n],)) for n in range(dim.size)}
        groups: dict[int, tuple[str, ...]] = {}
        for b, a in into.items():
            groups[a] = groups.get(a, originals[a]) + originals[b]
        codes = [
            " + ".join(groups[n]) if n in groups else dim.codes[n] for n in keep
        ]
        parents = [int(new_index[dim.parents[n]]) if dim.parents[n] >= 0 else -1 for n in keep]
        dims[j] = replace(dim, codes=tuple(codes), parents=tuple(parents))
        moved = np.moveaxis(leaf, j, 0)
        target = np.zeros((len(keep), *moved.shape[1:]))
        np.add.at(target, new_index, moved)
        leaf = np.moveaxis(target, 0, j)
        new_merged[j] = {
            int(new_index[n]): codes_ for n, codes_ in merged[j].items() if n not in into
        }
        for a, codes_ in groups.items():
            new_merged[j][int(new_index[a])] = codes_
    values = sum_margins(dims, leaf.ravel())
    return Cube(tuple(dims), values, np.full(values.size, -1, dtype=np.int64)), new_merged


def proposal_finding(
    coarsening: Coarsening,
    earlier: Mapping[str, Mapping[str, str]],
    dropped_before: tuple[str, ...] = (),
) -> Finding:
    """The proposal in the reviewer's words, with the SPEC lines that apply it.

    `earlier` is the SPEC's own recode: the proposal merges the codes the table had after it,
    so the two are composed into one recode of the original codes; likewise `drop`.
    """
    recode = compose_recode(earlier, coarsening.recode()) if coarsening.merges else {}
    drop = [*dropped_before, *coarsening.dropped]
    lines: dict[str, Any] = {}
    steps = []
    if coarsening.faces:
        lines["publish"] = coarsening.tables
        steps.append(
            "publishing two linked tables, "
            + " and ".join(table_name(tuple(t)) for t in coarsening.tables)
        )
    if coarsening.dropped:
        lines["drop"] = drop
        steps.append("publishing the table without " + ", ".join(coarsening.dropped))
    if recode:
        lines["recode"] = recode
        steps.append(
            "combining " + "; ".join(f"{m.dimension}: {m.label}" for m in coarsening.merges)
        )
    snippet = yaml.safe_dump(lines, default_flow_style=True, sort_keys=False, width=1 << 30)
    result = coarsening.result
    if coarsening.cells_before:
        steps[-1] += (
            f" (the table keeps {coarsening.cells:,} of its {coarsening.cells_before:,} "
            "cells, margins included)"
        )
    subject = "the linked tables" if coarsening.faces else "the coarser table"
    if coarsening.passes and not result.primary_count:
        outcome = f"{subject} {'have' if coarsening.faces else 'has'} no small count left"
    elif coarsening.passes:
        outcome = (
            f"{subject} pass{'' if coarsening.faces else 'es'} with "
            f"{result.suppressed_count} cells withheld, "
            f"{result.primary_count} of them small"
        )
    else:
        left = len(result.audit.failing) + len(result.unprotectable)
        outcome = f"after {coarsening.rounds} rounds {left} cells are still unprotected"
    return Finding(
        PROPOSAL,
        "10.1",
        f"{_sentence(' and '.join(steps))} would remove what suppression cannot fix; "
        f"{outcome}. To apply it, add to the SPEC: {snippet.strip()}",
        Severity.INFO,
        details={
            **lines,
            "cells": coarsening.cells,
            "cells_before": coarsening.cells_before,
            "passes": coarsening.passes,
            "rounds": coarsening.rounds,
            "information_loss": round(result.information_loss, 3),
        },
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def compose_recode(
    first: Mapping[str, Mapping[str, str]], then: Mapping[str, Mapping[str, str]]
) -> dict[str, dict[str, str]]:
    """One recode doing `first`, then `then` (whose codes are `first`'s results)."""
    out = {dim: dict(m) for dim, m in first.items()}
    for dim, mapping in then.items():
        step = out.setdefault(dim, {})
        for code, new in list(step.items()):
            step[code] = mapping.get(new, new)
        produced = set(first.get(dim, {}).values())
        for code, new in mapping.items():
            if code not in produced:
                step.setdefault(code, new)
    return out
