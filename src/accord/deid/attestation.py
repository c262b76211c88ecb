"""Records for steps 5–6 and the expert determination document (DDG.md §4 rules 2–4, §13).

The engine computes and proposes; people decide. These records hold who decided what and when,
so the assessment record is the documentation an expert determination needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

VERY_SMALL_RISK = (
    "The risk is very small that the information could be used, alone or in combination with "
    "other reasonably available information, by an anticipated recipient to identify an "
    "individual who is a subject of the information."
)


@dataclass(frozen=True)
class ExpertAttestation:
    """Step 5 in the expert-determination template (§16 A17): the expert's signed statement."""

    expert: str
    role: Literal["statistical de-identification expert", "supervisor expert"]
    signed_at: datetime
    statement: str = VERY_SMALL_RISK
    methods_note: str = ""


@dataclass(frozen=True)
class MitigationOverride:
    """§4 rule 4: release a table scoring >= 13 unmasked only with a documented justification."""

    expert: str
    justification: str
    decided_at: datetime


@dataclass(frozen=True)
class LegalReview:
    reviewer: str
    outcome: Literal["approved", "approved with conditions", "declined"]
    reviewed_at: datetime
    notes: str = ""


@dataclass
class ReleaseRecord:
    """Everything steps 1–6 produced for one table."""

    report_name: str
    reason_for_release: str
    why_not_safe_harbor: str
    assessment: dict[str, Any]
    attestation: ExpertAttestation | None = None
    override: MitigationOverride | None = None
    legal_review: LegalReview | None = None
    release_reviews: list[str] = field(default_factory=list)
    hipaa_covered_entity: bool = False

    def problems(self) -> list[str]:
        """What still blocks release (an empty list means the record is complete)."""
        out: list[str] = []
        step3 = self.assessment.get("steps", {}).get("step3", {})
        summary = self.assessment.get("summary", {})
        masked = summary.get("primary", 0) > 0 or summary.get("complementary", 0) > 0
        if step3.get("masking_required") and not masked and self.override is None:
            out.append("score requires masking: mask the table or document an override (§4)")
        if not summary.get("audit_passed", True):
            out.append("the disclosure audit failed (§10.5)")
        if self.hipaa_covered_entity and self.attestation is None:
            out.append("HIPAA covered entity: a signed expert determination is required (§13)")
        if self.legal_review is not None and self.legal_review.outcome == "declined":
            out.append("legal review declined the release (§13)")
        return out


def expert_determination_document(record: ReleaseRecord) -> str:
    """The DDG 14.2 template filled from the record (Markdown)."""
    a = record.assessment
    steps = a.get("steps", {})
    summary = a.get("summary", {})
    lines = [
        f"# Expert determination: {record.report_name}",
        "",
        f"**Reason for release.** {record.reason_for_release}",
        "",
        f"**Why Safe Harbor does not apply.** {record.why_not_safe_harbor}",
        "",
        "## Step 1 — personal characteristics",
        "Confirmed: the table shows personal characteristics (proceeded to step 2).",
        "## Step 2 — numerator–denominator condition",
        f"{steps.get('step2', {})}",
        "## Step 3 — risk assessment (publication scoring criteria)",
        f"Score: {steps.get('step3', {}).get('score')}",
        "## Step 4 — statistical masking",
        f"Primary suppressions: {summary.get('primary')}; complementary: "
        f"{summary.get('complementary')}; audit passed: {summary.get('audit_passed')}.",
        "## Step 5 — expert review",
    ]
    att = record.attestation
    if att is None:
        lines.append("_Not yet signed._")
    else:
        lines += [
            att.statement,
            "",
            f"Signed: {att.expert} ({att.role}), {att.signed_at.isoformat()}",
        ]
        if att.methods_note:
            lines += ["", att.methods_note]
    return "\n".join(lines) + "\n"
