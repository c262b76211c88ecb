"""What other departments read of a field (issue 15, item 5): its description as its reviewer
last published it, never a draft; and none of what harvests bring in beside it (the source's
comment, which drafts are often made from, and what the last harvest found changed).

The home department reads every field as it stands. Everyone else gets ``AsPublished``, a
read-only stand-in that pages, exports and the API read as they read the field, so no
template or schema has to know whom it renders for.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.permissions import Action, can
from accord.catalog.models import CatalogField, PublishedDescription
from accord.db.base import utcnow

DESCRIPTION = ("label", "definition", "valid_values", "standard_element", "tags")
# what harvests bring in, read by the home department only like the harvests themselves: the
# source's comment, and what the last harvest found changed (and asks the home staff to review)
WITHHELD: dict[str, object] = {
    "source_comment": "",
    "drift": "",
    "drift_note": "",
    "review_needed": False,
}


class AsPublished:
    """A field with its published description in place of the current one ("" when none was
    ever published). It cannot be changed, so it can never be flushed back as the field."""

    __slots__ = ("_field", "_published")

    def __init__(self, field: CatalogField, published: PublishedDescription | None) -> None:
        object.__setattr__(self, "_field", field)
        object.__setattr__(self, "_published", published)

    def __getattr__(self, name: str) -> Any:
        if name in DESCRIPTION:
            published = self._published
            return "" if published is None else getattr(published, name)
        if name in WITHHELD:
            return WITHHELD[name]
        return getattr(self._field, name)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{name}: a field as other departments read it cannot be changed")


def fingerprint(field: CatalogField) -> str:
    """A short digest of the description as it stands: the review form carries the one its
    reviewer read, so what they publish is what they read (see describing)."""
    text = json.dumps([getattr(field, part) for part in DESCRIPTION])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def reads_drafts(actor: Actor) -> bool:
    return can(actor, Action.VIEW_DRAFTS)


def has_definition(published: bool) -> ColumnElement[bool]:
    """SQL: the field has a definition, as draft readers read it or (``published``) as other
    departments do; completeness figures and the order by them count the same one."""
    if not published:
        return CatalogField.definition != ""
    return exists().where(
        PublishedDescription.field_id == CatalogField.id,
        PublishedDescription.definition != "",
    )


def as_read_by(
    session: Session, actor: Actor, fields: Sequence[CatalogField]
) -> list[CatalogField]:
    """The fields as ``actor`` may read them: one query for the published text of all of them.

    Typed as fields because every reader treats the stand-in as one (it has all their
    attributes); code that changes fields must load them itself, never through here.
    """
    if reads_drafts(actor) or not fields:
        return list(fields)
    return as_published(session, fields)


def as_published(session: Session, fields: Sequence[CatalogField]) -> list[CatalogField]:
    """The fields as other departments read them, whoever asks: for what leaves the
    department (a delivered package's dictionary)."""
    published = published_of(session, [f.id for f in fields])
    return [cast(CatalogField, AsPublished(f, published.get(f.id))) for f in fields]


def read_by(session: Session, actor: Actor, field: CatalogField) -> CatalogField:
    return as_read_by(session, actor, [field])[0]


def published_of(session: Session, field_ids: list[int]) -> dict[int, PublishedDescription]:
    if not field_ids:
        return {}
    rows = session.scalars(
        select(PublishedDescription).where(PublishedDescription.field_id.in_(field_ids))
    )
    return {p.field_id: p for p in rows}


def publish(session: Session, field: CatalogField, by: str) -> None:
    """The field's description as it stands becomes what other departments read."""
    row = session.get(PublishedDescription, field.id)
    if row is None:
        row = PublishedDescription(field_id=field.id)
        session.add(row)
    for part in DESCRIPTION:
        setattr(row, part, getattr(field, part))
    row.published_by, row.published_at = by, utcnow()
