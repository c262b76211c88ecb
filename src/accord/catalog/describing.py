"""The describe workflow (Play 6): stewards are assigned fields, write descriptions, submit
them for review; a reviewer other than the author publishes them or sends them back. Editing
a description that is in review or published reopens it as a draft; other departments go on
reading the text last published (see ``published``).

Completeness is derived, never stored: the share of a dataset's fields that have a
definition, a classification, and a statute check (statutes cited, or "none apply" recorded).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from sqlalchemy import Executable, Integer, Select, bindparam, exists, func, select
from sqlalchemy.orm import Session, lazyload

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.models import User, UserRole
from accord.auth.permissions import Action, can, check
from accord.auth.roles import Role
from accord.auth.users import get_user
from accord.catalog.definition_hints import Hint, definition_hints
from accord.catalog.models import (
    CatalogField,
    Dataset,
    FieldClassification,
    FieldStatute,
    FieldWork,
    GlossaryTerm,
)
from accord.catalog.published import fingerprint, has_definition, publish, read_by, reads_drafts
from accord.catalog.search import reindex_datasets
from accord.db.base import utcnow
from accord.errors import Conflict, NotFound, Problem, ValidationFailed
from accord.lifecycle import Lifecycle, Transition


class DescriptionState(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"


def _set_state(work: FieldWork, state: DescriptionState) -> None:
    work.status, work.updated_at = state.value, utcnow()


_DRAFT = frozenset({DescriptionState.DRAFT})
_REVIEW = frozenset({DescriptionState.IN_REVIEW})
_OPEN = frozenset({DescriptionState.IN_REVIEW, DescriptionState.PUBLISHED})
DESCRIPTION = Lifecycle[DescriptionState, FieldWork](
    name="description",
    states=DescriptionState,
    transitions=(
        Transition("submit", _DRAFT, DescriptionState.IN_REVIEW, Action.DESCRIBE_FIELDS),
        Transition("publish", _REVIEW, DescriptionState.PUBLISHED, Action.REVIEW_DESCRIPTIONS),
        Transition("send_back", _REVIEW, DescriptionState.DRAFT, Action.REVIEW_DESCRIPTIONS),
        Transition("reopen", _OPEN, DescriptionState.DRAFT, Action.DESCRIBE_FIELDS),
    ),
    state_of=lambda work: DescriptionState(work.status),
    set_state=_set_state,
    key_of=lambda work: work.field_id,
    title_of=lambda work: f"the description of field {work.field_id}",
)


def _work(session: Session, field_id: int) -> FieldWork:
    work = session.get(FieldWork, field_id)
    if work is None:
        if session.get(CatalogField, field_id) is None:
            raise NotFound(f"No field {field_id}.")
        work = FieldWork(
            field_id=field_id,
            status=DescriptionState.DRAFT.value,
            statute_checked=False,
            submitted_by="",
            review_note="",
        )
        session.add(work)
    return work


def _live_fields(session: Session, dataset_id: int) -> list[int]:
    return list(
        session.scalars(
            select(CatalogField.id).where(
                CatalogField.dataset_id == dataset_id, CatalogField.removed_at.is_(None)
            )
        )
    )


def assign_steward(
    session: Session,
    actor: Actor,
    steward_username: str,
    *,
    field_ids: Iterable[int] = (),
    dataset_id: int | None = None,
) -> int:
    """Assign fields (or every field of a dataset) to a steward; returns how many."""
    check(actor, Action.ASSIGN_STEWARDS)
    steward = get_user(session, steward_username)
    if Role.STEWARD.value not in steward.role_names or not steward.is_active:
        raise ValidationFailed(
            [Problem("steward", f"{steward.username} is not an active steward.")]
        )
    ids = list(field_ids) + (_live_fields(session, dataset_id) if dataset_id is not None else [])
    if not ids:
        raise ValidationFailed([Problem("fields", "Choose at least one field.")])
    for field_id in ids:
        _work(session, field_id).steward_id = steward.id
    session.flush()
    audit.record(
        session,
        actor,
        "describe.assign",
        "user",
        steward.id,
        after={"steward": steward.username, "fields": ids},
    )
    return len(ids)


def description_changed(session: Session, actor: Actor, field_id: int) -> None:
    """An edited description needs review again, even if it was published."""
    work = _work(session, field_id)
    if work.status != DescriptionState.DRAFT:
        DESCRIPTION.apply(session, work, actor, "reopen", "the description was edited")


def submit_for_review(session: Session, actor: Actor, field_ids: list[int]) -> int:
    check(actor, Action.DESCRIBE_FIELDS)
    problems = []
    for field_id in field_ids:
        found = session.get(CatalogField, field_id)
        if found is None:
            problems.append(Problem(str(field_id), "No such field."))
        elif not found.definition.strip():
            problems.append(Problem(found.name, "Write a definition before submitting it."))
    if problems:
        raise ValidationFailed(problems)
    for field_id in field_ids:
        work = _work(session, field_id)
        DESCRIPTION.apply(session, work, actor, "submit")
        work.submitted_by = actor.username
    session.flush()
    audit.record(
        session,
        actor,
        "describe.submit",
        "field",
        ",".join(map(str, field_ids))[:64],
        after={"fields": field_ids},
    )
    return len(field_ids)


def review_description(
    session: Session,
    actor: Actor,
    field_id: int,
    *,
    approve: bool,
    note: str = "",
    seen: str = "",
) -> FieldWork:
    """Publish a submitted description, or send it back to draft with a note.

    ``seen``: the ``fingerprint`` of the description the reviewer read. Publishing refuses a
    description that changed since (edited, reopened and submitted again), since what is
    published is what other departments read; pages always send it."""
    check(actor, Action.REVIEW_DESCRIPTIONS)
    locked = session.get(FieldWork, field_id, with_for_update=True, populate_existing=True)
    work = locked or _work(session, field_id)
    verb = "publish" if approve else "send_back"
    DESCRIPTION.check(work, actor, verb)
    if not approve and not note.strip():
        raise ValidationFailed([Problem("note", "Say what should change.")])
    field = session.get_one(CatalogField, field_id)
    if approve and seen and seen != fingerprint(field):
        raise Conflict(
            f"The description of {field.name} changed after you read it: read the text shown "
            "now before publishing it."
        )
    before = work.status
    DESCRIPTION.apply(session, work, actor, verb, note.strip())
    work.review_note = note.strip()
    if approve:
        publish(session, field, actor.username)
        session.flush()
        reindex_datasets(session, [field.dataset_id])  # first: the audit entry locks its head
    audit.record(
        session,
        actor,
        "describe.review",
        "field",
        field_id,
        before={"status": before},
        after={"status": work.status, "note": work.review_note},
    )
    return work


def set_statute_checked(session: Session, actor: Actor, field_id: int, checked: bool) -> None:
    """Record that someone looked for governing statutes and found none apply (or undo it)."""
    check(actor, Action.CITE_STATUTES)
    work = _work(session, field_id)
    if work.statute_checked != checked:
        work.statute_checked = checked
        audit.record(
            session,
            actor,
            "describe.statute_check",
            "field",
            field_id,
            after={"statute_checked": checked},
        )


@dataclass(frozen=True)
class Completeness:
    fields: int
    defined: int
    classified: int
    statute_checked: int

    def share(self, part: int) -> float:
        return part / self.fields if self.fields else 1.0

    @property
    def overall(self) -> float:
        """The mean of the three shares, as one number for lists and badges."""
        parts = (self.defined, self.classified, self.statute_checked)
        return sum(self.share(p) for p in parts) / 3


@cache
def _completeness_statement(published: bool) -> Executable:
    # Built once: catalog pages run it on every view, and building it cost more than running it.
    defined = has_definition(published)
    classified = exists().where(FieldClassification.field_id == CatalogField.id)
    cited = exists().where(FieldStatute.field_id == CatalogField.id)
    checked = exists().where(FieldWork.field_id == CatalogField.id, FieldWork.statute_checked)
    return (
        select(
            CatalogField.dataset_id,
            func.count(),
            func.sum(func.cast(defined, Integer)),
            func.sum(func.cast(classified, Integer)),
            func.sum(func.cast(cited | checked, Integer)),
        )
        .where(
            CatalogField.dataset_id.in_(bindparam("ids", expanding=True)),
            CatalogField.removed_at.is_(None),
        )
        .group_by(CatalogField.dataset_id)
    )


def completeness(session: Session, dataset_ids: list[int], actor: Actor) -> dict[int, Completeness]:
    """One aggregate query for any number of datasets (the catalog list shows it for each).
    Definitions count as the actor reads them: published ones only, for other departments."""
    if not dataset_ids:
        return {}
    statement = _completeness_statement(published=not reads_drafts(actor))
    rows = session.execute(statement, {"ids": dataset_ids}).all()
    found = {
        row[0]: Completeness(int(row[1]), int(row[2] or 0), int(row[3] or 0), int(row[4] or 0))
        for row in rows
    }
    return {i: found.get(i, Completeness(0, 0, 0, 0)) for i in dataset_ids}


@dataclass(frozen=True)
class WorkItem:
    field: CatalogField
    dataset: Dataset
    status: str
    note: str


def my_work(session: Session, actor: Actor) -> tuple[list[WorkItem], list[WorkItem]]:
    """(fields assigned to me and not yet published, descriptions others submitted for review)."""
    check(actor, Action.VIEW_CATALOG)
    base = (
        select(CatalogField, Dataset, FieldWork.status, FieldWork.review_note)
        .join(Dataset, CatalogField.dataset_id == Dataset.id)
        .join(FieldWork, FieldWork.field_id == CatalogField.id)
        .where(CatalogField.removed_at.is_(None))
        .order_by(Dataset.name, CatalogField.position)
    )
    user_id = session.scalar(select(User.id).where(User.username == actor.username))
    assigned = session.execute(
        base.where(FieldWork.steward_id == user_id, FieldWork.status != DescriptionState.PUBLISHED)
    ).all()
    reviews: list[tuple[CatalogField, Dataset, str, str]] = []
    if can(actor, Action.REVIEW_DESCRIPTIONS):  # the query leaves out their own (AUTHOR)
        reviews = list(
            session.execute(
                base.where(
                    FieldWork.status == DescriptionState.IN_REVIEW,
                    FieldWork.submitted_by != actor.username,
                )
            ).all()
        )
    return ([WorkItem(*row) for row in assigned], [WorkItem(*row) for row in reviews])


def ready_to_submit(session: Session, actor: Actor, dataset_id: int) -> list[CatalogField]:
    """Fields of one dataset assigned to the actor, in draft and with a definition: those the
    dataset page offers to submit for review (one query, not the whole of ``my_work``)."""
    check(actor, Action.VIEW_CATALOG)
    found = session.scalars(_READY, {"dataset_id": dataset_id, "steward_id": actor.user_id})
    return list(found)


# Statements the dataset and field pages run on every view are built once, with their values
# bound: building one cost SQLAlchemy more than SQLite took to run it.
_READY = (
    select(CatalogField)
    .join(FieldWork, FieldWork.field_id == CatalogField.id)
    .where(
        CatalogField.dataset_id == bindparam("dataset_id"),
        CatalogField.removed_at.is_(None),
        CatalogField.definition != "",
        FieldWork.steward_id == bindparam("steward_id"),
        FieldWork.status == DescriptionState.DRAFT,
    )
    .order_by(CatalogField.position)
)


def steward_name(session: Session, actor: Actor, user_id: int) -> str | None:
    """The username of ``user_id`` if they are an active steward (one of ``list_stewards``)."""
    check(actor, Action.VIEW_CATALOG)
    return session.scalar(
        select(User.username)
        .join(UserRole)
        .where(User.id == user_id, UserRole.role == Role.STEWARD.value, User.is_active)
    )


def _live_work() -> Select[int]:
    return (
        select(func.count())
        .select_from(FieldWork)
        .join(CatalogField, FieldWork.field_id == CatalogField.id)
        .where(CatalogField.removed_at.is_(None))
    )


def count_assigned(session: Session, actor: Actor) -> int:
    """How many fields assigned to the actor are not yet published (``my_work``'s first list)."""
    check(actor, Action.VIEW_CATALOG)
    query = _live_work().where(
        FieldWork.steward_id == actor.user_id, FieldWork.status != DescriptionState.PUBLISHED
    )
    return int(session.scalar(query) or 0)


def count_to_review(session: Session, actor: Actor) -> int:
    """How many descriptions others submitted wait for this reviewer (``my_work``'s second)."""
    check(actor, Action.VIEW_CATALOG)
    if not can(actor, Action.REVIEW_DESCRIPTIONS):
        return 0
    query = _live_work().where(
        FieldWork.status == DescriptionState.IN_REVIEW, FieldWork.submitted_by != actor.username
    )
    return int(session.scalar(query) or 0)


def field_hints(session: Session, actor: Actor, field_id: int) -> list[Hint]:
    """Definition hints for one field's text as the actor reads it, knowing the glossary's
    acronyms."""
    check(actor, Action.VIEW_CATALOG)
    found = session.get(CatalogField, field_id)
    if found is None:
        raise NotFound(f"No field {field_id}.")
    target = read_by(session, actor, found)
    acronyms = frozenset(a for a in session.scalars(_ACRONYMS) if a)
    return definition_hints(
        target.name,
        target.definition,
        label=target.label,
        data_type=target.data_type,
        glossary_acronyms=acronyms,
    )


def list_stewards(session: Session, actor: Actor) -> list[User]:
    """Active users who can be assigned fields."""
    check(actor, Action.VIEW_CATALOG)
    return list(session.scalars(_STEWARDS))


def work_status(session: Session, field_ids: list[int]) -> dict[int, FieldWork]:
    """Workflow rows of these fields (fields never touched by the workflow are absent)."""
    if not field_ids:
        return {}
    rows = session.scalars(_WORK, {"ids": field_ids})
    return {w.field_id: w for w in rows}


# built once, like _READY
_ACRONYMS = select(GlossaryTerm.acronym)
_STEWARDS = (
    select(User)
    .join(UserRole)
    .where(UserRole.role == Role.STEWARD.value, User.is_active)
    .order_by(User.username)
    # names only: not each steward's department and roles (a tenth of a dataset page)
    .options(lazyload("*"))
)
_WORK = select(FieldWork).where(FieldWork.field_id.in_(bindparam("ids", expanding=True)))
