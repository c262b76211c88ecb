"""Proposals (BUCP) under /api/v1: the basket, drafting, joint development, reviews,
signatures, the agreement record and the public-records release; the same services as the
pages and the CLI.

A department that is no party to a proposal gets 404 from every route that names it (the
services' ``load``). Each route's guard is the role part of its action; the services check the
rest, relation included. Lifecycle moves are guarded by viewing alone because each verb needs
its own action, which the lifecycle checks.

Restricted content (answers, registered opinions, discussion of restricted questions) read by
a GET is written to the audit log before the response leaves, in a write transaction of its
own (the request's is read-only). A write answers with what the caller wrote, or with where
the proposal now stands, never with restricted text someone else wrote.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Depends, Query, Request
from pydantic import Field
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.db.engine import transaction
from accord.proposals import basket, drafting, reviews
from accord.proposals.access import load, record_reads
from accord.proposals.agreements import agreement_of, get_agreement
from accord.proposals.basket import MAX_ITEMS
from accord.proposals.form import BY_KEY
from accord.proposals.models import Proposal, Signature
from accord.proposals.overview import discussion_reads, overview
from accord.proposals.records import public_record
from accord.proposals.states import PROPOSAL, ProposalState, state_label
from accord.proposals.work import TASK_LABELS, list_proposals, my_work
from accord.web.api.routing import api_router
from accord.web.api.schemas.proposals import (
    AnswerChangePublic,
    AuthorityPublic,
    AuthorityUpdate,
    BasketAdd,
    BasketLinePublic,
    BasketPublic,
    ChangeCreate,
    ChangeDecided,
    ChangeDecision,
    ChangePublic,
    CommentCreate,
    CommentPublic,
    ConcernAnswer,
    ConcernCreate,
    ConcernPublic,
    ConcernResolve,
    DiffPublic,
    ElementChange,
    ElementPublic,
    FinalReviewCreate,
    Move,
    OpinionCreate,
    OpinionPublic,
    ProposalCreate,
    ProposalListItem,
    ProposalPage,
    ProposalPublic,
    ProposalRef,
    ProposalUpdate,
    SignatureCreate,
    SignaturePublic,
    Signed,
    TransitionCreate,
    VersionPublic,
)
from accord.web.api.schemas.records import AgreementPublic, PublicRecord, TaskGroup, TaskPublic
from accord.web.deps import MAX_ID, DbSession, RowId, get_settings, require

router = api_router("proposals")

Viewer = Annotated[Actor, Depends(require(Action.VIEW_PROPOSALS))]
Drafter = Annotated[Actor, Depends(require(Action.DRAFT_PROPOSALS))]
Editor = Annotated[Actor, Depends(require(Action.EDIT_PROPOSALS))]
Commenter = Annotated[Actor, Depends(require(Action.COMMENT_PROPOSALS))]
Reviewer = Annotated[Actor, Depends(require(Action.REGISTER_OPINIONS))]
VersionNumber = Annotated[int, Query(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Field(ge=1, le=MAX_ID)]


def audit_reads(request: Request, actor: Actor, proposal_id: int, what: list[str]) -> None:
    """Record that the response about to be sent shows this restricted content."""
    if what:
        with transaction(get_settings(request)) as session:
            record_reads(session, actor, proposal_id, what)


def _ref(proposal: Proposal, actor: Actor) -> ProposalRef:
    return ProposalRef(
        id=proposal.id,
        title=proposal.title,
        state=proposal.state,
        state_label=state_label(proposal),
        version=proposal.version,
        updated_at=proposal.updated_at,
        moves=[Move.named(t.verb) for t in PROPOSAL.allowed(proposal, actor)],
    )


# --- basket -----------------------------------------------------------------------------------


def _basket(session: Session, actor: Actor, changed: int = 0) -> BasketPublic:
    items = [BasketLinePublic.model_validate(line) for line in basket.basket(session, actor)]
    return BasketPublic(changed=changed, items=items)


@router.get("/basket")
def api_basket(session: DbSession, actor: Drafter) -> BasketPublic:
    """The fields the caller has picked in the catalog for their next proposal."""
    return _basket(session, actor)


@router.post("/basket")
def api_add_to_basket(body: BasketAdd, session: DbSession, actor: Drafter) -> BasketPublic:
    added = basket.add_to_basket(
        session, actor, dataset_id=body.dataset_id, field_ids=body.field_ids
    )
    return _basket(session, actor, added)


@router.delete("/basket")
def api_remove_from_basket(
    session: DbSession,
    actor: Drafter,
    field_id: Annotated[
        list[QueryId] | None,
        Query(max_length=MAX_ITEMS, description="Remove these fields; none empties the basket."),
    ] = None,
) -> BasketPublic:
    removed = basket.remove_from_basket(session, actor, field_id)
    return _basket(session, actor, removed)


# --- proposals --------------------------------------------------------------------------------


@router.post("/proposals", status_code=201)
def api_start_proposal(body: ProposalCreate, session: DbSession, actor: Drafter) -> ProposalRef:
    """A new draft asking for the fields in the caller's basket, which it empties."""
    proposal = drafting.start_proposal(session, actor, **body.model_dump())
    return _ref(proposal, actor)


@router.get("/proposals")
def api_proposals(
    session: DbSession,
    actor: Viewer,
    state: ProposalState | None = None,
    side: Literal["provider", "recipient"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> ProposalPage:
    """The proposals the caller's department is party to, newest first."""
    rows, total = list_proposals(
        session,
        actor,
        state=state.value if state else None,
        side=side,
        limit=limit,
        offset=offset,
    )
    items = [ProposalListItem.model_validate(r) for r in rows]
    return ProposalPage(total=total, limit=limit, offset=offset, items=items)


@router.get("/proposals/{proposal_id}")
def api_proposal(
    proposal_id: RowId, request: Request, session: DbSession, actor: Viewer
) -> ProposalPublic:
    """The proposal as the caller may see it; restricted content shown is audited."""
    seen = overview(session, actor, proposal_id)
    audit_reads(request, actor, proposal_id, seen.restricted_shown)
    return ProposalPublic.of(seen)


@router.patch("/proposals/{proposal_id}")
def api_save_answers(
    proposal_id: RowId, body: ProposalUpdate, session: DbSession, actor: Editor
) -> ProposalRef:
    """Answer questions as a new version. 409 if ``base_version`` is not the latest (the
    message names what changed since); 422 listing every problem."""
    proposal = drafting.save_answers(
        session, actor, proposal_id, body.answers, base_version=body.base_version, note=body.note
    )
    return _ref(proposal, actor)


@router.post("/proposals/{proposal_id}/transitions")
def api_transition(
    proposal_id: RowId, body: TransitionCreate, session: DbSession, actor: Viewer
) -> ProposalRef:
    """One lifecycle move; 409 ``invalid_transition`` (with lifecycle, state and verb) when it
    cannot be made now, 422 listing every answer the step still needs."""
    proposal = drafting.transition(session, actor, proposal_id, body.verb, body.note)
    return _ref(proposal, actor)


@router.get("/proposals/{proposal_id}/versions")
def api_versions(proposal_id: RowId, session: DbSession, actor: Viewer) -> list[VersionPublic]:
    return [VersionPublic.model_validate(v) for v in drafting.versions(session, actor, proposal_id)]


@router.get("/proposals/{proposal_id}/diff")
def api_diff(
    proposal_id: RowId,
    request: Request,
    session: DbSession,
    actor: Viewer,
    a: VersionNumber,
    b: VersionNumber,
) -> DiffPublic:
    """Two versions question by question; restricted answers the caller may not read are
    named as changed, without their text."""
    changes, added, removed = drafting.diff(session, actor, proposal_id, a, b)
    shown = [c.key for c in changes if not c.restricted and c.key in BY_KEY]
    audit_reads(request, actor, proposal_id, [k for k in shown if BY_KEY[k].restricted])
    return DiffPublic(
        a=a,
        b=b,
        answers=[AnswerChangePublic.model_validate(c) for c in changes],
        fields_added=added,
        fields_removed=removed,
    )


@router.post("/proposals/{proposal_id}/elements/{element_id}")
def api_element(
    proposal_id: RowId, element_id: RowId, body: ElementChange, session: DbSession, actor: Editor
) -> ElementPublic:
    """Remove or restore a requested field (the recipient), mark it not needed (the
    provider), or justify it against such a mark (the recipient)."""
    if body.action in {"remove", "restore"}:
        removed = body.action == "remove"
        element = drafting.set_removed(session, actor, proposal_id, element_id, removed)
    elif body.action == "mark_not_needed":
        element = drafting.mark_not_needed(session, actor, proposal_id, element_id, body.text)
    else:
        element = drafting.justify(session, actor, proposal_id, element_id, body.text)
    gone = drafting.left_catalog(session, load(session, actor, proposal_id))
    return ElementPublic.of(element, element.field_id in gone)


@router.put("/proposals/{proposal_id}/authority")
def api_state_authority(
    proposal_id: RowId,
    body: AuthorityUpdate,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.SEND_PROPOSALS))],
) -> list[AuthorityPublic]:
    """The recipient's legal authority for each governing classification and statute."""
    drafting.state_authority(session, actor, proposal_id, body.statements)
    stated = drafting.authorities(session, load(session, actor, proposal_id))
    return [AuthorityPublic.model_validate(a) for a in stated.values()]


# --- discussion -------------------------------------------------------------------------------


@router.post("/proposals/{proposal_id}/comments", status_code=201)
def api_comment(
    proposal_id: RowId, body: CommentCreate, session: DbSession, actor: Commenter
) -> CommentPublic:
    comment = reviews.add_comment(
        session, actor, proposal_id, body.body, question=body.question, parent_id=body.parent_id
    )
    return CommentPublic.model_validate(comment)


@router.get("/proposals/{proposal_id}/comments")
def api_comments(
    proposal_id: RowId, request: Request, session: DbSession, actor: Viewer
) -> list[CommentPublic]:
    """The comments the caller may read; those on restricted questions only for readers."""
    found = reviews.comments(session, actor, load(session, actor, proposal_id))
    audit_reads(request, actor, proposal_id, discussion_reads(found, []))
    return [CommentPublic.model_validate(c) for c in found]


@router.post("/proposals/{proposal_id}/change-requests", status_code=201)
def api_request_change(
    proposal_id: RowId, body: ChangeCreate, session: DbSession, actor: Editor
) -> ChangePublic:
    """Propose a new answer to one question for the other department to decide."""
    change = reviews.request_change(
        session, actor, proposal_id, body.question, body.proposed, body.reason
    )
    return ChangePublic.model_validate(change)


@router.post("/proposals/{proposal_id}/change-requests/{change_id}/decide")
def api_decide_change(
    proposal_id: RowId,
    change_id: RowId,
    body: ChangeDecision,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.DECIDE_CHANGES))],
) -> ChangeDecided:
    """The other department accepts (the answer changes, as a new version) or declines."""
    change = reviews.decide_change(session, actor, proposal_id, change_id, body.accept, body.note)
    return ChangeDecided.model_validate(change)


# --- opinions and concerns --------------------------------------------------------------------


@router.post("/proposals/{proposal_id}/opinions", status_code=201)
def api_register_opinion(
    proposal_id: RowId, body: OpinionCreate, session: DbSession, actor: Reviewer
) -> OpinionPublic:
    """The department's registered opinion in the caller's area; again replaces it."""
    opinion = reviews.register_opinion(session, actor, proposal_id, body.text, area=body.area)
    return OpinionPublic.model_validate(opinion)


@router.get("/proposals/{proposal_id}/opinions")
def api_opinions(
    proposal_id: RowId, request: Request, session: DbSession, actor: Viewer
) -> list[OpinionPublic]:
    """The registered opinions the caller may read (restricted: each read is audited)."""
    found = reviews.opinions(session, actor, load(session, actor, proposal_id))
    audit_reads(request, actor, proposal_id, sorted({f"opinion:{o.area}" for o in found}))
    return [OpinionPublic.model_validate(o) for o in found]


@router.post("/proposals/{proposal_id}/concerns", status_code=201)
def api_raise_concern(
    proposal_id: RowId, body: ConcernCreate, session: DbSession, actor: Reviewer
) -> ConcernPublic:
    concern = reviews.raise_concern(session, actor, proposal_id, body.text, area=body.area)
    return ConcernPublic.model_validate(concern)


@router.post("/proposals/{proposal_id}/concerns/{concern_id}/answer")
def api_answer_concern(
    proposal_id: RowId,
    concern_id: RowId,
    body: ConcernAnswer,
    session: DbSession,
    actor: Commenter,
) -> ConcernPublic:
    concern = reviews.answer_concern(session, actor, proposal_id, concern_id, body.answer)
    return ConcernPublic.model_validate(concern)


@router.post("/proposals/{proposal_id}/concerns/{concern_id}/resolve")
def api_resolve_concern(
    proposal_id: RowId,
    concern_id: RowId,
    body: ConcernResolve,
    session: DbSession,
    actor: Reviewer,
) -> ConcernPublic:
    """Only a reviewer of the department and area that raised it resolves it."""
    concern = reviews.resolve_concern(session, actor, proposal_id, concern_id, body.note)
    return ConcernPublic.model_validate(concern)


# --- signatures -------------------------------------------------------------------------------


def _signed(session: Session, actor: Actor, proposal_id: int, signature: Signature) -> Signed:
    proposal = load(session, actor, proposal_id)
    agreement = agreement_of(session, actor, proposal)
    return Signed(
        signature=SignaturePublic.model_validate(signature),
        state=proposal.state,
        agreement_id=agreement.id if agreement else None,
    )


@router.post("/proposals/{proposal_id}/signatures", status_code=201)
def api_sign(
    proposal_id: RowId,
    body: SignatureCreate,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.SIGN_PROPOSALS))],
) -> Signed:
    """An executive sponsor signs for their department; the last one moves the proposal to
    the data coordinators' final review."""
    signature = reviews.sign(session, actor, proposal_id, title=body.title, attest=body.attest)
    return _signed(session, actor, proposal_id, signature)


@router.post("/proposals/{proposal_id}/final-review", status_code=201)
def api_final_review(
    proposal_id: RowId,
    body: FinalReviewCreate,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.FINAL_REVIEW))],
) -> Signed:
    """A data coordinator's final review; the last one approves the proposal and creates
    the agreement record."""
    signature = reviews.final_review(
        session, actor, proposal_id, title=body.title, confirm=body.confirm
    )
    return _signed(session, actor, proposal_id, signature)


# --- records ----------------------------------------------------------------------------------


@router.get("/proposals/{proposal_id}/public-record")
def api_public_record(proposal_id: RowId, request: Request, actor: Viewer) -> PublicRecord:
    """The release under the Public Records Act: restricted content is withheld. Making one
    is audited, so it runs in a write transaction."""
    with transaction(get_settings(request)) as session:
        return PublicRecord.model_validate(public_record(session, actor, proposal_id))


@router.get("/agreements/{agreement_id}")
def api_agreement(
    agreement_id: RowId,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.VIEW_AGREEMENTS))],
) -> AgreementPublic:
    """What an approved proposal authorises: the record fulfillment reads."""
    return AgreementPublic.model_validate(get_agreement(session, actor, agreement_id))


@router.get("/my-work")
def api_my_work(session: DbSession, actor: Viewer) -> list[TaskGroup]:
    """What waits for the caller on proposals, by kind of task."""
    return [
        TaskGroup(
            kind=kind,
            label=TASK_LABELS[kind],
            tasks=[TaskPublic.model_validate(t) for t in tasks],
        )
        for kind, tasks in my_work(session, actor).items()
    ]
