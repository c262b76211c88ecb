"""Tables of the BUCP: the proposal and its parties, the fields it asks for, its versions and
conversation, the reviews and signatures, the basket it starts from, and the agreement record
its approval creates."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.auth.actor import Actor
from accord.auth.permissions import Relation
from accord.db.base import Base, UtcDateTime, utcnow


class Proposal(Base):
    __tablename__ = "proposal"
    __table_args__ = (Index("ix_proposal_state", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(16))  # governance path: idea | chhs
    state: Mapped[str] = mapped_column(String(32), default="draft")
    state_since: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)  # the latest saved version
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # the answers last generated from the catalog (accord.proposals.prefill), to tell them
    # from a person's words
    prefilled: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    parties: Mapped[list[ProposalParty]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="ProposalParty.id"
    )

    @property
    def title(self) -> str:
        return str(self.answers.get("use_case_name") or f"Proposal {self.id}")

    def departments(self, side: str | None = None) -> list[int]:
        return [p.department_id for p in self.parties if side is None or p.side == side]

    def side_of(self, department_id: int | None) -> str | None:
        return next((p.side for p in self.parties if p.department_id == department_id), None)

    def relations_to(self, actor: Actor) -> frozenset[Relation]:
        mine: set[Relation] = set()
        side = self.side_of(actor.department_id)
        if side is not None:
            mine |= {Relation.PARTY, Relation(side)}
        if self.created_by is not None and self.created_by == actor.user_id:
            mine.add(Relation.AUTHOR)
        return frozenset(mine)


class ProposalParty(Base):
    """A department on one side of a proposal: one or several providers and recipients."""

    __tablename__ = "proposal_party"
    __table_args__ = (UniqueConstraint("proposal_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    side: Mapped[str] = mapped_column(String(16))  # provider | recipient
    program: Mapped[str] = mapped_column(String(200), default="")


class ProposalElement(Base):
    """One requested field, with what the catalog said of it when it was requested, so the
    proposal still reads right if the field later changes or leaves the catalog."""

    __tablename__ = "proposal_element"
    __table_args__ = (UniqueConstraint("proposal_id", "field_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    dataset_id: Mapped[int] = mapped_column(Integer)
    field_id: Mapped[int] = mapped_column(Integer)  # no foreign key: the catalog may drop it
    dataset_name: Mapped[str] = mapped_column(String(300))
    field_name: Mapped[str] = mapped_column(String(200))
    label: Mapped[str] = mapped_column(String(200), default="")
    definition: Mapped[str] = mapped_column(Text, default="")
    data_type: Mapped[str] = mapped_column(String(128), default="")
    valid_values: Mapped[str] = mapped_column(Text, default="")
    classifications: Mapped[str] = mapped_column(Text, default="")  # "; "-separated codes
    statutes: Mapped[str] = mapped_column(Text, default="")  # "; "-separated citations
    row_count: Mapped[int | None] = mapped_column(Integer)
    removed: Mapped[bool] = mapped_column(default=False)  # the requester took it out
    not_needed: Mapped[str] = mapped_column(Text, default="")  # provider: why the use needs it not
    not_needed_by: Mapped[str] = mapped_column(String(64), default="")
    justification: Mapped[str] = mapped_column(Text, default="")  # requester's answer


class ProposalAuthority(Base):
    """The legal authority the requester states for one statute or classification that
    governs the requested fields."""

    __tablename__ = "proposal_authority"
    __table_args__ = (UniqueConstraint("proposal_id", "governs"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    governs: Mapped[str] = mapped_column(String(100))  # "PII" or "WIC 10850"
    statement: Mapped[str] = mapped_column(Text)
    stated_by: Mapped[str] = mapped_column(String(64))
    stated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ProposalVersion(Base):
    """Every save: the answers and the requested fields as they then stood."""

    __tablename__ = "proposal_version"
    __table_args__ = (UniqueConstraint("proposal_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"))
    number: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    elements: Mapped[list[str]] = mapped_column(JSON)  # "dataset.field" still requested
    saved_by: Mapped[str] = mapped_column(String(64))
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")


class ProposalComment(Base):
    """A remark on the proposal or on one question, in a thread (``parent_id``)."""

    __tablename__ = "proposal_comment"
    __table_args__ = (Index("ix_proposal_comment_proposal", "proposal_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"))
    question: Mapped[str] = mapped_column(String(64), default="")  # "" for the whole proposal
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("proposal_comment.id"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    author: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    body: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ChangeRequest(Base):
    """A proposed new answer to one question, which the other side accepts or declines."""

    __tablename__ = "proposal_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    question: Mapped[str] = mapped_column(String(64))
    proposed: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open")
    requested_by: Mapped[str] = mapped_column(String(64))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")

    proposal: Mapped[Proposal] = relationship(lazy="select")

    def relations_to(self, actor: Actor) -> frozenset[Relation]:
        mine = self.proposal.relations_to(actor) - {Relation.AUTHOR}
        return mine | ({Relation.AUTHOR} if self.requested_by == actor.username else set())


class Opinion(Base):
    """A department's registered opinion in one area (legal, privacy, security)."""

    __tablename__ = "proposal_opinion"
    __table_args__ = (UniqueConstraint("proposal_id", "department_id", "area"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    area: Mapped[str] = mapped_column(String(16))
    author: Mapped[str] = mapped_column(String(64))
    author_name: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Concern(Base):
    """A question a reviewer needs answered before the proposal may move on."""

    __tablename__ = "proposal_concern"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    area: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    raised_by: Mapped[str] = mapped_column(String(64))
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[str] = mapped_column(String(64), default="")
    resolved_by: Mapped[str] = mapped_column(String(64), default="")
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class Attachment(Base):
    """A file added to a proposal or to an opinion; the bytes live in the data directory."""

    __tablename__ = "proposal_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    opinion_id: Mapped[int | None] = mapped_column(ForeignKey("proposal_opinion.id"))
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_as: Mapped[str] = mapped_column(String(300))
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Signature(Base):
    """An executive sponsor's signature or a data coordinator's final review, per department."""

    __tablename__ = "proposal_signature"
    __table_args__ = (UniqueConstraint("proposal_id", "department_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    kind: Mapped[str] = mapped_column(String(16))  # sponsor | final_review
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    attestation: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class BasketItem(Base):
    """A field someone means to ask for; it waits across pages and sign-ins."""

    __tablename__ = "basket_item"
    __table_args__ = (UniqueConstraint("user_id", "field_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("catalog_field.id"))
    added_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Agreement(Base):
    """What an approved proposal authorises: the one record fulfillment reads."""

    __tablename__ = "agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), unique=True)
    path: Mapped[str] = mapped_column(String(16))
    approved_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    use_case_name: Mapped[str] = mapped_column(String(300))
    use: Mapped[str] = mapped_column(Text)
    authorised_users: Mapped[str] = mapped_column(Text)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)  # None: open-ended
    # the records covered, by their date (None: no bound); fulfillment filters on them
    records_from: Mapped[date | None] = mapped_column(Date)
    records_to: Mapped[date | None] = mapped_column(Date)
    frequency: Mapped[str] = mapped_column(String(16))  # one_time | daily | ... | yearly
    transfer_method: Mapped[str] = mapped_column(String(32))
    format: Mapped[str] = mapped_column(String(16))
    deidentification: Mapped[str] = mapped_column(String(16))  # none | record_level | aggregate
    destruction_return: Mapped[str] = mapped_column(Text)
    derived_products: Mapped[str] = mapped_column(Text)
    redisclosure: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)  # the proposal version approved
    # the filing record (BUCP.md §1.4): whom it is filed with is known at approval; when and
    # by whom are written once, when the data coordinator files it
    filed_with: Mapped[str] = mapped_column(String(200), default="")
    filed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    filed_by: Mapped[str] = mapped_column(String(64), default="")
    filed_by_department: Mapped[str] = mapped_column(String(200), default="")

    elements: Mapped[list[AgreementElement]] = relationship(
        lazy="selectin", cascade="all, delete-orphan", order_by="AgreementElement.id"
    )

    @property
    def open_ended(self) -> bool:
        return self.end_date is None

    @property
    def recurring(self) -> bool:
        return self.frequency != "one_time"


class AgreementElement(Base):
    __tablename__ = "agreement_element"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True)
    dataset_id: Mapped[int] = mapped_column(Integer)
    field_id: Mapped[int] = mapped_column(Integer)
    dataset_name: Mapped[str] = mapped_column(String(300))
    field_name: Mapped[str] = mapped_column(String(200))
    classifications: Mapped[str] = mapped_column(Text, default="")
    # as they stood at approval: code -> label, and the statutes with their titles
    classification_labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    statutes: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
