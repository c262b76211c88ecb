"""Finding proposals: the list a department sees, and what waits for one person ("my work").

Both read only proposals the actor's department is party to. "My work" is computed from the
records (state, opinions, concerns, signatures, change requests), never kept as a to-do list
that could disagree with them; a bounded number of queries whatever the number of proposals.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Select, bindparam, func, select
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
STATE_OF = {s.value: s for s in S}  # a dict lookup: calling the enum costs ten times as much
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
    held = {r.state for r in rows}

    def waiting(*states: ProposalState) -> Select[int] | None:
        """The department's proposals in ``states`` as a subquery the database joins (a busy
        coordinator's thousands of ids written into each statement cost more than the reads),
        or None when it holds none."""
        if not held & {s.value for s in states}:
            return None
        return (
            select(ProposalParty.proposal_id)
            .join(Proposal, Proposal.id == ProposalParty.proposal_id)
            .where(
                ProposalParty.department_id == dept,
                Proposal.state.in_([s.value for s in states]),
            )
        )

    roles = actor.roles
    areas = {AREA_OF_ROLE[r] for r in roles if r in AREA_OF_ROLE}
    parties: dict[int, set[int]] = defaultdict(set)
    opinions: set[tuple[int, int, str]] = set()
    signed: set[tuple[int, int, str]] = set()
    concerns: list[Concern] = []
    changes: set[int] = set()
    undecided: set[int] = set()
    marks: set[int] = set()
    if (in_review := waiting(S.IN_REVIEW)) is not None:
        for pid, d in session.execute(
            select(ProposalParty.proposal_id, ProposalParty.department_id).where(
                ProposalParty.proposal_id.in_(in_review)
            )
        ):
            parties[pid].add(d)
    if (developing := waiting(S.IN_JOINT_DEVELOPMENT, S.IN_REVIEW)) is not None:
        opinions = {
            (pid, d, area)
            for pid, d, area in session.execute(
                select(Opinion.proposal_id, Opinion.department_id, Opinion.area).where(
                    Opinion.proposal_id.in_(developing)
                )
            )
        }
        concerns = list(
            session.scalars(
                select(Concern).where(
                    Concern.proposal_id.in_(developing), Concern.resolved_at.is_(None)
                )
            )
        )
        for pid, by in session.execute(
            select(ChangeRequest.proposal_id, ChangeRequest.department_id).where(
                ChangeRequest.proposal_id.in_(developing), ChangeRequest.status == "open"
            )
        ):
            undecided.add(pid)  # keeps the review from opening and the sponsors from signing
            if by != dept:
                changes.add(pid)  # ... and the other department decides it
    if (signing := waiting(S.AWAITING_SIGNATURES, S.AWAITING_DC_FINAL_REVIEW)) is not None:
        signed = {
            (pid, d, kind)
            for pid, d, kind in session.execute(
                select(Signature.proposal_id, Signature.department_id, Signature.kind).where(
                    Signature.proposal_id.in_(signing)
                )
            )
        }
    # The provider may mark fields as soon as it receives the proposal, but the requester
    # answers the marks (takes a field out or justifies it) only in joint development.
    if (answering := waiting(S.IN_JOINT_DEVELOPMENT)) is not None:
        marks = set(
            session.scalars(
                select(ProposalElement.proposal_id).where(
                    ProposalElement.proposal_id.in_(answering),
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
    begins = bool(roles & {Role.DATA_COORDINATOR, Role.STEWARD, Role.PROGRAM_OWNER})
    fulfils = bool(roles & {Role.DATA_ENGINEER, Role.DATA_COORDINATOR})
    my_areas = sorted(areas)
    work: dict[str, list[tuple[int, str]]] = defaultdict(list)

    def add(kind: str, pid: int, detail: str = "") -> None:
        found = work[kind]
        if len(found) < limit:
            found.append((pid, detail))

    # Each row is looked at only for the tasks its state can hold: a department with
    # thousands of proposals waiting is read in one pass of cheap tests.
    for r in rows:
        state, side = STATE_OF[r.state], r.side
        if state is S.DRAFT:
            if side == "recipient" and drafter and (r.created_by == actor.user_id or coordinator):
                add("send", r.id)
        elif state is S.SENT_TO_PROVIDER:
            if side == "provider" and begins:
                add("begin", r.id)
        elif state is S.IN_JOINT_DEVELOPMENT or state is S.IN_REVIEW:
            joint = state is S.IN_JOINT_DEVELOPMENT
            if joint and side == "recipient" and drafter and r.id in marks:
                add("answer_marks", r.id)
            if developer and r.id in changes:
                add("decide_changes", r.id)
            if joint and side == "provider" and coordinator and r.id not in undecided:
                add("open_review", r.id)
            required = PATHS[r.path].required_opinions
            for area in my_areas:
                if area in required and (r.id, dept, area) not in opinions:
                    add("opinion", r.id, area)
            raised = open_concerns.get(r.id, [])
            unanswered = sum(not c.answer for c in raised if c.department_id != dept)
            if developer and unanswered:
                add("answer_concern", r.id, f"{unanswered} open")
            for c in raised:
                if c.department_id == dept and c.area in areas and c.answer:
                    add("resolve_concern", r.id, c.area)
            if (
                not joint
                and coordinator
                and not raised
                and r.id not in undecided
                and all((r.id, d, a) in opinions for d in parties[r.id] for a in required)
            ):
                add("request_signatures", r.id)
        elif state is S.AWAITING_SIGNATURES:
            if Role.EXECUTIVE in roles and (r.id, dept, "sponsor") not in signed:
                add("sign", r.id)
        elif state is S.AWAITING_DC_FINAL_REVIEW:
            if coordinator and (r.id, dept, "final_review") not in signed:
                add("final_review", r.id)
        elif state is S.APPROVED:
            if coordinator and side == PATHS[r.path].filed_by.value:
                add("file", r.id)
        elif state is S.FILED and side == "provider" and fulfils:
            add("fulfil", r.id)
    titles = _titles(session, sorted({pid for found in work.values() for pid, _ in found}))
    return {
        kind: [Task(kind, pid, titles.get(pid) or f"Proposal {pid}", d) for pid, d in work[kind]]
        for kind in TASK_LABELS
        if work.get(kind)
    }


def _titles(session: Session, ids: list[int]) -> dict[int, str]:
    """The use case names of the proposals shown, read only for them: the answers are most of a
    proposal row's size, and a busy coordinator has thousands of proposals waiting."""
    found: dict[int, str] = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(Proposal.id, Proposal.answers["use_case_name"].as_string()).where(
                Proposal.id.in_(bindparam("ids", chunk, literal_execute=True))
            )
        )
        found.update((pid, title) for pid, title in rows)
    return found


def _chunks(ids: list[int], size: int = 900) -> list[list[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]
