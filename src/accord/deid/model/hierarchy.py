"""Dimensions as trees: a total at the root, optional intermediate levels, leaves below.

Every dimension of a long-format table becomes one tree. A flat dimension is a root with its
categories as leaves; a hierarchy (county within region within state, detailed within broad race
groups) adds levels, each parent being the sum of its children (DDG.md §10.4 R6, §16 A22).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from accord.deid.findings import Finding
from accord.deid.quoting import quoted, shown

MAX_CYCLE_SHOWN = 10  # categories of a cycle a finding names

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Dimension:
    """One dimension's tree. Index 0 is always the dimension's total (the root)."""

    name: str
    codes: tuple[str, ...]
    parents: tuple[int, ...]
    inclusive: bool = False

    @property
    def size(self) -> int:
        return len(self.codes)

    @property
    def total_label(self) -> str:
        return self.codes[0]

    @cached_property
    def index(self) -> dict[str, int]:
        return {code: i for i, code in enumerate(self.codes)}

    @cached_property
    def children(self) -> tuple[tuple[int, ...], ...]:
        kids: list[list[int]] = [[] for _ in self.codes]
        for node, parent in enumerate(self.parents):
            if parent >= 0:
                kids[parent].append(node)
        return tuple(tuple(k) for k in kids)

    @cached_property
    def is_leaf(self) -> npt.NDArray[np.bool_]:
        return np.array([len(k) == 0 for k in self.children], dtype=bool)

    @cached_property
    def depth(self) -> IntArray:
        depth = np.zeros(self.size, dtype=np.int64)
        for node in range(self.size):
            d, p = 0, self.parents[node]
            while p >= 0:
                d, p = d + 1, self.parents[p]
            depth[node] = d
        return depth

    @cached_property
    def internal_bottom_up(self) -> tuple[int, ...]:
        """Internal nodes, deepest first, so sums can be built level by level."""
        internal = [n for n in range(self.size) if self.children[n]]
        return tuple(sorted(internal, key=lambda n: (-int(self.depth[n]), n)))

    def ancestors(self, node: int) -> list[int]:
        out: list[int] = []
        p = self.parents[node]
        while p >= 0:
            out.append(p)
            p = self.parents[p]
        return out


def flat_dimension(name: str, categories: Sequence[str], total_label: str) -> Dimension:
    codes = (total_label, *categories)
    return Dimension(name, codes, (-1,) + (0,) * len(categories))


def build_dimension(
    name: str,
    observed: Sequence[str],
    total_label: str,
    child_to_parent: Mapping[str, str] | None = None,
    inclusive: bool = False,
) -> tuple[Dimension | None, list[Finding]]:
    """Build a dimension tree from the codes seen in the data and an optional hierarchy map.

    Order is the order of first appearance (data first, then the hierarchy), so "most similar"
    (adjacent) categories keep the publisher's ordering and reruns give the same pattern.
    """
    findings: list[Finding] = []
    seen: dict[str, None] = {}
    for code in observed:
        if code != total_label:
            seen.setdefault(code, None)
    if not child_to_parent:
        return Dimension(name, (total_label, *seen), (-1,) + (0,) * len(seen), inclusive), []

    mapping = dict(child_to_parent)
    if total_label in mapping:
        findings.append(
            Finding(
                "hierarchy-total-as-child",
                "10.4",
                f"hierarchy of {quoted(name)} gives the total {quoted(total_label)} a parent",
            )
        )
        mapping.pop(total_label)
    for child, parent in mapping.items():
        if child == parent:
            findings.append(
                Finding(
                    "hierarchy-cycle", "10.4", f"{shown(name)}: {quoted(child)} is its own parent"
                )
            )
    # Cycles: follow parents; a repeat before reaching a root means a loop.
    bad: set[str] = set()
    for start in mapping:
        path: list[str] = []
        node = start
        while node in mapping and node != total_label:
            if node in path:
                loop = path[path.index(node) :]
                if not bad.intersection(loop):
                    through = " -> ".join(shown(c) for c in loop[:MAX_CYCLE_SHOWN])
                    if len(loop) > MAX_CYCLE_SHOWN:
                        through += f" -> ... ({len(loop):,} categories)"
                    findings.append(
                        Finding(
                            "hierarchy-cycle",
                            "10.4",
                            f"{shown(name)}: hierarchy has a cycle through {through}",
                        )
                    )
                bad.update(loop)
                break
            path.append(node)
            node = mapping[node]
    for code in seen:
        if code not in mapping and code not in mapping.values():
            findings.append(
                Finding(
                    "hierarchy-orphan",
                    "10.4",
                    f"{shown(name)}: value {quoted(code)} is not in the hierarchy",
                    cell={name: code},
                )
            )
    if findings:
        return None, findings

    order: dict[str, None] = {total_label: None}
    for code in seen:
        order.setdefault(code, None)
    for child, parent in mapping.items():
        order.setdefault(parent, None)
        order.setdefault(child, None)
    codes = tuple(order)
    index = {c: i for i, c in enumerate(codes)}
    parents = [-1] + [index[mapping.get(c, total_label)] for c in codes[1:]]
    return Dimension(name, codes, tuple(parents), inclusive), []
