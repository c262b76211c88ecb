"""What the proposal pages show, built from the services' views: the form's questions with
their answers (or the words "Restricted: visible to …"), comment threads, the forms this person
is offered, and the audit entry every view of restricted content writes.

The services decide what may be done; the ``Offers`` here only decide which forms a page shows,
so that nobody is offered a button the service would refuse. A refused post still shows the
service's own reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.permissions import Action, Relation, can
from accord.auth.roles import ROLE_LABELS, Role
from accord.db.engine import transaction
from accord.proposals.access import readable, record_reads
from accord.proposals.form import (
    AREA_LABELS,
    AREA_OF_ROLE,
    BY_KEY,
    PATHS,
    RESTRICTED_READERS,
    SECTIONS,
    TECHNICAL,
    Kind,
    Question,
    Side,
    Step,
    questions_for,
)
from accord.proposals.models import Proposal, ProposalComment
from accord.proposals.overview import Overview
from accord.proposals.reviews import DISCUSSED, REVIEWED
from accord.proposals.states import EDITABLE, PROPOSAL, VERB_LABELS, ProposalState
from accord.web.deps import get_settings

REQUIRED_WORDS = {
    Step.SEND: "Required before sending",
    Step.REVIEW: "Required before the review",
    Step.SIGN: "Required before signing",
    Step.DISPUTE: "Disputed only: answered if the provider disputes the proposal",
}
SIDE_WORDS = {
    Side.RECIPIENT: "The requesting department answers",
    Side.PROVIDER: "The providing department answers",
    Side.BOTH: "Both departments answer",
}
NEXT_STEP_WORDS = {
    Step.SEND.value: "Before it can be sent to the provider",
    Step.REVIEW.value: "Before the review can open",
    Step.SIGN.value: "Before the executive sponsors can be asked to sign",
}
SIDE_LABELS = {"provider": "Provides the data", "recipient": "Requests the data"}
KIND_LABELS = {"sponsor": "Executive sponsor", "final_review": "Data coordinator final review"}


def state_words(path: str, state: str) -> str:
    """A state in the words of the proposal's governance path."""
    known = ProposalState(state)
    return PATHS[path].label(f"state:{known.value}", known.label)


READER_WORDS = {Role.LEGAL: "legal representative"}


def restricted_readers(question: Question | None = None) -> str:
    """Who may read restricted content, in words, from the form's own table of readers."""
    roles = [
        READER_WORDS.get(r, ROLE_LABELS[r].lower()) + "s" for r in Role if r in RESTRICTED_READERS
    ]
    extra = ["the providing department's data stewards", "the person who wrote it"]
    if question is not None and question.section == TECHNICAL:
        extra.append("data engineers")
    return (
        "Restricted: visible only to the "
        + ", ".join(roles[:-1])
        + f" and {roles[-1]} of the departments party to it, "
        + ", ".join(extra[:-1])
        + f" and {extra[-1]}."
    )


FIELD_LABELS = {
    "note": "Reason",
    "attest": "Attestation",
    "confirm": "Confirmation",
    "title": "Your title",
    "body": "Comment",
    "text": "Text",
    "answer": "Answer",
    "question": "Question",
    "parent_id": "Reply",
    "elements": "Requested fields",
    "justification": "Why the use needs it",
    "basket": "Basket",
    "path": "Governance path",
    "department": "Department",
    "recipients": "Recipients",
    "verb": "Move",
    "area": "Area",
    "concern": "Concern",
    "signature": "Signature",
    "base_version": "Version",
    "file": "File",
    "opinion_id": "Add it to",
}


def problem_label(key: str) -> str:
    """The words for the part of a form a problem is about ("" for the form as a whole)."""
    if key in BY_KEY:
        return BY_KEY[key].label
    if key.startswith("authority:"):
        return "Legal authority for " + key.partition(":")[2]
    return FIELD_LABELS.get(key, key)


def requirement(question: Question) -> str:
    return REQUIRED_WORDS[question.required_at] if question.required_at else "Optional"


# --- the form's questions with their answers -------------------------------------------------


@dataclass
class Thread:
    comment: ProposalComment
    replies: list[Thread] = field(default_factory=list)

    @property
    def size(self) -> int:
        return 1 + sum(r.size for r in self.replies)


def threads(comments: list[ProposalComment]) -> dict[str, list[Thread]]:
    """Comments as threads, by question ("" for the proposal as a whole), oldest first."""
    nodes = {c.id: Thread(c) for c in comments}
    roots: dict[str, list[Thread]] = {}
    for c in comments:
        parent = nodes.get(c.parent_id) if c.parent_id is not None else None
        if parent is not None:
            parent.replies.append(nodes[c.id])
        else:
            roots.setdefault(c.question, []).append(nodes[c.id])
    return roots


@dataclass(frozen=True)
class AnswerRow:
    key: str
    label: str
    question: Question
    requirement: str
    side: str
    readable: bool
    answer: str  # as people read it (a choice's words); "" when unanswered or not readable
    raw: str  # as stored (for forms)
    hidden: bool  # answered, but restricted from this person
    readers: str  # "Restricted: visible to …" for restricted questions, else ""
    threads: list[Thread]

    @property
    def comment_count(self) -> int:
        return sum(t.size for t in self.threads)


def shown_answer(question: Question, value: str) -> str:
    if question.kind is Kind.CHOICE:
        return dict(question.choices).get(value, value)
    return value


def answer_sections(
    view: Overview, actor: Actor, by_question: dict[str, list[Thread]] | None = None
) -> list[tuple[str, list[AnswerRow]]]:
    """The form's sections in order, each with its questions as this person may see them."""
    proposal, path = view.proposal, view.path
    by_question = by_question or {}
    hidden = set(view.hidden)
    rows: dict[str, list[AnswerRow]] = {s: [] for s in SECTIONS}
    for q in questions_for(proposal.path):
        may_read = readable(actor, proposal, q.key)
        raw = str(view.answers.get(q.key, "")) if may_read else ""
        rows[q.section].append(
            AnswerRow(
                key=q.key,
                label=path.label(q.key, q.label),
                question=q,
                requirement=requirement(q),
                side=SIDE_WORDS[q.side],
                readable=may_read,
                answer=shown_answer(q, raw),
                raw=raw,
                hidden=q.key in hidden,
                readers=restricted_readers(q) if q.restricted else "",
                threads=by_question.get(q.key, []) if may_read else [],
            )
        )
    return [(s, rows[s]) for s in SECTIONS]


def audit_reads(
    request: Request, session: Session, actor: Actor, proposal_id: int, what: list[str]
) -> None:
    """Write that this response shows restricted content, before it is sent. A GET's own
    session is read-only, so the entry gets a transaction of its own; a POST that shows the
    page again writes it in the request's (on SQLite a second writer would wait for it)."""
    if not what:
        return
    if request.method == "GET":
        with transaction(get_settings(request)) as own:
            record_reads(own, actor, proposal_id, what)
    else:
        record_reads(session, actor, proposal_id, what)


# --- the forms this person is offered ---------------------------------------------------------


@dataclass(frozen=True)
class Offers:
    """Which forms the proposal page shows this person now (the services still decide)."""

    edit: bool  # answer the questions
    fields: bool  # take requested fields out or back, answer marks, state legal authority
    mark: bool  # mark a field as not needed (minimum necessary)
    comment: bool
    change: bool  # propose a change for the other side to decide
    decidable: frozenset[int]  # change requests this person may decline
    acceptable: frozenset[int]  # ... and accept: only in joint development (answers change)
    opinion_areas: tuple[str, ...]
    concern: bool  # answer concerns
    resolvable: frozenset[int]  # concerns this person may resolve
    sign: bool
    final_review: bool
    attach: bool  # add a file to the proposal
    attach_to: tuple[int, ...] = ()  # registered opinions this person may add a file to

    @property
    def anything(self) -> bool:
        return any(
            (self.edit, self.fields, self.mark, self.comment, self.change, self.sign)
        ) or bool(self.decidable or self.opinion_areas or self.resolvable or self.final_review)


def may_edit(proposal: Proposal, actor: Actor) -> bool:
    """As ``drafting`` decides: both sides in joint development, the recipient in the draft."""
    state = ProposalState(proposal.state)
    relations = proposal.relations_to(actor)
    return (
        can(actor, Action.EDIT_PROPOSALS, proposal)
        and state in EDITABLE
        and (state is not ProposalState.DRAFT or Relation.RECIPIENT in relations)
    )


def offers(view: Overview, actor: Actor) -> Offers:
    proposal, state = view.proposal, view.state
    editable = may_edit(proposal, actor)
    reviewed = state in REVIEWED
    mine = tuple(sorted({AREA_OF_ROLE[r] for r in actor.roles if r in AREA_OF_ROLE}))
    done = {(s.department_id, s.kind) for s in view.signatures}
    dept = actor.department_id
    may_decide = can(actor, Action.DECIDE_CHANGES, proposal)
    may_review = can(actor, Action.REGISTER_OPINIONS, proposal)
    decidable = frozenset(
        c.id
        for c in view.changes
        if may_decide and reviewed and c.status == "open" and c.department_id != dept
    )
    return Offers(
        edit=editable,
        fields=editable and can(actor, Action.SEND_PROPOSALS, proposal),
        mark=can(actor, Action.MARK_MINIMUM_NECESSARY, proposal)
        and state in {ProposalState.SENT_TO_PROVIDER, ProposalState.IN_JOINT_DEVELOPMENT},
        comment=can(actor, Action.COMMENT_PROPOSALS, proposal) and state in DISCUSSED,
        change=can(actor, Action.EDIT_PROPOSALS, proposal) and reviewed,
        decidable=decidable,
        acceptable=decidable if state is ProposalState.IN_JOINT_DEVELOPMENT else frozenset(),
        opinion_areas=mine if may_review and reviewed else (),
        concern=can(actor, Action.COMMENT_PROPOSALS, proposal) and reviewed,
        resolvable=frozenset(
            c.id
            for c in view.concerns
            if may_review and c.is_open and c.department_id == dept and c.area in mine
        ),
        sign=can(actor, Action.SIGN_PROPOSALS, proposal)
        and state is ProposalState.AWAITING_SIGNATURES
        and (dept, "sponsor") not in done,
        final_review=can(actor, Action.FINAL_REVIEW, proposal)
        and state is ProposalState.AWAITING_DC_FINAL_REVIEW
        and (dept, "final_review") not in done,
        # as attachments.add_attachment decides: a commenter while the proposal is discussed,
        # to an opinion only of their own department and area
        attach=can(actor, Action.COMMENT_PROPOSALS, proposal) and state in DISCUSSED,
        attach_to=tuple(
            o.id
            for o in view.opinions
            if may_review and state in DISCUSSED and o.department_id == dept and o.area in mine
        ),
    )


# --- what waits, in words ----------------------------------------------------------------------


def waiting_for(view: Overview) -> list[str]:
    """What else keeps the proposal where it is: open change requests, unanswered marks,
    missing opinions, open concerns (the lifecycle's guards, said plainly)."""
    found = []
    open_changes = [c for c in view.changes if c.status == "open"]
    if open_changes:
        found.append(
            _count(len(open_changes), "change request waits", "change requests wait")
            + " for a decision."
        )
    marks = [e for e in view.elements if not e.removed and e.not_needed and not e.justification]
    if marks:
        names = ", ".join(f"{e.dataset_name}.{e.field_name}" for e in marks[:5])
        more = f" and {len(marks) - 5} more" if len(marks) > 5 else ""
        # the requester answers marks in joint development; the provider may mark earlier
        when = (
            " once joint development begins"
            if view.state is ProposalState.SENT_TO_PROVIDER
            else ""
        )
        found.append(
            "The requesting department has not answered the provider's minimum-necessary "
            f"mark{'s' if len(marks) > 1 else ''} on {names}{more}: it takes the field out or "
            f"says why the use needs it{when}."
        )
    if view.state is ProposalState.IN_REVIEW:
        found += missing_opinions_words(view)
    open_concerns = [c for c in view.concerns if c.is_open]
    if open_concerns:
        found.append(_count(len(open_concerns), "concern is", "concerns are") + " still open.")
    if view.state is ProposalState.AWAITING_SIGNATURES:
        signed = {s.department_id for s in view.signatures if s.kind == "sponsor"}
        found += [
            f"{p.name}: the executive sponsor has not signed yet."
            for p in view.parties
            if p.department_id not in signed
        ]
    if view.state is ProposalState.AWAITING_DC_FINAL_REVIEW:
        reviewed = {s.department_id for s in view.signatures if s.kind == "final_review"}
        found += [
            f"{p.name}: the data coordinator has not confirmed the final review yet."
            for p in view.parties
            if p.department_id not in reviewed
        ]
    return found


MOVE_HINTS = {
    "send": "The provider's data coordinator receives it; nobody can change it until joint "
    "development begins.",
    "begin_development": "Both departments can then change the answers and fields together.",
    "start_review": "The answers are frozen while the legal, privacy and security "
    "representatives review them.",
    "return_to_development": "Opens the proposal for changes again; the review starts again "
    "afterwards.",
    "request_signatures": "Each department's executive sponsor is asked to sign.",
}
S = ProposalState
STAGE_WORDS = {
    S.DRAFT: "The requesting department is drafting the proposal. The provider can read it, "
    "and acts on it once it is sent.",
    S.SENT_TO_PROVIDER: "The provider has received the proposal. Its data coordinator, a data "
    "steward or the program owner begins joint development.",
    S.IN_JOINT_DEVELOPMENT: "Both departments complete the proposal together. The provider's "
    "data coordinator then opens the review.",
    S.IN_REVIEW: "Each department's legal, privacy and security representatives register "
    "their opinions; concerns are answered and resolved.",
    S.AWAITING_SIGNATURES: "Each department's executive sponsor signs after reading the "
    "registered opinions.",
    S.AWAITING_DC_FINAL_REVIEW: "Each department's data coordinator confirms the final review.",
    S.APPROVED: "Approved: the agreement record below says what may be shared. Next, the "
    "{side}'s data coordinator files it with {filed_with}.",
    S.FILED: "Filed. Data may be exchanged as the agreement record says.",
    S.WITHDRAWN: "The requesting department withdrew this proposal. Nothing more happens on it.",
    S.DENIED: "The proposal was declined. A new proposal may be started.",
}


def stage_words(view: Overview) -> str:
    """The state in one plain sentence: what it means and who acts next."""
    words = STAGE_WORDS.get(view.state, f"The proposal is {view.state_label.lower()}.")
    return words.format(side=view.path.filed_by.value, filed_with=view.path.filed_with)


def missing_opinions_words(view: Overview) -> list[str]:
    """The registered opinions the path still needs, one sentence per department."""
    missing: dict[int, list[str]] = {}
    for dept_id, area in view.missing_opinions:
        missing.setdefault(dept_id, []).append(AREA_LABELS[area].lower())
    found = []
    for dept_id, areas in missing.items():
        party = view.department(dept_id)
        who = party.name if party else f"Department {dept_id}"
        listed = ", ".join(areas[:-1]) + (" and " if len(areas) > 1 else "") + areas[-1]
        plural = "s are" if len(areas) > 1 else " is"
        found.append(f"{who}: the {listed} opinion{plural} not registered yet.")
    return found


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def move_labels() -> dict[str, str]:
    return {t.verb: VERB_LABELS.get(t.verb, t.verb) for t in PROPOSAL.transitions}
