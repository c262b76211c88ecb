"""Release report for the reviewer (JSON and HTML): score breakdown, each suppressed cell and why,
audit intervals, parameters that differ from the DDG's defaults.

True values of suppressed cells are never written: the report states what a reader could learn
(the audit interval), so it can travel with the release without leaking what was withheld.
Survey tables add each estimate's reliability verdict (DDG.md §12) as the rule it failed, never
the estimate, its RSE or its sample size; percent-only tables (§10.6) say so and carry their
footnote. A linked release names each row's table and marks cells withheld in the earlier
release (§10.4 R6).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, FileSystemLoader

from accord.deid.disclosure.check import COMPLEMENTARY, PRIMARY
from accord.deid.model.availability import INCOMPLETE, NO_DATA, row_availability
from accord.deid.model.tables import TABLE_COLUMN
from accord.deid.release import Release
from accord.deid.spec.spec import table_name
from accord.deid.survey.release_rules import FLAGGED, UNRELIABLE

REASONS = {PRIMARY: "primary", COMPLEMENTARY: "complementary"}
AVAILABILITY = {NO_DATA: "no data available", INCOMPLETE: "incomplete data"}


def _num(x: float) -> int | float | None:
    if np.isinf(x) or np.isnan(x):
        return None
    return int(x) if float(x).is_integer() else round(float(x), 6)


def build_report(release: Release) -> dict[str, Any]:
    a = release.assessment
    spec = a.spec
    table = release.loaded.table
    earlier = release.loaded.earlier
    rows: list[dict[str, Any]] = []
    available = [
        int(c)
        for c in row_availability(
            release.loaded.availability, release.loaded.row_cell, release.groups
        )
    ]
    for i in range(table.n_rows):
        cell = int(release.loaded.row_cell[i])
        s = int(release.row_status[i])
        entry: dict[str, Any] = {}
        if spec.publish:
            entry["table"] = table.columns[TABLE_COLUMN][i]
        # under a key of their own: a dimension may be called "row" or "reason"
        entry["cell"] = {d: table.columns[d][i] for d in spec.dimensions}
        entry["row"] = i + 1
        entry["suppressed"] = s > 0
        if earlier is not None and earlier[cell]:
            entry["previously_suppressed"] = True
        reason = REASONS.get(s)
        if reason is None and release.derived_rows[i]:
            reason = "derived"
        verdict = release.reliability[i] if release.reliability else None
        if verdict is not None and not verdict.reliable:
            reason = reason or "unreliable"
            entry["reliability"] = verdict.to_dict()
            if verdict.outcome == "suppress":
                entry["suppressed"] = True
        entry["reason"] = reason
        if available[i]:  # §11.1 codes 3 and 5: neither a zero nor a suppression
            entry["availability"] = AVAILABILITY[available[i]]
        if release.percent_only is not None:
            entry["percent"] = release.percent_only.shown.get(cell)
        blanked = [c for c, m in release.stat_blank.items() if m[i]]
        if blanked:
            entry["statistics_withheld"] = blanked
        if s > 0:
            iv = release.intervals.get(cell)
            entry["interval"] = (
                None
                if iv is None
                else {
                    "lo": _num(iv.lo),
                    "hi": _num(iv.hi),
                    "feasible_values": _num(iv.feasible_values),
                    "method": iv.method,
                    "exact": iv.exact,
                }
            )
        rows.append(entry)
    sup = release.suppression
    cells = release.loaded.row_cell
    summary: dict[str, Any] = {
        "rows": table.n_rows,
        # cells, not rows: a total shared by linked tables is printed in each, withheld once
        "primary": len(np.unique(cells[release.row_status == PRIMARY])),
        "complementary": len(np.unique(cells[release.row_status == COMPLEMENTARY])),
        "derived": int(release.derived_rows.sum()),
        "primary_cells_all_levels": sup.primary_count if sup else 0,
        "suppressed_cells_all_levels": sup.suppressed_count if sup else 0,
        "information_loss": round(sup.information_loss, 4) if sup else None,
        "audit_passed": release.audit.passed,
        "released": not release.blocked,
    }
    if spec.publish:
        summary["tables"] = [table_name(face) for face in spec.publish]
        on_faces = release.loaded.on_faces
        summary["cells_published"] = 0 if on_faces is None else int(on_faces.sum())
    if earlier is not None:
        summary["previously_suppressed"] = len(
            {int(c) for c in release.loaded.row_cell.tolist() if earlier[c]}
        )
    if spec.survey is not None:
        summary["unreliable_withheld"] = int((release.row_reliability == UNRELIABLE).sum())
        summary["unreliable_flagged"] = int((release.row_reliability == FLAGGED).sum())
    doc: dict[str, Any] = {
        "title": spec.title,
        "standard": "CalHHS Data De-Identification Guidelines, Edition 2.0",
        "parameters": release.params.to_dict(),
        "parameters_changed_from_ddg": release.params.changed_from_defaults(),
        "steps": {
            "step2": a.step2.to_dict(),
            "step3": {
                "score": a.score_total,
                "score_reports": [s.to_dict() for s in a.scores],
                "masking_required": a.masking_required,
            },
        },
        "score": a.scores[0].to_dict()
        if len(a.scores) == 1
        else (
            {"presentation": "independent", "reports": [s.to_dict() for s in a.scores]}
            if a.scores
            else {"total": a.score_total}
        ),
        "summary": summary,
        "recode": {dim: dict(codes) for dim, codes in spec.recode.items()},
        "drop": list(spec.drop),
        "findings": [f.to_dict() for f in release.findings],
        "rows": rows,
    }
    if spec.survey is not None:
        profile = spec.survey.profile
        doc["survey"] = {
            "profile": profile.name,
            "title": profile.title,
            "reliability_rules": [
                {"rule": t.describe(), "action": t.action} for t in profile.tests
            ],
            "small_cell_basis": "unweighted respondent count (§16 A15)",
            "confidentiality_rules": [
                {"rule": r.describe(), "action": r.action} for r in profile.rules
            ],
            "stratified": spec.survey.stratified,
            "survey_rules_for_review": list(profile.review),
        }
    if release.percent_only is not None:
        po = release.percent_only
        doc["percent_only"] = {
            "dimension": po.dimension,
            "column": spec.percent_only.column if spec.percent_only else "percent",
            "min_total": release.params.three_category_min_total,
            "slices": po.slices,
            "allowed": po.allowed,
            "footnote": po.footnote,
        }
    return doc


TEMPLATES = Path(__file__).parent / "templates"
SHOWN_CELLS = 1_000  # withheld cells listed in the HTML report; report.json has every one
_documents = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, lstrip_blocks=True
)


def withheld_rows(report: dict[str, Any], limit: int = SHOWN_CELLS) -> tuple[list[Any], int]:
    """The rows a reader of the report is shown (withheld or annotated), and how many more."""
    rows = [r for r in report["rows"] if r["suppressed"] or r["reason"]]
    return rows[:limit], max(0, len(rows) - limit)


def report_dimensions(report: dict[str, Any]) -> list[str]:
    """The columns that name a row of the report: the linked table, then the dimensions."""
    first = report["rows"][0] if report["rows"] else {}
    return (["table"] if "table" in first else []) + list(first.get("cell", {}))


def render_html(report: dict[str, Any]) -> str:
    """report.html: the same readable report as the page of the stored release (the two
    share `deid_report_body.html`), as a document that stands on its own."""
    shown, more = withheld_rows(report)
    return _documents.get_template("deid_report.html").render(
        report=report,
        suppressed=shown,
        more_withheld=more,
        dimensions=report_dimensions(report),
    )
