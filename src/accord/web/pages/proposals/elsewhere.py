"""Proposals as other pages show them: the catalog's "Add to a request" buttons and the
home page's tasks (moved out of ``views``, which builds the proposal pages themselves)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.permissions import Action, can
from accord.errors import NotFound
from accord.proposals.basket import basket_field_ids
from accord.proposals.drafting import home_department
from accord.proposals.form import AREA_LABELS
from accord.proposals.work import TASK_LABELS, my_work


def may_request(session: Session, actor: Actor) -> bool:
    """Whether this person can ask for the catalog's data: a drafter of another department
    (the department holding the catalog shares inside itself without a proposal)."""
    if not can(actor, Action.DRAFT_PROPOSALS) or actor.department_id is None:
        return False
    try:
        return home_department(session).id != actor.department_id
    except NotFound:
        return False


BASKET_NOTICES = {
    "added": "Added to your request.",
    "already": "Those fields were already in your request.",
}


def basket_context(request: Request, session: Session, actor: Actor) -> dict[str, Any]:
    """What a catalog page needs for its "Add to a request" buttons."""
    allowed = may_request(session, actor)
    note = BASKET_NOTICES.get(request.query_params.get("basket", "")) if allowed else None
    return {
        "request_ok": allowed,
        "in_basket": basket_field_ids(session, actor) if allowed else set(),
        "basket_notice": note,
    }


@dataclass(frozen=True)
class TaskGroup:
    kind: str
    label: str
    tasks: list[Any]

    @property
    def count(self) -> int:
        return len(self.tasks)


def home_work(session: Session, actor: Actor) -> dict[str, Any]:
    """The proposal tasks waiting for this person, for the home page."""
    groups = [
        TaskGroup(kind, TASK_LABELS[kind], tasks) for kind, tasks in my_work(session, actor).items()
    ]
    return {"proposal_work": groups, "area_labels": AREA_LABELS}
