"""Joint development and review: comments in threads, change requests the other side decides,
registered opinions and the concerns they raise, the sponsors' signatures and the data
coordinators' final reviews (BUCP.md §2.3).

When the last department's sponsor signs, and again when the last data coordinator confirms
the final review, Accord itself moves the proposal on; approval creates the agreement record.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.models import User
from accord.auth.permissions import Action, check
from accord.db.base import utcnow
from accord.errors import NotFound, Problem, ValidationFailed
from accord.lifecycle import InvalidTransition, Lifecycle, Transition
from accord.proposals.access import audit_value, load, readable, readable_areas
from accord.proposals.agreements import create_agreement
from accord.proposals.drafting import save_answers
from accord.proposals.form import (
    AREA_OF_ROLE,
    BY_KEY,
    PATHS,
    Kind,
    answer_problems,
    choice_code,
)
from accord.proposals.models import (
    ChangeRequest,
    Concern,
    Opinion,
    Proposal,
    ProposalComment,
    Signature,
)
from accord.proposals.states import PROPOSAL, ProposalState, system_move

MAX_TEXT = 20_000
DISCUSSED = frozenset(
    {
        ProposalState.DRAFT,
        ProposalState.SENT_TO_PROVIDER,
        ProposalState.IN_JOINT_DEVELOPMENT,
        ProposalState.IN_REVIEW,
        ProposalState.AWAITING_SIGNATURES,
        ProposalState.AWAITING_DC_FINAL_REVIEW,
    }
)
REVIEWED = frozenset({ProposalState.IN_JOINT_DEVELOPMENT, ProposalState.IN_REVIEW})
ATTESTATION = "I have read every registered opinion on this proposal and sign it for my department."
FINAL_REVIEW = (
    "I confirm this proposal is final, every step of the checklist is complete and the "
    "process was followed."
)


def require_state(proposal: Proposal, states: frozenset[ProposalState], doing: str) -> None:
    state = ProposalState(proposal.state)
    if state not in states:
        raise InvalidTransition(
            f"Cannot {doing} on proposal {proposal.id}: it is {state.label.lower()}.",
            lifecycle=PROPOSAL.name,
            state=state.value,
            verb=doing.replace(" ", "_"),
        )


def _text(value: str, name: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise ValidationFailed([Problem(name, f"Write the {what}.")])
    if len(value) > MAX_TEXT:
        raise ValidationFailed(
            [Problem(name, f"The {what} is longer than {MAX_TEXT:,} characters.")]
        )
    return value


def _full_name(session: Session, actor: Actor) -> str:
    user = session.get(User, actor.user_id) if actor.user_id else None
    return user.full_name if user else actor.username


# --- comments ---------------------------------------------------------------------------------


def add_comment(
    session: Session,
    actor: Actor,
    proposal_id: int,
    body: str,
    *,
    question: str = "",
    parent_id: int | None = None,
) -> ProposalComment:
    proposal = load(session, actor, proposal_id)
    check(actor, Action.COMMENT_PROPOSALS, proposal)
    require_state(proposal, DISCUSSED, "comment")
    problems = []
    if question and question not in BY_KEY:
        problems.append(Problem("question", f"The form has no question {question!r}."))
    elif question and not readable(actor, proposal, question):
        problems.append(Problem("question", "You may not read that question."))
    if parent_id is not None:
        parent = session.get(ProposalComment, parent_id)
        if parent is None or parent.proposal_id != proposal.id:
            problems.append(Problem("parent_id", f"No comment {parent_id} on this proposal."))
        else:
            question = parent.question
    if problems:
        raise ValidationFailed(problems)
    comment = ProposalComment(
        proposal_id=proposal.id,
        question=question,
        parent_id=parent_id,
        author_id=actor.user_id,
        author=_full_name(session, actor),
        department_id=actor.department_id,
        body=_text(body, "body", "comment"),
    )
    session.add(comment)
    session.flush()
    audit.record(
        session,
        actor,
        "proposal.comment",
        "proposal",
        proposal.id,
        after={
            "comment": comment.id,
            "question": question,
            "body": audit_value(question, comment.body),
        },
    )
    return comment


def comments(session: Session, actor: Actor, proposal: Proposal) -> list[ProposalComment]:
    """The comments the actor may read: those on restricted questions only for their readers."""
    rows = session.scalars(
        select(ProposalComment)
        .where(ProposalComment.proposal_id == proposal.id)
        .order_by(ProposalComment.id)
    )
    return [c for c in rows if readable(actor, proposal, c.question)]


# --- change requests --------------------------------------------------------------------------


class ChangeState(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"


def _other_side(change: ChangeRequest, actor: Actor) -> str | None:
    if change.department_id == actor.department_id:
        return "the other department decides a change request"
    return None


def _set_change_state(change: ChangeRequest, state: ChangeState) -> None:
    change.status = state.value


_OPEN = frozenset({ChangeState.OPEN})
CHANGE = Lifecycle[ChangeState, ChangeRequest](
    name="proposal_change",
    states=ChangeState,
    transitions=(
        Transition("accept", _OPEN, ChangeState.ACCEPTED, Action.DECIDE_CHANGES, (_other_side,)),
        Transition("decline", _OPEN, ChangeState.DECLINED, Action.DECIDE_CHANGES, (_other_side,)),
    ),
    state_of=lambda c: ChangeState(c.status),
    set_state=_set_change_state,
    key_of=lambda c: c.id,
    title_of=lambda c: f"change request {c.id}",
)


def request_change(
    session: Session, actor: Actor, proposal_id: int, question: str, proposed: str, reason: str = ""
) -> ChangeRequest:
    """Propose a new answer to one question for the other department to accept or decline.
    A choice may be given by its words, as people read it on the page."""
    proposal = load(session, actor, proposal_id)
    check(actor, Action.EDIT_PROPOSALS, proposal)
    require_state(proposal, REVIEWED, "request a change")
    if question in BY_KEY and BY_KEY[question].kind is Kind.CHOICE:
        proposed = choice_code(BY_KEY[question], proposed)
    problems = (
        answer_problems({question: proposed.strip()})
        if question
        else [Problem("question", "Choose the question to change.")]
    )
    if question in BY_KEY and not readable(actor, proposal, question):
        problems.append(Problem("question", "You may not read that question."))
    if problems:
        raise ValidationFailed(problems)
    change = ChangeRequest(
        proposal_id=proposal.id,
        question=question,
        proposed=proposed.strip(),
        reason=reason.strip()[:MAX_TEXT],
        requested_by=actor.username,
        department_id=actor.department_id,
    )
    session.add(change)
    session.flush()
    audit.record(
        session,
        actor,
        "proposal.change_request",
        "proposal",
        proposal.id,
        after={
            "change": change.id,
            "question": question,
            "proposed": audit_value(question, change.proposed),
        },
    )
    return change


def change_requests(session: Session, actor: Actor, proposal: Proposal) -> list[ChangeRequest]:
    rows = session.scalars(
        select(ChangeRequest)
        .where(ChangeRequest.proposal_id == proposal.id)
        .order_by(ChangeRequest.id)
    )
    return [c for c in rows if readable(actor, proposal, c.question)]


def decide_change(
    session: Session, actor: Actor, proposal_id: int, change_id: int, accept: bool, note: str = ""
) -> ChangeRequest:
    """The other department accepts (the answer changes, as a new version) or declines.
    Raises InvalidTransition outside joint development and review, and for an acceptance
    during the review (the answers are frozen then)."""
    proposal = load(session, actor, proposal_id, lock=True)
    check(actor, Action.DECIDE_CHANGES, proposal)
    change = session.get(ChangeRequest, change_id)
    if change is None or change.proposal_id != proposal.id:
        raise NotFound(f"No change request {change_id} on proposal {proposal.id}.")
    verb = "accept" if accept else "decline"
    CHANGE.check(change, actor, verb)  # state, and the other side decides
    require_state(proposal, REVIEWED, f"{verb} a change")
    if accept and ProposalState(proposal.state) is not ProposalState.IN_JOINT_DEVELOPMENT:
        # The reviewers' opinions are on the answers as they stand; a change to them is made
        # back in joint development, and the review then opens again.
        raise InvalidTransition(
            f"Cannot accept change request {change.id}: the answers of proposal {proposal.id} "
            "are frozen during the review. Decline it, or a data coordinator or reviewer "
            "returns the proposal to joint development, where it can be accepted.",
            lifecycle=PROPOSAL.name,
            state=proposal.state,
            verb="accept_change",
        )
    if accept:
        save_answers(
            session,
            actor,
            proposal.id,
            {change.question: change.proposed},
            base_version=proposal.version,
            note=f"Change request {change.id} accepted",
        )
    CHANGE.set_state(change, CHANGE.move(verb).target)
    CHANGE.record(session, change.id, verb, ChangeState.OPEN, actor.username, note)
    change.decided_by, change.decided_at, change.decision_note = (
        actor.username,
        utcnow(),
        note.strip(),
    )
    audit.record(
        session,
        actor,
        f"proposal.change_{verb}",
        "proposal",
        proposal.id,
        before={"change": change.id, "status": "open"},
        after={"change": change.id, "status": change.status},
    )
    return change


# --- opinions and concerns --------------------------------------------------------------------


def _area(actor: Actor, area: str | None) -> str:
    mine = sorted({AREA_OF_ROLE[r] for r in actor.roles if r in AREA_OF_ROLE})
    if area is None and len(mine) == 1:
        return mine[0]
    if area not in mine:
        raise ValidationFailed(
            [Problem("area", f"You register opinions for: {', '.join(mine) or 'no area'}.")]
        )
    return area


def register_opinion(
    session: Session, actor: Actor, proposal_id: int, text: str, *, area: str | None = None
) -> Opinion:
    """The department's registered opinion in the actor's area; registering again replaces it."""
    proposal = load(session, actor, proposal_id, lock=True)
    check(actor, Action.REGISTER_OPINIONS, proposal)
    require_state(proposal, REVIEWED, "register an opinion")
    area = _area(actor, area)
    text = _text(text, "text", "opinion")
    assert actor.department_id is not None
    name = _full_name(session, actor)
    opinion = session.scalar(
        select(Opinion).where(
            Opinion.proposal_id == proposal.id,
            Opinion.department_id == actor.department_id,
            Opinion.area == area,
        )
    )
    if opinion is None:
        opinion = Opinion(proposal_id=proposal.id, department_id=actor.department_id, area=area)
        session.add(opinion)
    opinion.text, opinion.author, opinion.author_name, opinion.at = (
        text,
        actor.username,
        name,
        utcnow(),
    )
    session.flush()
    audit.record(
        session,
        actor,
        "proposal.opinion",
        "proposal",
        proposal.id,
        after={"opinion": opinion.id, "area": area, "text": "[restricted]"},
    )
    return opinion


def opinions(session: Session, actor: Actor, proposal: Proposal) -> list[Opinion]:
    """The registered opinions the actor may read (by area)."""
    areas = readable_areas(actor, proposal)
    return list(
        session.scalars(
            select(Opinion)
            .where(Opinion.proposal_id == proposal.id, Opinion.area.in_(areas))
            .order_by(Opinion.area, Opinion.department_id)
        )
    )


def raise_concern(
    session: Session, actor: Actor, proposal_id: int, text: str, *, area: str | None = None
) -> Concern:
    proposal = load(session, actor, proposal_id)
    check(actor, Action.REGISTER_OPINIONS, proposal)
    require_state(proposal, REVIEWED, "raise a concern")
    assert actor.department_id is not None
    concern = Concern(
        proposal_id=proposal.id,
        department_id=actor.department_id,
        area=_area(actor, area),
        text=_text(text, "text", "concern"),
        raised_by=actor.username,
    )
    session.add(concern)
    session.flush()
    audit.record(
        session,
        actor,
        "proposal.concern",
        "proposal",
        proposal.id,
        after={"concern": concern.id, "area": concern.area},
    )
    return concern


def concerns(session: Session, proposal: Proposal) -> list[Concern]:
    """Concerns are questions for the parties, so every party reads them (the opinion behind
    one stays restricted)."""
    return list(
        session.scalars(
            select(Concern).where(Concern.proposal_id == proposal.id).order_by(Concern.id)
        )
    )


def _concern(session: Session, proposal: Proposal, concern_id: int) -> Concern:
    found = session.get(Concern, concern_id)
    if found is None or found.proposal_id != proposal.id:
        raise NotFound(f"No concern {concern_id} on proposal {proposal.id}.")
    return found


def answer_concern(
    session: Session, actor: Actor, proposal_id: int, concern_id: int, answer: str
) -> Concern:
    proposal = load(session, actor, proposal_id)
    check(actor, Action.COMMENT_PROPOSALS, proposal)
    require_state(proposal, REVIEWED, "answer a concern")
    concern = _concern(session, proposal, concern_id)
    if not concern.is_open:
        raise ValidationFailed([Problem("concern", "This concern is already resolved.")])
    concern.answer, concern.answered_by = _text(answer, "answer", "answer"), actor.username
    audit.record(
        session,
        actor,
        "proposal.concern_answer",
        "proposal",
        proposal.id,
        after={"concern": concern.id},
    )
    return concern


def resolve_concern(
    session: Session, actor: Actor, proposal_id: int, concern_id: int, note: str = ""
) -> Concern:
    """Only a reviewer of the same department and area as the one who raised it resolves it."""
    proposal = load(session, actor, proposal_id, lock=True)
    check(actor, Action.REGISTER_OPINIONS, proposal)
    concern = _concern(session, proposal, concern_id)
    if actor.department_id != concern.department_id or concern.area not in {
        AREA_OF_ROLE[r] for r in actor.roles if r in AREA_OF_ROLE
    }:
        raise ValidationFailed(
            [
                Problem(
                    "concern",
                    f"Only a {concern.area} reviewer of the department that raised it resolves it.",
                )
            ]
        )
    if not concern.is_open:
        return concern
    concern.resolved_by, concern.resolved_at = actor.username, utcnow()
    if note.strip():
        concern.answer = concern.answer or note.strip()[:MAX_TEXT]
    audit.record(
        session,
        actor,
        "proposal.concern_resolve",
        "proposal",
        proposal.id,
        after={"concern": concern.id},
    )
    return concern


# --- signatures and final reviews -------------------------------------------------------------


def signatures(session: Session, proposal: Proposal) -> list[Signature]:
    return list(
        session.scalars(
            select(Signature).where(Signature.proposal_id == proposal.id).order_by(Signature.id)
        )
    )


def _sign(
    session: Session, actor: Actor, proposal: Proposal, kind: str, title: str, attestation: str
) -> Signature:
    assert actor.department_id is not None
    already = session.scalar(
        select(Signature).where(
            Signature.proposal_id == proposal.id,
            Signature.department_id == actor.department_id,
            Signature.kind == kind,
        )
    )
    if already is not None:
        raise ValidationFailed(
            [Problem("signature", f"Your department has already done this ({already.name}).")]
        )
    signature = Signature(
        proposal_id=proposal.id,
        department_id=actor.department_id,
        kind=kind,
        user_id=actor.user_id,
        name=_full_name(session, actor),
        title=title.strip()[:200],
        attestation=attestation,
    )
    session.add(signature)
    session.flush()
    audit.record(
        session,
        actor,
        f"proposal.{kind}",
        "proposal",
        proposal.id,
        after={"department": actor.department_id, "name": signature.name, "title": signature.title},
    )
    return signature


def _all_done(session: Session, proposal: Proposal, kind: str) -> bool:
    done = {s.department_id for s in signatures(session, proposal) if s.kind == kind}
    return set(proposal.departments()) <= done


def sign(
    session: Session, actor: Actor, proposal_id: int, *, title: str, attest: bool
) -> Signature:
    """An executive sponsor signs for their department after reading every registered opinion;
    the last department's signature sends the proposal to the final reviews."""
    proposal = load(session, actor, proposal_id, lock=True)
    check(actor, Action.SIGN_PROPOSALS, proposal)
    require_state(proposal, frozenset({ProposalState.AWAITING_SIGNATURES}), "sign")
    problems = []
    if not attest:
        problems.append(Problem("attest", "Confirm that you have read every registered opinion."))
    if not title.strip():
        problems.append(
            Problem("title", f"Give your title ({PATHS[proposal.path].sponsor_title}).")
        )
    if problems:
        raise ValidationFailed(problems)
    signature = _sign(session, actor, proposal, "sponsor", title, ATTESTATION)
    if _all_done(session, proposal, "sponsor"):
        system_move(session, proposal, actor, "signed", "Every executive sponsor has signed")
    return signature


def final_review(
    session: Session,
    actor: Actor,
    proposal_id: int,
    *,
    title: str = "Data coordinator",
    confirm: bool,
) -> Signature:
    """A data coordinator's final review; the last one approves the proposal and creates the
    agreement record."""
    proposal = load(session, actor, proposal_id, lock=True)
    check(actor, Action.FINAL_REVIEW, proposal)
    require_state(
        proposal, frozenset({ProposalState.AWAITING_DC_FINAL_REVIEW}), "confirm the final review"
    )
    if not confirm:
        raise ValidationFailed([Problem("confirm", "Confirm the final review.")])
    signature = _sign(
        session, actor, proposal, "final_review", title or "Data coordinator", FINAL_REVIEW
    )
    if _all_done(session, proposal, "final_review"):
        system_move(session, proposal, actor, "approve", "Every data coordinator confirmed")
        create_agreement(session, actor, proposal)
    return signature
