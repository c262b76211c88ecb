"""The request basket: fields someone picks in the catalog before starting a proposal.

It is kept in the database per user, so it lasts across pages, sign-ins and devices. Adding a
dataset adds its current fields; the proposal later takes the basket's fields and empties it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.permissions import Action, check
from accord.catalog.models import CatalogField, Dataset
from accord.catalog.published import as_read_by
from accord.errors import NotFound, Problem, ValidationFailed
from accord.proposals.models import BasketItem

MAX_ITEMS = 2_000  # one proposal asks for a bounded set of fields (minimum necessary)


@dataclass(frozen=True)
class BasketLine:
    field_id: int
    dataset_id: int
    dataset: str
    field: str
    label: str
    removed: bool  # the field has left the catalog since it was picked
    dataset_title: str = ""


def _user(actor: Actor) -> int:
    if actor.user_id is None:
        raise ValidationFailed([Problem("basket", "Only a signed-in person has a basket.")])
    return actor.user_id


def basket(session: Session, actor: Actor) -> list[BasketLine]:
    check(actor, Action.DRAFT_PROPOSALS)
    rows = session.execute(
        select(CatalogField, Dataset)
        .join(BasketItem, BasketItem.field_id == CatalogField.id)
        .join(Dataset, Dataset.id == CatalogField.dataset_id)
        .where(BasketItem.user_id == _user(actor))
        .order_by(Dataset.name, CatalogField.position, CatalogField.name)
    ).all()
    shown = as_read_by(session, actor, [f for f, _ in rows])
    return [
        BasketLine(
            f.id,
            d.id,
            d.name,
            f.name,
            f.label,
            f.removed_at is not None or d.removed_at is not None,
            d.title,
        )
        for f, (_, d) in zip(shown, rows, strict=True)
    ]


def basket_field_ids(session: Session, actor: Actor) -> set[int]:
    """What the catalog pages mark as already in the basket."""
    if actor.user_id is None:
        return set()
    return set(
        session.scalars(select(BasketItem.field_id).where(BasketItem.user_id == actor.user_id))
    )


def add_to_basket(
    session: Session,
    actor: Actor,
    *,
    dataset_id: int | None = None,
    field_ids: list[int] | None = None,
) -> int:
    """Add the given fields, or every current field of a dataset; returns how many were new."""
    check(actor, Action.DRAFT_PROPOSALS)
    user_id = _user(actor)
    wanted = set(field_ids or [])
    if dataset_id is not None:
        if session.get(Dataset, dataset_id) is None:
            raise NotFound(f"No dataset {dataset_id}.")
        wanted |= set(
            session.scalars(
                select(CatalogField.id).where(
                    CatalogField.dataset_id == dataset_id, CatalogField.removed_at.is_(None)
                )
            )
        )
    found = set(
        session.scalars(
            select(CatalogField.id).where(
                CatalogField.id.in_(wanted), CatalogField.removed_at.is_(None)
            )
        )
    )
    if wanted - found:
        missing = ", ".join(str(i) for i in sorted(wanted - found)[:10])
        raise NotFound(f"No field {missing} in the catalog.")
    new = found - basket_field_ids(session, actor)
    total = len(basket_field_ids(session, actor)) + len(new)
    if total > MAX_ITEMS:
        raise ValidationFailed(
            [Problem("basket", f"A basket holds at most {MAX_ITEMS:,} fields; ask for fewer.")]
        )
    session.add_all(BasketItem(user_id=user_id, field_id=i) for i in sorted(new))
    if new:
        audit.record(session, actor, "basket.add", "user", user_id, after=sorted(new))
    return len(new)


def remove_from_basket(session: Session, actor: Actor, field_ids: list[int] | None = None) -> int:
    """Remove the given fields, or empty the basket when none are given."""
    check(actor, Action.DRAFT_PROPOSALS)
    user_id = _user(actor)
    query = delete(BasketItem).where(BasketItem.user_id == user_id)
    if field_ids is not None:
        query = query.where(BasketItem.field_id.in_(field_ids))
    removed = session.execute(query).rowcount or 0  # type: ignore[attr-defined]
    if removed:
        audit.record(session, actor, "basket.remove", "user", user_id, before=field_ids or "all")
    return removed
