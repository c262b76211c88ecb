"""Which agreement a fulfillment request is about, and whether it may be delivered against.

Agreements are named as ``accord proposal list`` names them: by their proposal's number. A
department that is no party to the proposal does not learn that it exists (NotFound).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.permissions import Action, check
from accord.errors import Conflict, NotFound
from accord.proposals.access import load
from accord.proposals.models import Agreement, Proposal
from accord.proposals.states import DELIVERABLE, ProposalState, state_label


def agreement_for(
    session: Session,
    actor: Actor,
    proposal_id: int,
    action: Action = Action.VIEW_FULFILLMENT,
    *,
    lock: bool = False,
) -> tuple[Proposal, Agreement]:
    proposal = load(session, actor, proposal_id, lock=lock)
    check(actor, action, proposal)
    agreement = session.scalar(select(Agreement).where(Agreement.proposal_id == proposal.id))
    if agreement is None:
        raise NotFound(f"Proposal {proposal.id} has no agreement: it has not been approved.")
    return proposal, agreement


def undeliverable(proposal: Proposal, agreement: Agreement, today: date) -> str | None:
    """Why nothing may be extracted or sent under this agreement today, or None."""
    state = ProposalState(proposal.state)
    if state not in DELIVERABLE:
        if state is ProposalState.APPROVED:
            return f"Proposal {proposal.id} is approved but not yet filed; file it first."
        return f"The agreement of proposal {proposal.id} is {state_label(proposal).lower()}."
    if agreement.start_date is not None and agreement.start_date > today:
        return f"The agreement of proposal {proposal.id} starts on {agreement.start_date:%d %B %Y}."
    if agreement.end_date is not None and agreement.end_date < today:
        return f"The agreement of proposal {proposal.id} ended on {agreement.end_date:%d %B %Y}."
    return None


def require_deliverable(proposal: Proposal, agreement: Agreement, today: date) -> None:
    reason = undeliverable(proposal, agreement, today)
    if reason is not None:
        raise Conflict(reason + " Nothing can be extracted or delivered under it.")
