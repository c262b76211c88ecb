"""Finding proposals: the list a department sees, and what waits for one person ("my work").

Both read only proposals the actor's department is party to. "My work" is computed from the
records (state, opinions, concerns, signatures, change requests), never kept as a to-do list
that could disagree with them; a bounded number of queries whatever the number of proposals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.permissions import Action, can
from accord.auth.roles import Role
from accord.proposals.form import AREA_OF_ROLE, PATHS
from accord.proposals.models import (
    ChangeRequest,
    Concern,
    Opinion,
    Proposal,
    ProposalElement,
    ProposalParty,
    Signature,
)
from accord.proposals.states import ProposalState

S = ProposalState
WAITING = (
    S.DRAFT,
    S.SENT_TO_PROVIDER,
    S.IN_JOINT_DEVELOPMENT,
    S.IN_REVIEW,
    S.AWAITING_SIGNATURES,
    S.AWAITING_DC_FINAL_REVIEW,
    S.APPROVED,
    S.FILED,
)


@dataclass(frozen=True)
class ProposalRow:
    id: int
    title: str
    state: str
    side: str  # the actor's department's side: provider | recipient
    path: str
    updated_at: object


def list_proposals(
    session: Session,
    actor: Actor,
    *,
    state: str | None = None,
    side: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[ProposalRow], int]:
    """The proposals of the actor's department, newest first, and how many there are."""
    if actor.department_id is None or not can(actor, Action.VIEW_PROPOSALS):
        return [], 0
    query = (
        select(Proposal, ProposalParty.side)
        .join(ProposalParty, ProposalParty.proposal_id == Proposal.id)
        .where(ProposalParty.department_id == actor.department_id)
    )
    if state:
        query = query.where(Proposal.state == state)
    if side:
        query = query.where(ProposalParty.side == side)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(
        query.order_by(Proposal.updated_at.desc(), Proposal.id.desc()).limit(limit).offset(offset)
    ).all()
    return [ProposalRow(p.id, p.title, p.state, s, p.path, p.updated_at) for p, s in rows], total


@dataclass(frozen=True)
class Task:
    kind: str
    proposal_id: int
    title: str
    detail: str = ""


TASK_LABELS = {
    "send": "Proposals to send",
    "answer_marks": "Fields to justify (minimum necessary)",
    "begin": "Proposals received, to begin developing",
    "decide_changes": "Change requests to decide",
    "open_review": "Proposals ready for review",
    "opinion": "Opinions to register",
    "answer_concern": "Concerns to answer",
    "resolve_concern": "Answered concerns to resolve",
    "request_signatures": "Proposals ready for signatures",
    "sign": "Signatures",
    "final_review": "Final reviews",
    "file": "Approved proposals to file",
    "fulfil": "Filed agreements to fulfil",
}


def my_work(session: Session, actor: Actor, limit: int = 500) -> dict[str, list[Task]]:
    """What waits for this person, by kind of task, in the order of TASK_LABELS."""
    dept = actor.department_id
    if dept is None or not can(actor, Action.VIEW_PROPOSALS):
        return {}
    rows = session.execute(
        select(
            Proposal.id,
            Proposal.state,
            Proposal.path,
            # the title only: the answers are most of a proposal row's size
            Proposal.answers["use_case_name"].as_string().label("title"),
            Proposal.created_by,
            ProposalParty.side,
        )
        .join(ProposalParty, ProposalParty.proposal_id == Proposal.id)
        .where(ProposalParty.department_id == dept, Proposal.state.in_([s.value for s in WAITING]))
        .order_by(Proposal.state_since)
    ).all()
    if not rows:
        return {}
    # Each kind of record is read only for the proposals in the states where it makes a task
    # (the loop below asks for nothing else), so a department's finished work costs nothing.
    by_state: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        by_state[r.state].append(r.id)

    def ids_in(*states: ProposalState) -> list[int]:
        return [pid for s in states for pid in by_state[s.value]]

    developing = ids_in(S.IN_JOINT_DEVELOPMENT, S.IN_REVIEW)
    roles = actor.roles
    areas = {AREA_OF_ROLE[r] for r in roles if r in AREA_OF_ROLE}
    parties: dict[int, set[int]] = defaultdict(set)
    opinions: set[tuple[int, int, str]] = set()
    signed: set[tuple[int, int, str]] = set()
    concerns = []
    changes: set[int] = set()
    undecided: set[int] = set()
    marks: set[int] = set()
    for chunk in _chunks(ids_in(S.IN_REVIEW)):
        for pid, d in session.execute(
            select(ProposalParty.proposal_id, ProposalParty.department_id).where(
                ProposalParty.proposal_id.in_(bindparam("ids", chunk, literal_execute=True))
            )
        ):
            parties[pid].add(d)
    for chunk in _chunks(developing):
        opinions |= {
            (pid, d, area)
            for pid, d, area in session.execute(
                select(Opinion.proposal_id, Opinion.department_id, Opinion.area).where(
                    Opinion.proposal_id.in_(bindparam("ids", chunk, literal_execute=True))
                )
            )
        }
        concerns += list(
            session.scalars(
                select(Concern).where(
                    Concern.proposal_id.in_(bindparam("ids", chunk, literal_execute=True)),
                    Concern.resolved_at.is_(None),
                )
            )
        )
        for pid, by in session.execute(
            select(ChangeRequest.proposal_id, ChangeRequest.department_id).where(
                ChangeRequest.proposal_id.in_(bindparam("ids", chunk, literal_execute=True)),
                ChangeRequest.status == "open",
            )
        ):
            undecided.add(pid)  # keeps the review from opening and the sponsors from signing
            if by != dept:
                changes.add(pid)  # ... and the other department decides it
    for chunk in _chunks(ids_in(S.AWAITING_SIGNATURES, S.AWAITING_DC_FINAL_REVIEW)):
        signed |= {
            (pid, d, kind)
            for pid, d, kind in session.execute(
                select(Signature.proposal_id, Signature.department_id, Signature.kind).where(
                    Signature.proposal_id.in_(bindparam("ids", chunk, literal_execute=True))
                )
            )
        }
    # The provider may mark fields as soon as it receives the proposal, but the requester
    # answers the marks (takes a field out or justifies it) only in joint development.
    for chunk in _chunks(ids_in(S.IN_JOINT_DEVELOPMENT)):
        marks |= set(
            session.scalars(
                select(ProposalElement.proposal_id).where(
                    ProposalElement.proposal_id.in_(bindparam("ids", chunk, literal_execute=True)),
                    ProposalElement.removed.is_(False),
                    ProposalElement.not_needed != "",
                    ProposalElement.justification == "",
                )
            )
        )
    open_concerns: dict[int, list[Concern]] = defaultdict(list)
    for c in concerns:
        open_concerns[c.proposal_id].append(c)
    drafter = bool(roles & {Role.REQUESTER, Role.DATA_COORDINATOR, Role.PROGRAM_OWNER})
    developer = drafter or bool(roles & {Role.STEWARD, Role.DATA_ENGINEER}) or bool(areas)
    coordinator = Role.DATA_COORDINATOR in roles
    work: dict[str, list[Task]] = defaultdict(list)

    def add(kind: str, row: Row[Any], detail: str = "") -> None:
        work[kind].append(Task(kind, row.id, row.title or f"Proposal {row.id}", detail))

    for r in rows:
        state, side = S(r.state), r.side
        required = PATHS[r.path].required_opinions
        mine_open = [c for c in open_concerns[r.id] if c.department_id == dept]
        theirs_open = [c for c in open_concerns[r.id] if c.department_id != dept]
        if (
            state is S.DRAFT
            and side == "recipient"
            and drafter
            and (r.created_by == actor.user_id or coordinator)
        ):
            add("send", r)
        if (
            side == "recipient"
            and drafter
            and r.id in marks
            and state is S.IN_JOINT_DEVELOPMENT
        ):
            add("answer_marks", r)
        if (
            state is S.SENT_TO_PROVIDER
            and side == "provider"
            and roles & {Role.DATA_COORDINATOR, Role.STEWARD, Role.PROGRAM_OWNER}
        ):
            add("begin", r)
        if state in {S.IN_JOINT_DEVELOPMENT, S.IN_REVIEW} and developer and r.id in changes:
            add("decide_changes", r)
        if (
            state is S.IN_JOINT_DEVELOPMENT
            and side == "provider"
            and coordinator
            and r.id not in undecided
        ):
            add("open_review", r)
        if state in {S.IN_JOINT_DEVELOPMENT, S.IN_REVIEW}:
            for area in sorted(areas):
                if area in required and (r.id, dept, area) not in opinions:
                    add("opinion", r, area)
            if developer and any(not c.answer for c in theirs_open):
                add("answer_concern", r, f"{sum(not c.answer for c in theirs_open)} open")
            for c in mine_open:
                if c.area in areas and c.answer:
                    add("resolve_concern", r, c.area)
        if (
            state is S.IN_REVIEW
            and coordinator
            and not open_concerns[r.id]
            and r.id not in undecided
            and all((r.id, d, a) in opinions for d in parties[r.id] for a in required)
        ):
            add("request_signatures", r)
        if (
            state is S.AWAITING_SIGNATURES
            and Role.EXECUTIVE in roles
            and (r.id, dept, "sponsor") not in signed
        ):
            add("sign", r)
        if (
            state is S.AWAITING_DC_FINAL_REVIEW
            and coordinator
            and (r.id, dept, "final_review") not in signed
        ):
            add("final_review", r)
        if state is S.APPROVED and coordinator and side == PATHS[r.path].filed_by.value:
            add("file", r)
        if (
            state is S.FILED
            and side == "provider"
            and roles & {Role.DATA_ENGINEER, Role.DATA_COORDINATOR}
        ):
            add("fulfil", r)
    return {k: work[k][:limit] for k in TASK_LABELS if work.get(k)}


def _chunks(ids: list[int], size: int = 900) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]
