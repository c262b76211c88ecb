"""What the catalog pages show of the describe workflow: completeness, open suggestions,
a field's review status, hints and suggestions.

The catalog handlers (``datasets``, ``sources``) add these to their
templates' context, and the describe handlers (``describe``) re-render those pages; a
module of its own keeps the two from importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.permissions import Action, Relation, can
from accord.catalog import describing, suggestions
from accord.catalog.describing import Completeness
from accord.catalog.fields import vocabulary
from accord.catalog.models import CatalogField, FieldWork
from accord.catalog.published import fingerprint

STATUS_LABELS = {"draft": "Draft", "in_review": "In review", "published": "Published"}


@dataclass(frozen=True, slots=True)
class DescribeProgress:
    """One dataset's completeness, its shares as whole percentages, and how many
    suggestions wait for a decision (None for those who may not see suggestions: "none
    waiting" would be untrue). The percentages are worked out once, here: lists show one
    per row, and every step a template takes costs more than the arithmetic."""

    completeness: Completeness
    open_suggestions: int | None
    overall: int
    defined: int
    classified: int
    statute_checked: int

    @classmethod
    def of(cls, found: Completeness, open_suggestions: int | None) -> DescribeProgress:
        def percent(share: float) -> int:
            return round(100 * share)

        return cls(
            found,
            open_suggestions,
            overall=percent(found.overall),
            defined=percent(found.share(found.defined)),
            classified=percent(found.share(found.classified)),
            statute_checked=percent(found.share(found.statute_checked)),
        )


def progress_of(
    session: Session, actor: Actor, dataset_ids: list[int]
) -> dict[int, DescribeProgress]:
    """Two aggregate queries whatever the number of datasets (lists show one per row); open
    suggestions are counted for those who may see them."""
    if not dataset_ids:
        return {}
    found = describing.completeness(session, dataset_ids, actor)
    counts: dict[int, int | None] = (
        dict(suggestions.open_counts(session, dataset_ids))
        if can(actor, Action.VIEW_SUGGESTIONS)
        else dict.fromkeys(dataset_ids)
    )
    return {i: DescribeProgress.of(found[i], counts[i]) for i in dataset_ids}


def label_names(session: Session) -> dict[str, str]:
    """Classification code -> the words people read ("PII:ssn" -> "Social Security number")."""
    return {c.code: c.label for c in vocabulary(session)}


def dataset_context(
    session: Session, actor: Actor, dataset_id: int, field_ids: list[int]
) -> dict[str, Any]:
    """Completeness, each field's workflow row, the stewards one may assign, and the fields
    of this dataset assigned to the viewer that are described and ready to submit."""
    stewards = describing.list_stewards(session, actor)
    return {
        "ready": [
            f
            for f in describing.ready_to_submit(session, actor, dataset_id)
            if f.definition.strip()
        ],
        "progress": progress_of(session, actor, [dataset_id])[dataset_id],
        "work": describing.work_status(session, field_ids),
        "stewards": stewards,
        "steward_names": {u.id: u.username for u in stewards},
        "status_labels": STATUS_LABELS,
    }


def field_context(session: Session, actor: Actor, target: CatalogField) -> dict[str, Any]:
    """The field's place in the workflow, its definition hints and open suggestions."""
    work = describing.work_status(session, [target.id]).get(target.id)
    steward = ""
    if work is not None and work.steward_id is not None:
        name = describing.steward_name(session, actor, work.steward_id)
        steward = name or "a former steward"
    shown = work if work is not None else FieldWork(field_id=target.id, status="draft")
    return {
        "work": work,
        "work_status": shown.status,
        "moves": describing.DESCRIPTION.verbs(shown, actor),
        "own_submission": Relation.AUTHOR in shown.relations_to(actor),
        "seen": fingerprint(target),
        "steward": steward,
        "status_labels": STATUS_LABELS,
        "hints": describing.field_hints(session, actor, target.id),
        "suggestions": (
            suggestions.open_suggestions(session, actor, field_id=target.id)
            if can(actor, Action.VIEW_SUGGESTIONS)
            else []
        ),
        "label_names": label_names(session),
    }
