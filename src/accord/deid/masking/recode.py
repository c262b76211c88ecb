"""SPEC `recode`: merge categories before anything else sees the table (DDG.md §10.1).

The DDG prefers coarsening to suppression: a small category folded into its neighbour keeps
its people in the table instead of blanking them and a complement. Recoding happens on the
long table, before the cube is built, so every later step (margins, hierarchies, scoring,
suppression) sees the merged category as if the publisher had printed it that way.

Only leaf categories merge. A margin row (the total, or a hierarchy parent) is already a sum
over its children and is left as printed: it still adds up after the merge. Rows that the
recode makes describe one cell are summed; anything this module cannot sum with confidence
(a blank or malformed count, rows that were already duplicates) is left unmerged, so that
`build_cube` reports the problem in its own words instead of the merge hiding it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from accord.deid.findings import Finding
from accord.deid.model.tables import LongTable
from accord.deid.quoting import quoted, shown
from accord.deid.spec.spec import TableSpec

_WHOLE = re.compile(r"^\d+(\.0*)?$")
_NUMBER = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def recode_table(
    table: LongTable, spec: TableSpec
) -> tuple[LongTable | None, TableSpec, list[Finding]]:
    """The table with `spec.recode` applied and the SPEC whose hierarchies name the new codes;
    (None, spec, findings) when the recode cannot be applied as written."""
    if not spec.recode:
        return table, spec, []
    needed = [*spec.dimensions, spec.count, *([spec.denominator] if spec.denominator else [])]
    if any(col not in table.columns for col in needed):
        return table, spec, []  # build_cube names the missing columns
    new_spec, findings = recode_hierarchies(spec)
    findings.extend(_unknown_codes(table, spec))
    if findings:
        return None, spec, findings
    return _merge(table, new_spec), new_spec, []


def recode_hierarchies(spec: TableSpec) -> tuple[TableSpec, list[Finding]]:
    """The SPEC whose hierarchies place each new category under its old categories' parent.

    Merging children of different parents would make the parents' totals stop adding up, and a
    parent is a margin (the sum of its children), so neither can be recoded.
    """
    findings: list[Finding] = []
    hierarchies = dict(spec.hierarchies)
    for dim, codes in spec.recode.items():
        tree = spec.hierarchies.get(dim)
        if not tree:
            continue
        parents = set(tree.values())
        for old in codes:
            if old in parents:
                findings.append(
                    Finding(
                        "recode-parent",
                        "10.1",
                        f"recode.{shown(dim)}: {quoted(old)} is a parent in the hierarchy; only "
                        "categories without children can be merged",
                        cell={dim: old},
                    )
                )
        for new in dict.fromkeys(codes.values()):
            if new in parents:
                findings.append(
                    Finding(
                        "recode-parent",
                        "10.1",
                        f"recode.{shown(dim)}: the new category {quoted(new)} is already a parent "
                        "in the hierarchy",
                        cell={dim: new},
                    )
                )
                continue
            members = [o for o, n in codes.items() if n == new]
            if new in tree and new not in codes:
                members.append(new)  # merged into a category that stays as it is
            placed = [m for m in members if m in tree]
            differ = [m for m in placed if tree[m] != tree[placed[0]]] if placed else []
            if differ:
                first, other = placed[0], differ[0]
                findings.append(
                    Finding(
                        "recode-different-parents",
                        "10.1",
                        f"recode.{shown(dim)}: {quoted(first)} and {quoted(other)} have different "
                        f"parents ({quoted(tree[first])}, {quoted(tree[other])}); merging them "
                        f"into {quoted(new)} would break the hierarchy's totals",
                        cell={dim: new},
                    )
                )
        if findings:
            continue
        rewritten = {c: p for c, p in tree.items() if c not in codes}
        for old, new in codes.items():
            if old in tree:
                rewritten[new] = tree[old]
        hierarchies[dim] = rewritten
    if findings:
        return spec, findings
    return replace(spec, hierarchies=hierarchies), []


def _unknown_codes(table: LongTable, spec: TableSpec) -> list[Finding]:
    """Codes of `recode` that name no category: a typo would otherwise change nothing."""
    findings: list[Finding] = []
    for dim, codes in spec.recode.items():
        tree = spec.hierarchies.get(dim, {})
        present = {v.strip() for v in table.columns[dim]} | set(tree) | set(tree.values())
        for old in codes:
            if old not in present:
                findings.append(
                    Finding(
                        "recode-unknown-category",
                        "10.1",
                        f"recode.{shown(dim)}: {quoted(old)} is not a category of {quoted(dim)} "
                        "in the table",
                        cell={dim: old},
                    )
                )
    return findings


def _merge(table: LongTable, spec: TableSpec) -> LongTable:
    """Recode, then sum the rows that now describe one cell; the first row's place is kept."""
    columns = {name: list(values) for name, values in table.columns.items()}
    for dim, codes in spec.recode.items():
        columns[dim] = [codes.get(v.strip(), v) for v in columns[dim]]
    groups: dict[tuple[str, ...], list[int]] = {}
    for i in range(table.n_rows):
        key = tuple(columns[d][i].strip() for d in spec.dimensions)
        groups.setdefault(key, []).append(i)
    keep: list[int] = []
    merged: dict[int, list[int]] = {}
    for rows in groups.values():
        before = {tuple(table.columns[d][i].strip() for d in spec.dimensions) for i in rows}
        if len(rows) == 1 or len(before) < len(rows) or not _summable(table, spec, rows):
            keep.extend(rows)  # nothing to merge, or duplicates and bad values for build_cube
            continue
        keep.append(rows[0])
        merged[rows[0]] = rows
    keep.sort()
    sums = (spec.count, *([spec.denominator] if spec.denominator else []))
    out: dict[str, list[str]] = {name: [] for name in table.names}
    for i in keep:
        group = merged.get(i)
        for name in table.names:
            values = columns[name]
            if group is None:
                out[name].append(values[i])
            elif name in sums:
                out[name].append(_sum([values[r] for r in group]))
            else:
                out[name].append(_agreed([values[r] for r in group]))
    return LongTable(list(table.names), out)


def _summable(table: LongTable, spec: TableSpec, rows: Sequence[int]) -> bool:
    """Whole counts, and denominators that are numbers or blank: anything else would vanish
    into a sum, so the rows stay apart and build_cube reports the value."""
    counts = table.columns[spec.count]
    if not all(_WHOLE.match(counts[i].strip()) for i in rows):
        return False
    if spec.denominator is None:
        return True
    den = table.columns[spec.denominator]
    return all(not den[i].strip() or _NUMBER.match(den[i].strip()) for i in rows)


def _sum(values: Sequence[str]) -> str:
    """The sum as text, integers as integers; blank when a part is blank (the sum is unknown)."""
    texts = [v.strip() for v in values]
    if not all(texts):
        return ""
    try:
        total = sum((Decimal(t) for t in texts), Decimal(0))
    except ArithmeticError:  # an exponent beyond Decimal's range
        return ""
    if all(_WHOLE.match(t) for t in texts):
        return str(int(total))
    return str(total)


def _agreed(values: Sequence[str]) -> str:
    """A column that describes the rows (a source, a note) keeps a value they all share."""
    first = values[0]
    return first if all(v.strip() == first.strip() for v in values) else ""


def drop_dimensions(table: LongTable, spec: TableSpec) -> tuple[LongTable, TableSpec]:
    """The table without the SPEC's `drop` dimensions, and the SPEC that describes it.

    A dropped dimension is summed over its categories (rows at its total or at a hierarchy
    parent are sums already and are left out), except a select-all-that-apply one, whose
    categories overlap: there the rows at its total are the figures, and only they are kept.
    """
    if not spec.drop:
        return table, spec
    keep = list(range(table.n_rows))
    recode: dict[str, dict[str, str]] = {}
    for dim in spec.drop:
        if dim not in table.columns:
            return table, spec  # build_cube names the missing column
        values = [v.strip() for v in table.columns[dim]]
        margins = {spec.total_label, *spec.hierarchies.get(dim, {}).values()}
        if dim in spec.inclusive:
            keep = [i for i in keep if values[i] == spec.total_label]
        else:
            keep = [i for i in keep if values[i] not in margins]
            recode[dim] = {values[i]: spec.total_label for i in keep}
    kept = LongTable(
        list(table.names), {n: [col[i] for i in keep] for n, col in table.columns.items()}
    )
    merged = _merge(kept, replace(spec, recode=recode))
    names = [n for n in merged.names if n not in spec.drop]
    return LongTable(names, {n: merged.columns[n] for n in names}), without_dropped(spec)


def without_dropped(spec: TableSpec) -> TableSpec:
    """The SPEC of the table as published, its `drop` dimensions gone (`drop` itself stays,
    for the report and the notes)."""
    return replace(
        spec,
        dimensions=tuple(d for d in spec.dimensions if d not in spec.drop),
        hierarchies={d: h for d, h in spec.hierarchies.items() if d not in spec.drop},
        inclusive=tuple(d for d in spec.inclusive if d not in spec.drop),
    )
