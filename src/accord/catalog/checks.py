"""The "definition of done" check a source system's CI can run (Play 6, keeping it current).

Given a registered source, or the URL of a database, list every field that lacks what the
department requires (a definition, a classification, a statute check). For a URL the live
structure is read, so a column added by a migration minutes ago is caught before the catalog
has even harvested it; what people wrote in the catalog still counts for known fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.permissions import Action, check
from accord.catalog.harvest.sql import harvest_database
from accord.catalog.models import (
    CatalogField,
    Dataset,
    FieldClassification,
    FieldStatute,
    FieldWork,
    Source,
)
from accord.errors import Problem, ValidationFailed

REQUIREMENTS = ("definition", "classification", "statute")


@dataclass(frozen=True)
class Missing:
    dataset: str
    field: str
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Known:
    definition: str
    classified: bool
    statute_checked: bool


def _known(session: Session, source_id: int) -> dict[tuple[str, str], Known]:
    classified = set(
        session.scalars(
            select(FieldClassification.field_id)
            .join(CatalogField)
            .join(Dataset)
            .where(Dataset.source_id == source_id)
        )
    )
    cited = set(
        session.scalars(
            select(FieldStatute.field_id)
            .join(CatalogField)
            .join(Dataset)
            .where(Dataset.source_id == source_id)
        )
    )
    checked = set(
        session.scalars(
            select(FieldWork.field_id)
            .join(CatalogField)
            .join(Dataset)
            .where(Dataset.source_id == source_id, FieldWork.statute_checked)
        )
    )
    rows = session.execute(
        select(CatalogField.id, Dataset.name, CatalogField.name, CatalogField.definition)
        .join(Dataset)
        .where(Dataset.source_id == source_id, CatalogField.removed_at.is_(None))
    ).all()
    return {
        (d, f): Known(definition, i in classified, i in cited or i in checked)
        for i, d, f, definition in rows
    }


def _source_for_url(session: Session, url: str) -> Source | None:
    bare = make_url(url)._replace(password=None).render_as_string(hide_password=False)
    return session.scalar(select(Source).where(Source.location == bare))


def check_metadata(
    session: Session,
    actor: Actor,
    target: str,
    require: tuple[str, ...] = ("definition", "classification"),
) -> list[Missing]:
    """Fields of ``target`` (a source name or a database URL) that lack a requirement.

    A check of the descriptions as they stand, drafts included: for those who read drafts."""
    check(actor, Action.VIEW_CATALOG)
    check(actor, Action.VIEW_DRAFTS)
    unknown = [r for r in require if r not in REQUIREMENTS]
    if unknown or not require:
        raise ValidationFailed([Problem("require", f"Choose from {', '.join(REQUIREMENTS)}.")])
    source = session.scalar(select(Source).where(Source.name == target))
    if source is not None:
        known = _known(session, source.id)
        fields = sorted(known)
        comments: dict[tuple[str, str], str] = {}
    else:
        # Reading a live database is a harvest: only those who may harvest point Accord at one.
        check(actor, Action.HARVEST)
        try:
            make_url(target)
        except ArgumentError as exc:
            raise ValidationFailed(
                [Problem("target", "Give a registered source name or a database URL.")]
            ) from exc
        harvest = harvest_database(target)
        matched = _source_for_url(session, target)
        known = _known(session, matched.id) if matched else {}
        comments = {(d.name, f.name): f.comment for d in harvest.datasets for f in d.fields}
        fields = list(comments)
    missing = []
    for key in fields:
        facts = known.get(key, Known(comments.get(key, ""), False, False))
        gaps = tuple(
            r
            for r in require
            if not (
                (r == "definition" and (facts.definition or comments.get(key, "")).strip())
                or (r == "classification" and facts.classified)
                or (r == "statute" and facts.statute_checked)
            )
        )
        if gaps:
            missing.append(Missing(key[0], key[1], gaps))
    return missing
