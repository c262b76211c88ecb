"""Editing field metadata. Each kind of metadata is guarded by the role that owns it:
stewards describe, security and privacy officers classify, statutes are cited separately."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.permissions import Action, check
from accord.catalog.datasets import find_dataset
from accord.catalog.describing import description_changed
from accord.catalog.models import CatalogField, Classification, FieldClassification
from accord.catalog.published import read_by
from accord.catalog.search import reindex_datasets
from accord.errors import NotFound, Problem, ValidationFailed


@dataclass(frozen=True)
class Description:
    """What a steward writes about a field. ``None`` leaves that attribute unchanged."""

    label: str | None = None
    definition: str | None = None
    valid_values: list[tuple[str, str]] | None = None  # (code, meaning)
    standard_element: str | None = None
    tags: list[str] | None = None


def get_field(session: Session, actor: Actor, field_id: int) -> CatalogField:
    check(actor, Action.VIEW_CATALOG)
    found = session.get(CatalogField, field_id)
    if found is None:
        raise NotFound(f"No field {field_id}.")
    return found


def read_field(session: Session, actor: Actor, field_id: int) -> CatalogField:
    """The field as the actor may read it (see ``published``): for reading, not changing."""
    return read_by(session, actor, get_field(session, actor, field_id))


def parse_valid_values(text: str) -> list[tuple[str, str]]:
    """One code per line, ``code = meaning`` (or ``code: meaning``, or just ``code``)."""
    values = []
    for line in text.splitlines():
        if not line.strip():
            continue
        code, _, meaning = line.replace(":", "=", 1).partition("=")
        values.append((code.strip(), meaning.strip()))
    return values


def valid_values_of(f: CatalogField) -> list[dict[str, str]]:
    return list(json.loads(f.valid_values)) if f.valid_values else []


def _snapshot(f: CatalogField) -> dict[str, object]:
    return {
        "label": f.label,
        "definition": f.definition,
        "valid_values": valid_values_of(f),
        "standard_element": f.standard_element,
        "tags": f.tags,
    }


def describe_field(
    session: Session, actor: Actor, field_id: int, change: Description
) -> CatalogField:
    """Update the business description of a field; all problems are reported together."""
    check(actor, Action.DESCRIBE_FIELDS)
    target = get_field(session, actor, field_id)
    problems = []
    if change.label is not None and len(change.label) > 200:
        problems.append(Problem("label", "Keep the label under 200 characters."))
    if change.valid_values is not None:
        codes = [c for c, _ in change.valid_values]
        if any(not c for c in codes):
            problems.append(Problem("valid_values", "Every valid value needs a code."))
        if len(set(codes)) != len(codes):
            problems.append(Problem("valid_values", "A code is listed twice."))
    if problems:
        raise ValidationFailed(problems)
    before = _snapshot(target)
    if change.label is not None:
        target.label = change.label.strip()
    if change.definition is not None:
        target.definition = change.definition.strip()
    if change.valid_values is not None:
        target.valid_values = (
            json.dumps([{"code": c, "meaning": m} for c, m in change.valid_values])
            if change.valid_values
            else ""
        )
    if change.standard_element is not None:
        target.standard_element = change.standard_element.strip()
    if change.tags is not None:
        target.tags = ", ".join(dict.fromkeys(t.strip() for t in change.tags if t.strip()))
    after = _snapshot(target)
    if after != before:
        reindex_datasets(session, [target.dataset_id])  # first: the audit entry locks its head
        audit.record(
            session, actor, "field.describe", "field", target.id, before=before, after=after
        )
        description_changed(session, actor, target.id)
    return target


def mark_reviewed(session: Session, actor: Actor, field_id: int) -> CatalogField:
    """A person has looked at a drifted field; the drift flag is cleared (the note stays)."""
    check(actor, Action.DESCRIBE_FIELDS)
    target = get_field(session, actor, field_id)
    if target.review_needed:
        target.review_needed = False
        audit.record(
            session,
            actor,
            "field.reviewed",
            "field",
            target.id,
            before={"drift": target.drift, "note": target.drift_note},
        )
    return target


def field_classifications(session: Session, field_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {i: [] for i in field_ids}
    for field_id, code in session.execute(_CLASSIFICATIONS, {"ids": field_ids}):
        found[field_id].append(code)
    return found


# Statements every catalog page runs are built once, with their values bound: building one
# costs SQLAlchemy more than SQLite takes to run it.
_CLASSIFICATIONS = (
    select(FieldClassification.field_id, FieldClassification.code)
    .where(FieldClassification.field_id.in_(bindparam("ids", expanding=True)))
    .order_by(FieldClassification.code)
)


@dataclass(frozen=True)
class ClassLabel:
    """One code of the classification vocabulary, as pages and exports read it."""

    code: str
    label: str
    parent_code: str
    description: str


_VOCABULARIES: dict[str, tuple[ClassLabel, ...]] = {}


def vocabulary(session: Session) -> tuple[ClassLabel, ...]:
    """The vocabulary in code order, read once per database by each process: only migrations
    write it, and every catalog page shows it (reading it each time cost about a twentieth of
    a busy server's CPU)."""
    database = session.get_bind().engine.url.render_as_string()
    found = _VOCABULARIES.get(database)
    if found is None:
        rows = session.scalars(select(Classification).order_by(Classification.code))
        found = tuple(ClassLabel(c.code, c.label, c.parent_code, c.description) for c in rows)
        _VOCABULARIES[database] = found
    return found


def classify_field(session: Session, actor: Actor, field_id: int, codes: list[str]) -> list[str]:
    """Set a field's classifications (a person's decision, recorded with before and after)."""
    check(actor, Action.CLASSIFY_FIELDS)
    target = get_field(session, actor, field_id)
    known = {c.code for c in vocabulary(session)}
    wanted = sorted(set(codes))
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise ValidationFailed([Problem("classifications", f"Unknown: {', '.join(unknown)}.")])
    if "PUBLIC" in wanted and len(wanted) > 1:
        raise ValidationFailed([Problem("classifications", "A public field has no other class.")])
    before = field_classifications(session, [field_id])[field_id]
    if before == wanted:
        return wanted
    session.execute(delete(FieldClassification).where(FieldClassification.field_id == field_id))
    session.add_all(FieldClassification(field_id=field_id, code=c) for c in wanted)
    session.flush()
    reindex_datasets(session, [target.dataset_id])
    # Last: it locks the audit head until the commit.
    audit.record(session, actor, "field.classify", "field", field_id, before=before, after=wanted)
    return wanted


def find_field(session: Session, actor: Actor, dataset: str, name: str) -> CatalogField:
    """A field by its dataset (id, SOURCE/NAME or unique name) and its own name."""
    found = find_dataset(session, actor, dataset)
    target = session.scalar(
        select(CatalogField).where(CatalogField.dataset_id == found.id, CatalogField.name == name)
    )
    if target is None:
        raise NotFound(f"No field {name!r} in {found.name}.")
    return target
