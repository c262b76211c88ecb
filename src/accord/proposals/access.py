"""Who sees a proposal and which of its parts.

A department that is no party to a proposal does not learn that it exists (NotFound, never
PermissionDenied). Within the parties, restricted questions and registered opinions are shown
only to the roles the form names for them, and every read of restricted content is written to
the audit log, by the adapter, in a transaction of its own (``record_reads``).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.permissions import Action, can
from accord.errors import NotFound
from accord.proposals.form import AREA_LABELS, BY_KEY, may_read_restricted
from accord.proposals.models import Proposal

RESTRICTED = "[restricted]"


def load(session: Session, actor: Actor, proposal_id: int, *, lock: bool = False) -> Proposal:
    """The proposal, if the actor's department is a party to it; else NotFound."""
    proposal = session.get(Proposal, proposal_id, with_for_update=lock or None)
    if proposal is None or not can(actor, Action.VIEW_PROPOSALS, proposal):
        raise NotFound(f"No proposal {proposal_id}.")
    return proposal


def readable(actor: Actor, proposal: Proposal, question: str) -> bool:
    q = BY_KEY.get(question)
    return q is None or q.readable_by(actor, proposal.relations_to(actor))


def readable_answers(actor: Actor, proposal: Proposal) -> dict[str, Any]:
    """The answers the actor may read; restricted ones they may not are left out."""
    return {k: v for k, v in proposal.answers.items() if readable(actor, proposal, k)}


def hidden_answers(actor: Actor, proposal: Proposal) -> list[str]:
    """Restricted questions with an answer that the actor may not read."""
    return sorted(k for k, v in proposal.answers.items() if v and not readable(actor, proposal, k))


def restricted_read(actor: Actor, proposal: Proposal) -> list[str]:
    """The restricted questions with an answer that the actor is about to read."""
    return sorted(
        k
        for k, v in proposal.answers.items()
        if v and k in BY_KEY and BY_KEY[k].restricted and readable(actor, proposal, k)
    )


def readable_areas(actor: Actor, proposal: Proposal) -> list[str]:
    """The areas of registered opinions the actor may read: all of them, or none."""
    if may_read_restricted(actor, proposal.relations_to(actor)):
        return list(AREA_LABELS)
    return []


def record_reads(session: Session, actor: Actor, proposal_id: int, what: list[str]) -> None:
    """Audit one read of restricted content ("security_requirements", "opinion:legal", ...)."""
    if what:
        audit.record(
            session, actor, "proposal.restricted_read", "proposal", proposal_id, after=what
        )


def audit_value(key: str, value: Any) -> Any:
    """What the audit log keeps of an answer: restricted text only as a fingerprint, so the
    log's readers (administrators, auditors) do not read what the form restricts."""
    q = BY_KEY.get(key)
    if q is not None and q.restricted and value:
        return f"{RESTRICTED} sha256:{hashlib.sha256(str(value).encode()).hexdigest()[:16]}"
    return value
