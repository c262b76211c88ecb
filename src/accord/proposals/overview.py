"""One proposal as a given person may see it: the page, the API and the CLI all show this.

Restricted answers and opinions the person may not read are left out (their questions are
named in ``hidden`` so the page can say that something is withheld); what restricted content
is shown (answers, opinions, and the comments and change requests on restricted questions) is
listed in ``restricted_shown`` for the adapter to write to the audit log
(``access.record_reads``) before it answers. Attachments are listed, not read: reading one's
file is audited when it is downloaded (``attachments.attachment_reads``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.models import Department
from accord.catalog.statutes import statute_titles
from accord.lifecycle.models import StateChange
from accord.proposals import drafting, reviews
from accord.proposals.access import hidden_answers, load, readable_answers, restricted_read
from accord.proposals.agreements import agreement_of
from accord.proposals.attachments import RequestedDataset, attachments, requested_datasets
from accord.proposals.form import BY_KEY, PATHS, GovernancePath, Step
from accord.proposals.models import (
    Agreement,
    Attachment,
    ChangeRequest,
    Concern,
    Opinion,
    Proposal,
    ProposalAuthority,
    ProposalComment,
    ProposalElement,
    Signature,
)
from accord.proposals.states import PROPOSAL, ProposalState, missing_opinions, state_label


@dataclass(frozen=True)
class Party:
    department_id: int
    code: str
    name: str
    side: str
    program: str


@dataclass
class Overview:
    proposal: Proposal
    path: GovernancePath
    state: ProposalState
    state_label: str
    my_side: str | None
    parties: list[Party]
    answers: dict[str, Any]  # readable answers only
    hidden: list[str]  # restricted questions with an answer this person may not read
    elements: list[ProposalElement]
    left_catalog: set[int]  # field ids no longer in the catalog
    governing: list[str]
    statute_titles: dict[str, str]  # governing citation -> the statute's title
    authorities: dict[str, ProposalAuthority]
    comments: list[ProposalComment]
    changes: list[ChangeRequest]
    opinions: list[Opinion]
    missing_opinions: list[tuple[int, str]]
    concerns: list[Concern]
    signatures: list[Signature]
    history: list[StateChange]
    verbs: list[str]  # the lifecycle moves this person may make now
    problems: dict[str, list[str]]  # next step -> what keeps the proposal from it
    agreement: Agreement | None
    attachments: list[Attachment]  # those this person may read
    dictionaries: list[RequestedDataset]  # the requested datasets still in the catalog
    restricted_shown: list[str]
    updated_at: datetime

    def department(self, department_id: int) -> Party | None:
        return next((p for p in self.parties if p.department_id == department_id), None)


NEXT_STEP = {
    ProposalState.DRAFT: Step.SEND,
    ProposalState.IN_JOINT_DEVELOPMENT: Step.REVIEW,
    ProposalState.IN_REVIEW: Step.SIGN,
}


def overview(session: Session, actor: Actor, proposal_id: int) -> Overview:
    proposal = load(session, actor, proposal_id)
    state = ProposalState(proposal.state)
    departments = {
        d.id: d
        for d in session.scalars(
            select(Department).where(Department.id.in_(proposal.departments()))
        )
    }
    parties = [
        Party(
            p.department_id,
            departments[p.department_id].code,
            departments[p.department_id].name,
            p.side,
            p.program,
        )
        for p in proposal.parties
    ]
    opinions = reviews.opinions(session, actor, proposal)
    comments = reviews.comments(session, actor, proposal)
    changes = reviews.change_requests(session, actor, proposal)
    shown = (
        restricted_read(actor, proposal)
        + sorted({f"opinion:{o.area}" for o in opinions})
        + discussion_reads(comments, changes)
    )
    step = NEXT_STEP.get(state)
    problems = {}
    if step is not None:
        found = drafting.step_problems(session, proposal, step)
        if found:
            problems[step.value] = [p.message for p in found]
    governing = drafting.governing(session, proposal)
    return Overview(
        proposal=proposal,
        path=PATHS[proposal.path],
        state=state,
        state_label=state_label(proposal),
        my_side=proposal.side_of(actor.department_id),
        parties=parties,
        answers=readable_answers(actor, proposal),
        hidden=hidden_answers(actor, proposal),
        elements=drafting.elements(session, proposal),
        left_catalog=drafting.left_catalog(session, proposal),
        governing=governing,
        statute_titles=statute_titles(session, governing),
        authorities=drafting.authorities(session, proposal),
        comments=comments,
        changes=changes,
        opinions=opinions,
        missing_opinions=_missing_opinions(proposal, state),
        concerns=reviews.concerns(session, proposal),
        signatures=reviews.signatures(session, proposal),
        history=PROPOSAL.history(session, proposal.id),
        verbs=[t.verb for t in PROPOSAL.allowed(proposal, actor)],
        problems=problems,
        agreement=agreement_of(session, actor, proposal),
        attachments=attachments(session, actor, proposal),
        dictionaries=requested_datasets(session, proposal),
        restricted_shown=shown,
        updated_at=proposal.updated_at,
    )


def discussion_reads(
    comments: Iterable[ProposalComment], changes: Iterable[ChangeRequest]
) -> list[str]:
    """The restricted reads a discussion shows: comments and change requests on a restricted
    question are restricted text too (their own audit entries keep only a fingerprint). The
    comments and changes given are those the reader was allowed (``reviews.comments``)."""

    def restricted(question: str) -> bool:
        return question in BY_KEY and BY_KEY[question].restricted

    return sorted(
        {f"comment:{c.question}" for c in comments if restricted(c.question)}
        | {f"change:{c.question}" for c in changes if restricted(c.question)}
    )


def _missing_opinions(proposal: Proposal, state: ProposalState) -> list[tuple[int, str]]:
    if state in {ProposalState.IN_JOINT_DEVELOPMENT, ProposalState.IN_REVIEW}:
        return missing_opinions(proposal)
    return []
