"""Steps 1 and 2 of the release procedure (DDG.md §4–§6) and the step-3 outcome (§8).

Step 1 is an expert's call; Accord proposes it from field classifications and records who
confirmed it. Step 2 is mechanical and is reported per cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from accord.deid.findings import Finding, Severity
from accord.deid.spec.params import Parameters

PERSONAL = {
    "identifier",
    "race",
    "ethnicity",
    "language",
    "sex",
    "sexual_orientation",
    "gender_identity",
    "intersex",
    "age",
    "socio_economic_status",
    "immigration_status",
    "residence",
    "education",
    "financial_status",
    "personal",
}


RECORD_LEVEL_REVIEW = (
    "record-level output (one row per person or entity): the aggregate pipeline does not "
    "apply; a case-by-case expert review of uniqueness and linkability is required (DDG.md "
    "§1 rule 2)"
)


@dataclass
class Step1Result:
    """The step-1 proposal. `next_step` is None for record-level output: no step of the
    aggregate procedure follows, so no score is ever computed for it (§1 rule 2)."""

    has_personal_characteristics: bool
    reasons: list[str]
    next_step: int | None
    confirmed_by: str | None = None
    record_level: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "has_personal_characteristics": self.has_personal_characteristics,
            "reasons": self.reasons,
            "next_step": self.next_step,
            "confirmed_by": self.confirmed_by,
            "section": "5",
        }
        if self.record_level:
            out["record_level"] = True
            out["expert_review_required"] = RECORD_LEVEL_REVIEW
            out["section"] = "1"
        return out


def assess_step1(table_meta: Mapping[str, Any]) -> Step1Result:
    """Propose the step-1 answer (DDG 4.1, 5.4, 5.5); an expert confirms it.

    A characteristic counts even when only inferred (a children's hospital implies age); a
    mandate removes a characteristic only when it expressly requires its publication.
    Record-level output (`record_level: true`) leaves the aggregate procedure altogether
    (§1 rule 2): the answer is an expert review, with no next step and never a score.
    """
    reasons: list[str] = []
    if table_meta.get("record_level") is True:
        reasons.append(RECORD_LEVEL_REVIEW)
    mandated = {str(m) for m in table_meta.get("mandated_characteristics", [])}
    for var in table_meta.get("variables", []):
        kind = str(var.get("classification", ""))
        if kind in PERSONAL and str(var.get("name")) not in mandated:
            reasons.append(f"{var.get('name')} is a personal characteristic ({kind})")
    for implied in table_meta.get("implied_characteristics", []):
        reasons.append(f"population implies {implied} (DDG 4.1)")
    if table_meta.get("record_level") is True:
        # one row per person shows whatever it holds about that person; the list above
        # stays as the reviewer's starting point
        return Step1Result(True, reasons, None, record_level=True)
    has = bool(reasons)
    return Step1Result(has, reasons, 2 if has else 6)


@dataclass
class Step2Result:
    small_numerators: int
    failing_denominators: int
    unknown_denominators: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def passes(self) -> bool:
        return not (self.small_numerators or self.failing_denominators or self.unknown_denominators)

    @property
    def next_step(self) -> int:
        return 5 if self.passes else 3

    def to_dict(self) -> dict[str, Any]:
        return {
            "small_numerators": self.small_numerators,
            "failing_denominators": self.failing_denominators,
            "unknown_denominators": self.unknown_denominators,
            "passes": self.passes,
            "next_step": self.next_step,
            "section": "6",
        }


def check_numerator_denominator(
    counts: npt.NDArray[np.float64],
    denominators: Sequence[float | None] | None,
    params: Parameters,
) -> Step2Result:
    """DDG 4.2: every value from 0 or >= T people, every denominator above the threshold.

    An unknown denominator fails (§6 rule 4): without it the condition cannot be shown to hold.
    """
    known = ~np.isnan(counts)
    small = known & (counts > 0) & (counts < params.small_cell_threshold)
    result = Step2Result(int(small.sum()), 0, 0)
    if denominators is None:
        result.unknown_denominators = len(counts)
    else:
        for d in denominators:
            if d is None:
                result.unknown_denominators += 1
            elif not params.denominator_passes(int(d)):
                result.failing_denominators += 1
    if result.small_numerators:
        result.findings.append(
            Finding(
                "numerator-condition",
                "6",
                f"{result.small_numerators} value(s) come from 1 to "
                f"{params.small_cell_threshold - 1} individuals",
                Severity.INFO,
            )
        )
    if result.failing_denominators or result.unknown_denominators:
        result.findings.append(
            Finding(
                "denominator-condition",
                "6",
                f"{result.failing_denominators} denominator(s) at or below "
                f"{params.denominator_threshold:,} and {result.unknown_denominators} unknown",
                Severity.INFO,
                see_also=("16 A1", "16 A13"),
            )
        )
    return result


def masking_decision(
    total: int | None, high_risk: bool, any_small: bool, params: Parameters
) -> tuple[bool, list[Finding]]:
    """§8: masking when score >= 13, or a high-risk population with any cell 1–10.

    With no score at all the engine masks: publishing unmasked needs evidence, not its absence.
    """
    notes: list[Finding] = []
    if high_risk and any_small:
        notes.append(
            Finding(
                "high-risk-population",
                "9.2",
                "high-risk population: values below the threshold are suppressed "
                "whatever the score",
                Severity.INFO,
            )
        )
        return True, notes
    if total is None:
        notes.append(
            Finding(
                "no-score",
                "7",
                "no publication score given; masking applied (conservative default)",
                Severity.WARNING,
            )
        )
        return True, notes
    if total > params.release_score_max:
        if not any_small:
            notes.append(
                Finding(
                    "score-without-small-cells",
                    "16 A14",
                    f"score {total} requires masking but no cell is below the "
                    "threshold; an expert must decide whether to combine categories or "
                    "split the table",
                    Severity.WARNING,
                    see_also=("10.1",),
                )
            )
        return True, notes
    notes.append(
        Finding(
            "score-releasable",
            "8",
            f"score {total} <= {params.release_score_max}: no masking required by "
            "the score (an expert may still mask)",
            Severity.INFO,
        )
    )
    return False, notes
