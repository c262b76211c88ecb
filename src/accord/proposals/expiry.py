"""Agreements move to "expired" by themselves once their end date has passed (BUCP.md §2.5).

Nothing can be extracted or delivered after the end date whatever the state says
(``fulfillment.access``); this makes the record say so too, so lists, metrics and the disposal
that follows see the agreement as ended. Every worker calls ``expire_ended`` about once a
minute (the jobs registry's periodic hook); each agreement is moved in its own transaction with
its proposal locked and its state checked again, so workers calling at once move it once.
"""

from __future__ import annotations

import logging
from datetime import date

from sqlalchemy import select

from accord.auth.actor import Actor
from accord.config import Settings
from accord.db.engine import transaction
from accord.jobs import registry
from accord.proposals.models import Agreement, Proposal
from accord.proposals.states import DELIVERABLE, ProposalState, system_move

ENDING = frozenset({*DELIVERABLE, ProposalState.SUSPENDED})
log = logging.getLogger("accord.proposals")


def expire_ended(settings: Settings, today: date | None = None) -> list[str]:
    """Move every agreement whose end date is before ``today`` to expired; one line each."""
    today = today or date.today()
    with transaction(settings, read_only=True) as session:
        ended = list(
            session.scalars(
                select(Proposal.id)
                .join(Agreement, Agreement.proposal_id == Proposal.id)
                .where(
                    Proposal.state.in_([s.value for s in ENDING]),
                    Agreement.end_date.is_not(None),
                    Agreement.end_date < today,
                )
                .order_by(Proposal.id)
            )
        )
    moved = []
    for proposal_id in ended:
        try:
            note = _expire(settings, proposal_id)
        except Exception:  # the others still expire; this one is tried again next time
            log.exception("proposal %s could not be expired", proposal_id)
            continue
        if note:
            moved.append(f"Proposal {proposal_id}: expired; {note[0].lower()}{note[1:]}")
    return moved


def _expire(settings: Settings, proposal_id: int) -> str:
    with transaction(settings) as session:
        proposal = session.get(Proposal, proposal_id, with_for_update=True)
        if proposal is None or ProposalState(proposal.state) not in ENDING:
            return ""  # another worker, or a person, moved it meanwhile
        end = session.scalar(select(Agreement.end_date).where(Agreement.proposal_id == proposal_id))
        assert end is not None
        note = f"The agreement ended on {end:%d %B %Y}."
        system_move(session, proposal, Actor.system(via="worker"), "expire", note)
    return note


registry.register_periodic("agreement expiry", expire_ended)
