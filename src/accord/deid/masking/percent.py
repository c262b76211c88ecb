"""Three-category variables shown as whole percentages instead of counts (DDG.md §10.6).

For male / female / intersex (or man / woman / non-binary) suppressing the small category would
force a complement in a large one; the DDG's alternative publishes rounded percentages only,
and only when the total is large enough that rounding hides counts below 11.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from accord.deid.findings import Finding, Severity
from accord.deid.model.cube import Cube
from accord.deid.quoting import quoted
from accord.deid.spec.params import Parameters

FOOTNOTE = (
    "Counts are withheld to protect privacy and percentages are rounded to whole numbers, "
    "so they may not sum to 100%."
)


@dataclass
class PercentOnlyTable:
    shown: dict[str, str]
    total: int
    footnote: str = FOOTNOTE
    findings: list[Finding] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not self.findings


def mask_three_category(
    counts: Mapping[str, int],
    params: Parameters | None = None,
    counts_published_elsewhere: bool = False,
) -> PercentOnlyTable:
    """Percent-only form of a variable's categories.

    A non-zero category below 1% is shown as "<1%" even when it would round to 1% (§16 A20:
    the DDG's own example, 10 of 1,100 = 0.909%, is printed "<1%").
    """
    params = params or Parameters()
    total = sum(counts.values())
    table = PercentOnlyTable({}, total)
    if total < params.three_category_min_total:
        table.findings.append(
            Finding(
                "three-category-total",
                "10.6",
                f"total {total} is below {params.three_category_min_total}: rounded "
                "percentages would still reveal counts below 11",
            )
        )
    if counts_published_elsewhere:
        table.findings.append(
            Finding(
                "three-category-counts-elsewhere",
                "10.6",
                "the variable's counts are available elsewhere; percentages would not protect them",
            )
        )
    for label, n in counts.items():
        if n == 0:
            table.shown[label] = "0%"
            continue
        exact = Decimal(n) * 100 / Decimal(total)
        if exact < 1:
            table.shown[label] = "<1%"
        else:
            table.shown[label] = f"{exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)}%"
    return table


@dataclass
class PercentOnlyCube:
    """§10.6 applied to one dimension of a table: each cell's text, by cube cell.

    Every slice (one combination of the other dimensions' categories and totals) is its own
    percentage base, so every base must reach `three_category_min_total`: rounding protects a
    category's count only relative to the total it is a percentage of.
    """

    dimension: str
    shown: dict[int, str]
    slices: int
    footnote: str = FOOTNOTE
    findings: list[Finding] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)


def mask_cube_dimension(
    cube: Cube,
    dimension: str,
    params: Parameters | None = None,
    counts_published_elsewhere: bool = False,
) -> PercentOnlyCube:
    """Whole-number percentages of `dimension`'s categories within every slice of `cube`.

    The dimension must be flat (a total over its categories). The total itself shows "100%".
    Refusals (a base below the minimum, counts available elsewhere) come back as findings,
    one per failing slice, with the slice's labels but not its count.
    """
    params = params or Parameters()
    j = [d.name for d in cube.dims].index(dimension)
    dim = cube.dims[j]
    leaves = [int(c) for c in np.flatnonzero(dim.is_leaf)]
    result = PercentOnlyCube(dimension, {}, 0)
    values = cube.values.reshape(cube.shape)
    other = [range(d.size) for k, d in enumerate(cube.dims) if k != j]
    for rest in itertools.product(*other):
        result.slices += 1

        def at(node: int, rest: tuple[int, ...] = rest) -> tuple[int, ...]:
            return (*rest[:j], node, *rest[j:])

        counts = {dim.codes[c]: int(values[at(c)]) for c in leaves}
        masked = mask_three_category(counts, params)
        if not masked.allowed:
            labels = cube.labels(cube.cell_index(at(0)))
            result.findings.extend(dataclasses.replace(f, cell=labels) for f in masked.findings)
            continue
        result.shown[cube.cell_index(at(0))] = "100%"
        for c in leaves:
            result.shown[cube.cell_index(at(c))] = masked.shown[dim.codes[c]]
    if counts_published_elsewhere:
        result.findings.insert(
            0,
            Finding(
                "three-category-counts-elsewhere",
                "10.6",
                f"the counts of {quoted(dimension)} are available elsewhere; percentages would not "
                "protect them",
            ),
        )
    if len(leaves) != 3:
        result.findings.append(
            Finding(
                "three-category-shape",
                "10.6",
                f"{quoted(dimension)} has {len(leaves)} categories; the percent-only method is "
                "meant for variables with two large categories and one small one",
                Severity.WARNING,
            )
        )
    return result
