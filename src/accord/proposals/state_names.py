"""The names of a proposal's states, apart from the lifecycle that moves between them
(``states.py``): the command line's help and options name them without loading the
database layer, so that `accord proposal --help` starts at once."""

from __future__ import annotations

from enum import StrEnum


class ProposalState(StrEnum):
    DRAFT = "draft"
    SENT_TO_PROVIDER = "sent_to_provider"
    IN_JOINT_DEVELOPMENT = "in_joint_development"
    IN_REVIEW = "in_review"
    AWAITING_SIGNATURES = "awaiting_signatures"
    AWAITING_DC_FINAL_REVIEW = "awaiting_dc_final_review"
    APPROVED = "approved"
    FILED = "filed"
    WITHDRAWN = "withdrawn"
    DENIED = "denied"
    # declared for the dispute, fulfillment and disposal work that follows
    DISPUTED = "disputed"
    IN_MEDIATION = "in_mediation"
    IN_FULFILLMENT = "in_fulfillment"
    ACTIVE = "active"
    AMENDMENT_IN_PROGRESS = "amendment_in_progress"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"
    EXPIRED = "expired"
    DISPOSAL_PENDING = "disposal_pending"
    RETAINED_WITH_PROTECTIONS = "retained_with_protections"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return STATE_LABELS.get(self, self.value.replace("_", " ").capitalize())


STATE_LABELS = {
    ProposalState.SENT_TO_PROVIDER: "Sent to provider",
    ProposalState.IN_JOINT_DEVELOPMENT: "In joint development",
    ProposalState.AWAITING_DC_FINAL_REVIEW: "Awaiting data coordinators' final review",
}
