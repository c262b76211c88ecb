"""The proposal's lifecycle (BUCP.md §2.5), declared as data.

The states after ``filed`` (fulfillment, amendments, disposal) and the dispute states are
declared so that records and reports can name them; their transitions arrive with the
fulfillment and dispute work. Signing and the final reviews are acts of each department
within a state: when the last department has acted, Accord itself makes the move.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.db.base import utcnow
from accord.lifecycle import Lifecycle, Transition
from accord.proposals.form import PATHS
from accord.proposals.models import ChangeRequest, Concern, Opinion, Proposal, ProposalElement
from accord.proposals.state_names import ProposalState as ProposalState  # re-exported

OPEN_STATES = frozenset(
    {
        ProposalState.DRAFT,
        ProposalState.SENT_TO_PROVIDER,
        ProposalState.IN_JOINT_DEVELOPMENT,
        ProposalState.IN_REVIEW,
    }
)
EDITABLE = frozenset({ProposalState.DRAFT, ProposalState.IN_JOINT_DEVELOPMENT})
# an agreement in one of these may be fulfilled and delivered against
DELIVERABLE = frozenset(
    {ProposalState.FILED, ProposalState.IN_FULFILLMENT, ProposalState.ACTIVE}
)


def state_label(proposal: Proposal) -> str:
    """The state in the words of the proposal's governance path."""
    state = ProposalState(proposal.state)
    return PATHS[proposal.path].label(f"state:{state.value}", state.label)


def _set_state(proposal: Proposal, state: ProposalState) -> None:
    proposal.state, proposal.state_since = state.value, utcnow()


def _open_changes(proposal: Proposal, _actor: Actor) -> str | None:
    session = object_session(proposal)
    assert session is not None
    n = session.scalar(
        select(func.count())
        .select_from(ChangeRequest)
        .where(ChangeRequest.proposal_id == proposal.id, ChangeRequest.status == "open")
    )
    return f"{n} change request(s) wait for an answer" if n else None


def _unanswered_marks(proposal: Proposal, _actor: Actor) -> str | None:
    session = object_session(proposal)
    assert session is not None
    names = session.scalars(
        select(ProposalElement.dataset_name + "." + ProposalElement.field_name).where(
            ProposalElement.proposal_id == proposal.id,
            ProposalElement.removed.is_(False),
            ProposalElement.not_needed != "",
            ProposalElement.justification == "",
        )
    ).all()
    if names:
        return (
            "the requester has not answered the minimum-necessary marks on "
            + ", ".join(names[:5])
            + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        )
    return None


def _open_concerns(proposal: Proposal, _actor: Actor) -> str | None:
    session = object_session(proposal)
    assert session is not None
    n = session.scalar(
        select(func.count())
        .select_from(Concern)
        .where(Concern.proposal_id == proposal.id, Concern.resolved_at.is_(None))
    )
    return f"{n} concern(s) are still open" if n else None


def missing_opinions(proposal: Proposal) -> list[tuple[int, str]]:
    """(department, area) pairs whose registered opinion the path requires and that are absent."""
    session = object_session(proposal)
    assert session is not None
    have = set(
        session.execute(
            select(Opinion.department_id, Opinion.area).where(Opinion.proposal_id == proposal.id)
        )
    )
    return [
        (dept, area)
        for dept in proposal.departments()
        for area in PATHS[proposal.path].required_opinions
        if (dept, area) not in have
    ]


def _opinions_registered(proposal: Proposal, _actor: Actor) -> str | None:
    gaps = missing_opinions(proposal)
    return f"{len(gaps)} registered opinion(s) are missing" if gaps else None


def _files_by_path(proposal: Proposal, actor: Actor) -> str | None:
    path = PATHS[proposal.path]
    if proposal.side_of(actor.department_id) != path.filed_by.value:
        return f"under {path.name} the {path.filed_by.value}'s data coordinator files it"
    return None


S = ProposalState
PROPOSAL = Lifecycle[ProposalState, Proposal](
    name="proposal",
    states=ProposalState,
    transitions=(
        Transition("send", frozenset({S.DRAFT}), S.SENT_TO_PROVIDER, Action.SEND_PROPOSALS),
        Transition(
            "begin_development",
            frozenset({S.SENT_TO_PROVIDER}),
            S.IN_JOINT_DEVELOPMENT,
            Action.DEVELOP_PROPOSALS,
        ),
        Transition(
            "start_review",
            frozenset({S.IN_JOINT_DEVELOPMENT}),
            S.IN_REVIEW,
            Action.START_REVIEW,
            (_open_changes, _unanswered_marks),
        ),
        Transition(
            "return_to_development",
            frozenset({S.IN_REVIEW}),
            S.IN_JOINT_DEVELOPMENT,
            Action.RETURN_TO_DEVELOPMENT,
        ),
        Transition(
            "request_signatures",
            frozenset({S.IN_REVIEW}),
            S.AWAITING_SIGNATURES,
            Action.REQUEST_SIGNATURES,
            (_open_changes, _opinions_registered, _open_concerns),
        ),
        Transition("signed", frozenset({S.AWAITING_SIGNATURES}), S.AWAITING_DC_FINAL_REVIEW, None),
        Transition(
            "decline", frozenset({S.AWAITING_SIGNATURES}), S.DENIED, Action.DECLINE_PROPOSALS
        ),
        Transition("approve", frozenset({S.AWAITING_DC_FINAL_REVIEW}), S.APPROVED, None),
        Transition(
            "file", frozenset({S.APPROVED}), S.FILED, Action.FILE_PROPOSALS, (_files_by_path,)
        ),
        Transition("withdraw", OPEN_STATES, S.WITHDRAWN, Action.WITHDRAW_PROPOSALS),
        # fulfillment: Accord moves the agreement on as packages are made and delivered
        Transition("begin_fulfillment", frozenset({S.FILED}), S.IN_FULFILLMENT, None),
        Transition("deliver", frozenset({S.IN_FULFILLMENT}), S.ACTIVE, None),
        Transition("suspend", DELIVERABLE, S.SUSPENDED, Action.SUSPEND_AGREEMENTS),
        Transition("resume", frozenset({S.SUSPENDED}), S.ACTIVE, Action.SUSPEND_AGREEMENTS),
        Transition(
            "terminate", DELIVERABLE | {S.SUSPENDED}, S.TERMINATED, Action.SUSPEND_AGREEMENTS
        ),
        Transition("expire", DELIVERABLE | {S.SUSPENDED}, S.EXPIRED, None),
    ),
    state_of=lambda p: ProposalState(p.state),
    set_state=_set_state,
    key_of=lambda p: p.id,
    title_of=lambda p: f"proposal {p.id} ({p.title})",
)

VERB_LABELS = {
    "send": "Send to the provider",
    "begin_development": "Begin joint development",
    "start_review": "Open the review",
    "return_to_development": "Return to joint development",
    "request_signatures": "Ask the sponsors to sign",
    "decline": "Decline to sign",
    "file": "File the approved proposal",
    "withdraw": "Withdraw the proposal",
    "suspend": "Suspend deliveries",
    "resume": "Resume deliveries",
    "terminate": "Terminate the agreement",
}


def system_move(session: Session, proposal: Proposal, actor: Actor, verb: str, note: str) -> None:
    """A move Accord makes itself (the last department acted, a package was delivered),
    recorded as the act of the person whose act caused it."""
    state = ProposalState(proposal.state)
    PROPOSAL.set_state(proposal, PROPOSAL.move(verb).target)
    PROPOSAL.record(session, proposal.id, verb, state, actor.username, note)
    audit.record(
        session,
        actor,
        f"proposal.{verb}",
        "proposal",
        proposal.id,
        before={"state": state.value},
        after={"state": proposal.state},
    )
