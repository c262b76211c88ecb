"""Step 5–6 records: the release gate of DDG.md §4 rule 4 and §13."""

from __future__ import annotations

from datetime import UTC, datetime

from accord.deid.attestation import (
    ExpertAttestation,
    MitigationOverride,
    ReleaseRecord,
    expert_determination_document,
)

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def assessment(masking_required: bool, primary: int, audit: bool = True) -> dict:
    return {
        "steps": {"step3": {"masking_required": masking_required, "score": 14}},
        "summary": {"primary": primary, "complementary": 0, "audit_passed": audit},
    }


def test_unmasked_high_score_needs_an_override():
    rec = ReleaseRecord("r", "why", "county counts", assessment(True, 0))
    assert rec.problems()
    rec.override = MitigationOverride("E. Xpert", "population is a census of facilities", NOW)
    assert rec.problems() == []


def test_covered_entity_needs_signed_determination():
    rec = ReleaseRecord(
        "r", "why", "monthly counts", assessment(True, 3), hipaa_covered_entity=True
    )
    assert any("HIPAA" in p for p in rec.problems())
    rec.attestation = ExpertAttestation("E. Xpert", "statistical de-identification expert", NOW)
    assert rec.problems() == []
    assert "very small" in expert_determination_document(rec)


def test_failed_audit_blocks():
    rec = ReleaseRecord("r", "why", "x", assessment(True, 3, audit=False))
    assert any("audit" in p for p in rec.problems())
