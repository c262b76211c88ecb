"""The business glossary: department terms and acronyms, linked to fields, in and out as CSV."""

from __future__ import annotations

import csv
import io

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.permissions import Action, check
from accord.catalog.models import CatalogField, FieldTerm, GlossaryTerm
from accord.catalog.search import reindex_term
from accord.csv_cells import restored, safe_row
from accord.errors import NotFound, Problem, ValidationFailed

CSV_COLUMNS = ("term", "acronym", "definition")


def list_terms(session: Session, actor: Actor) -> list[GlossaryTerm]:
    check(actor, Action.VIEW_CATALOG)
    return list(session.scalars(_TERMS))


# Built once, with values bound (the field page runs both): building a statement cost
# SQLAlchemy more than SQLite took to run it.
_TERMS = select(GlossaryTerm).order_by(func.lower(GlossaryTerm.term))


def _term_problems(term: str, acronym: str, definition: str) -> list[Problem]:
    problems = []
    if not term.strip():
        problems.append(Problem("term", "Give the term."))
    if len(acronym) > 32:
        problems.append(Problem("acronym", "An acronym has at most 32 characters."))
    if not definition.strip():
        problems.append(Problem("definition", "Define the term."))
    return problems


def save_term(
    session: Session, actor: Actor, *, term: str, definition: str, acronym: str = ""
) -> GlossaryTerm:
    """Add a term, or update the one with the same name (case-insensitive)."""
    check(actor, Action.EDIT_GLOSSARY)
    problems = _term_problems(term, acronym, definition)
    if problems:
        raise ValidationFailed(problems)
    existing = session.scalar(
        # lower() on both sides in SQL: the database's and Python's case rules differ beyond ASCII.
        select(GlossaryTerm).where(func.lower(GlossaryTerm.term) == func.lower(term.strip()))
    )
    before = None
    if existing is None:
        existing = GlossaryTerm(term=term.strip())
        session.add(existing)
    else:
        before = {"acronym": existing.acronym, "definition": existing.definition}
    existing.acronym, existing.definition = acronym.strip(), definition.strip()
    session.flush()
    after = {"term": existing.term, "acronym": existing.acronym, "definition": existing.definition}
    reindex_term(session, existing)
    audit.record(  # last: it locks the audit head until the commit
        session, actor, "glossary.save", "glossary_term", existing.id, before=before, after=after
    )
    return existing


def link_term(session: Session, actor: Actor, field_id: int, term_id: int) -> None:
    check(actor, Action.EDIT_GLOSSARY)
    if session.get(CatalogField, field_id) is None or session.get(GlossaryTerm, term_id) is None:
        raise NotFound("No such field or term.")
    if session.get(FieldTerm, (field_id, term_id)) is None:
        session.add(FieldTerm(field_id=field_id, term_id=term_id))
        audit.record(session, actor, "glossary.link", "field", field_id, after={"term": term_id})


def unlink_term(session: Session, actor: Actor, field_id: int, term_id: int) -> None:
    check(actor, Action.EDIT_GLOSSARY)
    deleted = session.execute(
        delete(FieldTerm).where(FieldTerm.field_id == field_id, FieldTerm.term_id == term_id)
    )
    if deleted.rowcount:  # type: ignore[attr-defined]
        audit.record(session, actor, "glossary.unlink", "field", field_id, before={"term": term_id})


def terms_of_fields(session: Session, field_ids: list[int]) -> dict[int, list[GlossaryTerm]]:
    found: dict[int, list[GlossaryTerm]] = {i: [] for i in field_ids}
    for field_id, term in session.execute(_FIELD_TERMS, {"ids": field_ids}):
        found[field_id].append(term)
    return found


_FIELD_TERMS = (
    select(FieldTerm.field_id, GlossaryTerm)
    .join(GlossaryTerm)
    .where(FieldTerm.field_id.in_(bindparam("ids", expanding=True)))
)


def export_csv(session: Session, actor: Actor) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for t in list_terms(session, actor):
        writer.writerow(safe_row((t.term, t.acronym, t.definition)))
    return out.getvalue()


def import_csv(session: Session, actor: Actor, data: bytes) -> int:
    """Add or update terms from CSV (term, acronym, definition); all rows valid or none saved."""
    check(actor, Action.EDIT_GLOSSARY)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed([Problem("file", "The file is not UTF-8 text.")]) from exc
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("term", "definition") if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationFailed([Problem("file", f"Missing columns: {', '.join(missing)}.")])
    rows = [{k: restored(v or "") for k, v in row.items() if k} for row in reader]
    problems = [
        Problem(f"row {n}", p.message)
        for n, row in enumerate(rows, start=2)
        for p in _term_problems(
            row.get("term") or "", row.get("acronym") or "", row.get("definition") or ""
        )
    ]
    if problems:
        raise ValidationFailed(problems)
    for row in rows:
        save_term(
            session,
            actor,
            term=row["term"],
            definition=row["definition"],
            acronym=row.get("acronym") or "",
        )
    return len(rows)
