"""Catalog tables: sources, datasets, fields and the metadata people add to them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accord.auth.actor import Actor
from accord.auth.permissions import Relation
from accord.db.base import Base, UtcDateTime, utcnow
from accord.jobs.models import Job

LIFECYCLE = ("active", "archival_candidate", "archived", "disposed")
DATASET_KINDS = ("table", "view", "report", "extract", "api")
SOURCE_KINDS = ("database", "files", "openapi")


class Source(Base):
    """Where datasets come from. The password of a database URL is never stored in clear."""

    __tablename__ = "catalog_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    location: Mapped[str] = mapped_column(Text)  # URL without password, folder, or document
    secret_env: Mapped[str] = mapped_column(String(128), default="")
    secret_encrypted: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_harvest_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Dataset(Base):
    __tablename__ = "catalog_dataset"
    __table_args__ = (UniqueConstraint("source_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("catalog_source.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(16))
    schema_name: Mapped[str] = mapped_column(String(128), default="")
    title: Mapped[str] = mapped_column(String(300), default="")
    # "" (none yet), "suggested" (Accord's, follows the program) or "steward" (kept as written)
    title_source: Mapped[str] = mapped_column(String(16), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    source_comment: Mapped[str] = mapped_column(Text, default="")
    program: Mapped[str] = mapped_column(String(200), default="", index=True)
    system: Mapped[str] = mapped_column(String(200), default="")
    vendor_managed: Mapped[bool | None] = mapped_column(Boolean)
    owner: Mapped[str] = mapped_column(String(200), default="")
    contacts: Mapped[str] = mapped_column(Text, default="")
    related_programs: Mapped[str] = mapped_column(Text, default="")
    objectives: Mapped[str] = mapped_column(Text, default="")
    lifecycle: Mapped[str] = mapped_column(String(32), default="active", index=True)
    lifecycle_since: Mapped[date | None] = mapped_column(Date)
    retention_months: Mapped[int | None] = mapped_column(Integer)
    # on the public request-data page (accord.catalog.public_listing): never unless chosen
    listed_publicly: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    harvested_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    source: Mapped[Source | None] = relationship(lazy="joined")

    @property
    def display_name(self) -> str:
        return self.title or self.name


class CatalogField(Base):
    __tablename__ = "catalog_field"
    __table_args__ = (UniqueConstraint("dataset_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("catalog_dataset.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    data_type: Mapped[str] = mapped_column(String(128), default="")
    nullable: Mapped[bool] = mapped_column(Boolean, default=True)
    primary_key: Mapped[bool] = mapped_column(Boolean, default=False)
    foreign_key: Mapped[str] = mapped_column(String(300), default="")
    label: Mapped[str] = mapped_column(String(200), default="")
    definition: Mapped[str] = mapped_column(Text, default="")
    source_comment: Mapped[str] = mapped_column(Text, default="")
    valid_values: Mapped[str] = mapped_column(Text, default="")  # JSON [{"code", "meaning"}]
    standard_element: Mapped[str] = mapped_column(String(200), default="")
    tags: Mapped[str] = mapped_column(Text, default="")  # comma-separated
    drift: Mapped[str] = mapped_column(String(16), default="")  # added | changed | removed
    drift_note: Mapped[str] = mapped_column(Text, default="")
    review_needed: Mapped[bool] = mapped_column(Boolean, default=False)
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    dataset: Mapped[Dataset] = relationship(lazy="joined")


class Classification(Base):
    """The classification vocabulary (PII, PHI, other sensitive, public, and sub-types)."""

    __tablename__ = "catalog_classification"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    parent_code: Mapped[str] = mapped_column(String(64), default="")
    description: Mapped[str] = mapped_column(Text, default="")


class FieldClassification(Base):
    __tablename__ = "catalog_field_classification"

    field_id: Mapped[int] = mapped_column(ForeignKey("catalog_field.id"), primary_key=True)
    code: Mapped[str] = mapped_column(ForeignKey("catalog_classification.code"), primary_key=True)


class Statute(Base):
    __tablename__ = "catalog_statute"
    __table_args__ = (UniqueConstraint("code", "section", "subdivision", "paragraph"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))  # e.g. WIC, HSC, 45 CFR
    section: Mapped[str] = mapped_column(String(32))
    subdivision: Mapped[str] = mapped_column(String(32), default="")
    paragraph: Mapped[str] = mapped_column(String(32), default="")
    title: Mapped[str] = mapped_column(String(300), default="")
    url: Mapped[str] = mapped_column(Text, default="")

    @property
    def citation(self) -> str:
        sub = f"({self.subdivision})" if self.subdivision else ""
        par = f"({self.paragraph})" if self.paragraph else ""
        return f"{self.code} § {self.section}{sub}{par}"


class FieldStatute(Base):
    __tablename__ = "catalog_field_statute"

    field_id: Mapped[int] = mapped_column(ForeignKey("catalog_field.id"), primary_key=True)
    statute_id: Mapped[int] = mapped_column(ForeignKey("catalog_statute.id"), primary_key=True)


class GlossaryTerm(Base):
    __tablename__ = "catalog_glossary_term"

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(200), unique=True)
    acronym: Mapped[str] = mapped_column(String(32), default="", index=True)
    definition: Mapped[str] = mapped_column(Text, default="")


class FieldTerm(Base):
    __tablename__ = "catalog_field_term"

    field_id: Mapped[int] = mapped_column(ForeignKey("catalog_field.id"), primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("catalog_glossary_term.id"), primary_key=True)


class HarvestRun(Base):
    """A harvest: its source and drift report. How it is going (status, progress, who,
    cancellation) is its job's, the one record the worker and every page share."""

    __tablename__ = "catalog_harvest_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("catalog_source.id"), index=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"), unique=True)
    report: Mapped[str] = mapped_column(Text, default="")  # JSON drift report
    job: Mapped[Job] = relationship(lazy="joined", innerjoin=True)

    @property
    def status(self) -> str:
        return self.job.status

    @property
    def done(self) -> int:
        return self.job.done

    @property
    def total(self) -> int:
        return self.job.total

    @property
    def message(self) -> str:
        return self.job.message

    @property
    def cancel_requested(self) -> bool:
        return self.job.cancel_requested

    @property
    def started_at(self) -> datetime:
        return self.job.started_at or self.job.created_at

    @property
    def finished_at(self) -> datetime | None:
        return self.job.finished_at

    @property
    def started_by(self) -> str:
        return self.job.who


class SearchDoc(Base):
    """One searchable thing (dataset, field or glossary term) with the columns filters use.

    The full-text index over title and body is backend-specific and created by the migration:
    an FTS5 table on SQLite, a generated tsvector with a GIN index on PostgreSQL.
    """

    __tablename__ = "catalog_search_doc"
    __table_args__ = (UniqueConstraint("kind", "ref_id", "audience"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # dataset | field | term
    ref_id: Mapped[int] = mapped_column(Integer)
    dataset_id: Mapped[int | None] = mapped_column(Integer, index=True)
    # "all"; or, for a field whose description differs from what was last published, "home"
    # (the text as it stands, for the home department) and "others" (the published text)
    audience: Mapped[str] = mapped_column(String(8), default="all")
    program: Mapped[str] = mapped_column(String(200), default="")
    lifecycle: Mapped[str] = mapped_column(String(32), default="")
    classifications: Mapped[str] = mapped_column(Text, default="")  # " PII PHI:diagnosis "
    statutes: Mapped[str] = mapped_column(Text, default="")  # " WIC 10850 "
    title: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")


class FieldWork(Base):
    """The describe workflow of one field: who describes it, and where the description stands."""

    __tablename__ = "catalog_field_work"

    field_id: Mapped[int] = mapped_column(ForeignKey("catalog_field.id"), primary_key=True)
    steward_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    statute_checked: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_by: Mapped[str] = mapped_column(String(64), default="")
    review_note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    def relations_to(self, actor: Actor) -> frozenset[Relation]:
        mine: set[Relation] = set()
        if self.submitted_by and self.submitted_by == actor.username:
            mine.add(Relation.AUTHOR)
        if self.steward_id is not None and self.steward_id == actor.user_id:
            mine.add(Relation.ASSIGNEE)
        return frozenset(mine)


class PublishedDescription(Base):
    """A field's description as its reviewer last published it: what other departments read.

    Editing the field reopens its description as a draft but leaves this row as it was, so
    other departments go on reading the reviewed text until the new one is published.
    """

    __tablename__ = "catalog_field_published"

    field_id: Mapped[int] = mapped_column(ForeignKey("catalog_field.id"), primary_key=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    definition: Mapped[str] = mapped_column(Text, default="")
    valid_values: Mapped[str] = mapped_column(Text, default="")
    standard_element: Mapped[str] = mapped_column(String(200), default="")
    tags: Mapped[str] = mapped_column(Text, default="")
    published_by: Mapped[str] = mapped_column(String(64), default="")
    published_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ClassificationSuggestion(Base):
    """A classifier's proposal for one field and label, until a person decides it.

    One row per (field, label): a rejected suggestion stays rejected when the classifier
    proposes it again after a re-harvest.
    """

    __tablename__ = "catalog_suggestion"
    __table_args__ = (UniqueConstraint("field_id", "label"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    field_id: Mapped[int] = mapped_column(ForeignKey("catalog_field.id"), index=True)
    label: Mapped[str] = mapped_column(ForeignKey("catalog_classification.code"))
    confidence: Mapped[float] = mapped_column(default=0.0)
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_by: Mapped[str] = mapped_column(String(64), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    def relations_to(self, actor: Actor) -> frozenset[Relation]:
        return frozenset()  # anyone whose roles classify may decide a suggestion
