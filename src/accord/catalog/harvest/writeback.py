"""Pushing definitions into the source database as column comments: the service (who may,
preview, confirm, audit). The dialect work (statements per database) is ``sql_writeback``.

Two steps: ``preview_write_back`` shows the exact statements and a digest of them;
``apply_write_back`` runs them only if the digest the person confirmed still matches, so what
runs is exactly what was shown.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.permissions import Action, check
from accord.catalog.harvest.sql import CommentTarget, apply_comments, comment_statements
from accord.catalog.models import CatalogField, Dataset, Source
from accord.catalog.sources import connection_url, get_source
from accord.errors import Conflict, Problem, ValidationFailed


@dataclass(frozen=True)
class WriteBackPlan:
    source: str
    targets: list[CommentTarget]
    field_ids: list[int]
    statements: list[str]

    @property
    def digest(self) -> str:
        return hashlib.sha256("\n".join(self.statements).encode()).hexdigest()


def _table_name(dataset: Dataset) -> str:
    prefix = f"{dataset.schema_name}."
    if dataset.schema_name and dataset.name.startswith(prefix):
        return dataset.name[len(prefix) :]
    return dataset.name


def _targets(session: Session, source: Source) -> tuple[list[CommentTarget], list[int]]:
    """Fields whose definition differs from the comment the source holds."""
    rows = session.execute(
        select(CatalogField, Dataset)
        .join(Dataset)
        .where(
            Dataset.source_id == source.id,
            Dataset.kind == "table",
            Dataset.removed_at.is_(None),
            CatalogField.removed_at.is_(None),
            CatalogField.definition != "",
            CatalogField.definition != CatalogField.source_comment,
        )
        .order_by(Dataset.name, CatalogField.position)
    ).all()
    targets = [(d.schema_name, _table_name(d), f.name, f.definition) for f, d in rows]
    return targets, [f.id for f, _ in rows]


def preview_write_back(
    session: Session, actor: Actor, key: bytes, source_name: str
) -> WriteBackPlan:
    check(actor, Action.WRITE_BACK)
    source = get_source(session, actor, source_name)
    if source.kind != "database":
        raise ValidationFailed([Problem("source", "Only database sources hold column comments.")])
    targets, ids = _targets(session, source)
    statements = comment_statements(connection_url(source, key), targets) if targets else []
    return WriteBackPlan(source.name, targets, ids, statements)


def apply_write_back(
    session: Session, actor: Actor, key: bytes, source_name: str, confirmed_digest: str
) -> WriteBackPlan:
    """Run the previewed statements; the catalog then records the comments as the source's."""
    plan = preview_write_back(session, actor, key, source_name)
    if not plan.statements:
        raise ValidationFailed([Problem("source", "Every definition already matches the source.")])
    if plan.digest != confirmed_digest:
        raise Conflict("The definitions changed since the preview; review the statements again.")
    source = get_source(session, actor, source_name)
    apply_comments(connection_url(source, key), plan.targets)
    by_id = {
        f.id: f
        for f in session.scalars(select(CatalogField).where(CatalogField.id.in_(plan.field_ids)))
    }
    for field_id, (_, _, _, definition) in zip(plan.field_ids, plan.targets, strict=True):
        by_id[field_id].source_comment = definition
    audit.record(
        session,
        actor,
        "source.write_back",
        "source",
        source.id,
        after={"statements": plan.statements},
    )
    return plan
