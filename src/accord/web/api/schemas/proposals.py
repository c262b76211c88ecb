"""Proposals (BUCP) under /api/v1: the basket, the proposal as its reader may see it, the
inputs of each step, and the agreement record.

The public models are read from the services' own objects (the ``Overview`` view, the
proposal's rows) with ``from_attributes``, so a column is named once, in the service.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from accord.proposals.basket import MAX_ITEMS
from accord.proposals.drafting import SEP
from accord.proposals.form import AREA_LABELS, PATHS
from accord.proposals.models import Proposal, ProposalElement
from accord.proposals.overview import Overview
from accord.proposals.states import PROPOSAL, VERB_LABELS
from accord.web.api.schemas.attachments import AttachmentPublic
from accord.web.deps import BodyId

TEXT = 20_000  # the services refuse longer texts; the schema says so up front
VERBS = ", ".join(t.verb for t in PROPOSAL.transitions if t.action is not None)


class Orm(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- basket -----------------------------------------------------------------------------------


class BasketAdd(BaseModel):
    field_ids: list[BodyId] = Field([], max_length=MAX_ITEMS)
    dataset_id: BodyId | None = Field(None, description="Add every current field of a dataset.")

    @model_validator(mode="after")
    def something_to_add(self) -> BasketAdd:
        if not self.field_ids and self.dataset_id is None:
            raise ValueError("Give field_ids, a dataset_id, or both.")
        return self


class BasketLinePublic(Orm):
    field_id: int
    dataset_id: int
    dataset: str
    field: str
    label: str
    removed: bool = Field(description="The field has left the catalog since it was picked.")


class BasketPublic(BaseModel):
    changed: int = Field(0, description="How many fields this request added or removed.")
    items: list[BasketLinePublic]


# --- proposals: inputs ------------------------------------------------------------------------


class ProposalCreate(BaseModel):
    """Start a draft from the caller's basket, which it empties."""

    use_case_name: str = Field("", max_length=300)
    path: str = Field("idea", description=f"Governance path: {', '.join(PATHS)}.")
    program: str = Field("", max_length=200, description="The requesting program.")
    also_recipients: list[BodyId] = Field(
        [], max_length=20, description="Other recipient departments (ids) drafting jointly."
    )


class ProposalUpdate(BaseModel):
    answers: dict[str, str] = Field(
        description="Question key -> answer; an empty answer clears it. Only the questions "
        "named are changed."
    )
    base_version: int = Field(
        ge=1,
        le=2**31 - 1,
        description="The version the changes were made to; a save on an older version than "
        "the stored one is refused (409) with what changed since.",
    )
    note: str = Field("", max_length=2000)


class TransitionCreate(BaseModel):
    verb: str = Field(description=f"One of: {VERBS}.")
    note: str = Field("", max_length=2000, description="Needed to decline or withdraw.")


class ElementChange(BaseModel):
    action: Literal["remove", "restore", "mark_not_needed", "justify"] = Field(
        description="remove | restore (the recipient), mark_not_needed (the provider: why the "
        "use does not need the field; empty clears the mark), justify (the recipient's answer "
        "to a mark)."
    )
    text: str = Field("", max_length=TEXT)


class AuthorityUpdate(BaseModel):
    statements: dict[str, str] = Field(
        description="Governing classification or statute -> the recipient's legal authority "
        "for it; an empty statement withdraws one."
    )


class CommentCreate(BaseModel):
    body: str = Field(max_length=TEXT)
    question: str = Field("", description="The question it is about; empty for the proposal.")
    parent_id: BodyId | None = Field(None, description="The comment it answers.")


class ChangeCreate(BaseModel):
    question: str
    proposed: str = Field(max_length=TEXT)
    reason: str = Field("", max_length=TEXT)


class ChangeDecision(BaseModel):
    accept: bool
    note: str = Field("", max_length=TEXT)


class OpinionCreate(BaseModel):
    text: str = Field(max_length=TEXT)
    area: str | None = Field(
        None, description=f"{', '.join(AREA_LABELS)}; may be left out by one-area reviewers."
    )


class ConcernCreate(OpinionCreate):
    pass


class ConcernAnswer(BaseModel):
    answer: str = Field(max_length=TEXT)


class ConcernResolve(BaseModel):
    note: str = Field("", max_length=TEXT)


class SignatureCreate(BaseModel):
    title: str = Field(max_length=200)
    attest: bool = Field(description="I have read every registered opinion on this proposal.")


class FinalReviewCreate(BaseModel):
    title: str = Field("Data coordinator", max_length=200)
    confirm: bool


# --- proposals: what is shown -----------------------------------------------------------------


class Move(BaseModel):
    verb: str
    label: str

    @classmethod
    def named(cls, verb: str) -> Move:
        return cls(verb=verb, label=VERB_LABELS.get(verb, verb.replace("_", " ")))


class ProposalRef(BaseModel):
    """What a change answers with: where the proposal now stands and what the caller may do."""

    id: int
    title: str
    state: str
    state_label: str
    version: int
    updated_at: datetime
    moves: list[Move]


class ProposalListItem(Orm):
    id: int
    title: str
    state: str
    side: str = Field(description="The caller's department's side: provider | recipient.")
    path: str
    updated_at: datetime


class ProposalPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[ProposalListItem]


class PartyPublic(Orm):
    department_id: int
    code: str
    name: str
    side: str
    program: str


class PathPublic(Orm):
    code: str
    name: str
    required_opinions: list[str]
    filed_by: str
    filed_with: str
    sponsor_title: str


class ElementPublic(BaseModel):
    id: int
    dataset_id: int
    field_id: int
    dataset: str
    field: str
    label: str
    definition: str
    data_type: str
    classifications: list[str]
    statutes: list[str]
    row_count: int | None
    removed: bool = Field(description="The recipient took it out of the proposal.")
    left_catalog: bool = Field(description="The catalog no longer holds the field.")
    not_needed: str = Field(description="The provider's minimum-necessary mark, if any.")
    not_needed_by: str
    justification: str = Field(description="The recipient's answer to the mark.")

    @classmethod
    def of(cls, e: ProposalElement, left_catalog: bool = False) -> ElementPublic:
        return cls(
            id=e.id,
            dataset_id=e.dataset_id,
            field_id=e.field_id,
            dataset=e.dataset_name,
            field=e.field_name,
            label=e.label,
            definition=e.definition,
            data_type=e.data_type,
            classifications=[c for c in e.classifications.split(SEP) if c],
            statutes=[s for s in e.statutes.split(SEP) if s],
            row_count=e.row_count,
            removed=e.removed,
            left_catalog=left_catalog,
            not_needed=e.not_needed,
            not_needed_by=e.not_needed_by,
            justification=e.justification,
        )


class AuthorityPublic(Orm):
    governs: str
    statement: str
    stated_by: str
    stated_at: datetime


class CommentPublic(Orm):
    id: int
    question: str
    parent_id: int | None
    author: str
    department_id: int | None
    body: str
    at: datetime


class ChangePublic(Orm):
    id: int
    question: str
    proposed: str
    reason: str
    status: str
    requested_by: str
    department_id: int | None
    requested_at: datetime
    decided_by: str
    decided_at: datetime | None
    decision_note: str


class ChangeDecided(Orm):
    """A decision's answer: the proposed text is not repeated (it may be restricted)."""

    id: int
    question: str
    status: str
    decided_by: str
    decided_at: datetime | None
    decision_note: str


class OpinionPublic(Orm):
    id: int
    department_id: int
    area: str
    author: str
    author_name: str
    text: str
    at: datetime


class MissingOpinion(BaseModel):
    department_id: int
    area: str


class ConcernPublic(Orm):
    id: int
    department_id: int
    area: str
    text: str
    raised_by: str
    raised_at: datetime
    answer: str
    answered_by: str
    resolved_by: str
    resolved_at: datetime | None


class SignaturePublic(Orm):
    id: int
    department_id: int
    kind: str = Field(description="sponsor | final_review")
    name: str
    title: str
    attestation: str
    at: datetime


class Signed(BaseModel):
    signature: SignaturePublic
    state: str = Field(description="The proposal's state after it: the last one moves it on.")
    agreement_id: int | None = None


class StateChangePublic(Orm):
    verb: str
    from_state: str
    to_state: str
    actor: str
    at: datetime
    note: str


class VersionPublic(Orm):
    """A saved version; its answers are compared with GET .../diff, which hides what the
    caller may not read."""

    number: int
    saved_by: str
    saved_at: datetime
    note: str
    elements: list[str] = Field(description="dataset.field still requested in this version")


class ProposalPublic(BaseModel):
    """The proposal as the caller may see it: restricted answers and opinions they may not
    read are left out (``hidden`` names the questions withheld)."""

    id: int
    title: str
    path: PathPublic
    state: str
    state_label: str
    version: int
    my_side: str | None
    parties: list[PartyPublic]
    answers: dict[str, Any]
    hidden: list[str] = Field(description="Restricted questions answered but withheld from you.")
    elements: list[ElementPublic]
    governing: list[str] = Field(description="Classifications and statutes over the fields.")
    authorities: list[AuthorityPublic]
    comments: list[CommentPublic]
    changes: list[ChangePublic]
    opinions: list[OpinionPublic]
    missing_opinions: list[MissingOpinion]
    concerns: list[ConcernPublic]
    signatures: list[SignaturePublic]
    history: list[StateChangePublic]
    moves: list[Move] = Field(description="The lifecycle moves you may make now.")
    problems: dict[str, list[str]] = Field(
        description="Next step (send, review, sign) -> what keeps the proposal from it."
    )
    agreement_id: int | None
    attachments: list[AttachmentPublic] = Field(
        description="The files you may read (download: .../attachments/{id})."
    )
    updated_at: datetime

    @classmethod
    def of(cls, ov: Overview) -> ProposalPublic:
        p: Proposal = ov.proposal
        return cls(
            id=p.id,
            title=p.title,
            path=PathPublic(
                code=ov.path.code,
                name=ov.path.name,
                required_opinions=list(ov.path.required_opinions),
                filed_by=ov.path.filed_by.value,
                filed_with=ov.path.filed_with,
                sponsor_title=ov.path.sponsor_title,
            ),
            state=ov.state.value,
            state_label=ov.state_label,
            version=p.version,
            my_side=ov.my_side,
            parties=[PartyPublic.model_validate(x) for x in ov.parties],
            answers=ov.answers,
            hidden=ov.hidden,
            elements=[ElementPublic.of(e, e.field_id in ov.left_catalog) for e in ov.elements],
            governing=ov.governing,
            authorities=[AuthorityPublic.model_validate(a) for a in ov.authorities.values()],
            comments=[CommentPublic.model_validate(c) for c in ov.comments],
            changes=[ChangePublic.model_validate(c) for c in ov.changes],
            opinions=[OpinionPublic.model_validate(o) for o in ov.opinions],
            missing_opinions=[
                MissingOpinion(department_id=d, area=a) for d, a in ov.missing_opinions
            ],
            concerns=[ConcernPublic.model_validate(c) for c in ov.concerns],
            signatures=[SignaturePublic.model_validate(s) for s in ov.signatures],
            history=[StateChangePublic.model_validate(h) for h in ov.history],
            moves=[Move.named(v) for v in ov.verbs],
            problems=ov.problems,
            agreement_id=ov.agreement.id if ov.agreement else None,
            attachments=[AttachmentPublic.of(a) for a in ov.attachments],
            updated_at=ov.updated_at,
        )


class AnswerChangePublic(Orm):
    key: str
    label: str
    before: Any
    after: Any
    restricted: bool = Field(description="Changed, but you may not read it: no text is shown.")


class DiffPublic(BaseModel):
    a: int
    b: int
    answers: list[AnswerChangePublic]
    fields_added: list[str]
    fields_removed: list[str]
