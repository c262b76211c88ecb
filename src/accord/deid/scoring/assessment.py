"""Steps 2–3 of the per-table procedure: does this table need masking, and why.

Kept apart from `release` because the answer is wanted on its own — `files` builds the
assessment document from it without suppressing anything — and because it reads only the
cells a release prints, which `release_loaded` then reuses as the first part of its work.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from accord.deid.findings import Finding, Severity
from accord.deid.model.availability import NO_DATA
from accord.deid.model.tables import LoadedTable, published_view
from accord.deid.scoring.scoring import ScoreReport, score_presentation
from accord.deid.scoring.steps import Step2Result, check_numerator_denominator, masking_decision
from accord.deid.spec.params import Parameters
from accord.deid.spec.spec import TableSpec


@dataclass
class Assessment:
    spec: TableSpec
    step2: Step2Result
    scores: list[ScoreReport]
    score_total: int | None
    masking_required: bool
    findings: list[Finding] = field(default_factory=list)


def smallest_event(counts: npt.NDArray[np.float64], params: Parameters) -> int:
    """The Events score's smallest cell; zeros are ignored by default (§16 A3)."""
    known = counts[~np.isnan(counts)]
    if params.events_min_ignores_zero:
        known = known[known > 0]
    return int(known.min()) if len(known) else 0


def _denominators(loaded: LoadedTable, spec: TableSpec) -> list[float | None] | None:
    if not spec.denominator:
        return None
    return [float(t) if t.strip() else None for t in loaded.table.columns[spec.denominator]]


def assess_loaded(loaded: LoadedTable, spec: TableSpec) -> Assessment:
    """Steps 2–3 over the cells the release prints: every input row, or with `publish` each
    cell of the published tables once (a shared total is one cell; hidden cells are never
    shown, so they neither fail step 2 nor are the Events score's smallest cell)."""
    params = spec.parameters
    view = published_view(loaded, spec)
    _, first = np.unique(view.row_cell, return_index=True)
    once = np.sort(first)
    if view.availability is not None:  # a row with no data has no value to test (§11.1)
        once = once[view.availability[once] != NO_DATA]
    counts = view.cube.values[view.row_cell[once]]
    denominators = _denominators(view, spec)
    if denominators is not None:
        denominators = [denominators[i] for i in once.tolist()]
    step2 = check_numerator_denominator(counts, denominators, params)
    findings = list(step2.findings)
    scores: list[ScoreReport] = []
    total: int | None = spec.score
    if spec.scoring is not None:
        unit = dict(spec.scoring)
        if "events" not in unit:
            unit["events"] = {"min_nonzero_cell": smallest_event(counts, params)}
        if spec.high_risk is not None:  # given in the SPEC: true, or an explicit false
            unit.setdefault("high_risk", spec.high_risk)
        scores = score_presentation(unit, params)
        for s in scores:
            findings.extend(s.findings)
        total = max(s.total for s in scores)
        if spec.score is not None and spec.score != total:
            findings.append(
                Finding(
                    "score-disagrees",
                    "7",
                    f"SPEC score {spec.score} differs from the computed {total}; "
                    "the higher is used",
                    Severity.WARNING,
                )
            )
            total = max(total, spec.score)
    any_small = step2.small_numerators > 0
    # §9.2: a population the unit itself names needs no SPEC flag (scoring.named_high_risk)
    named = [p for s in scores for p in s.high_risk_populations]
    high_risk = bool(spec.high_risk) or bool(named)
    if step2.passes:
        required, notes = (
            False,
            [
                Finding(
                    "step2-passes",
                    "6",
                    "numerator and denominator conditions hold: step 5, no masking",
                    Severity.INFO,
                )
            ],
        )
    else:
        required, notes = masking_decision(total, high_risk, any_small, params)
    findings.extend(notes)
    return Assessment(spec, step2, scores, total, required, findings)
