"""Three-category variables shown as whole percentages instead of counts (DDG.md §10.6).

For male / female / intersex (or man / woman / non-binary) suppressing the small category would
force a complement in a large one; the DDG's alternative publishes rounded percentages only,
and only when the total is large enough that rounding hides counts below 11.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from accord.deid.findings import Finding
from accord.deid.params import Parameters

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
                "the variable's counts are available elsewhere; percentages would not protect "
                "them",
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
