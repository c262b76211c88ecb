"""One proposal's page: where it stands, what this person may do now, the answers, the
requested fields, the legal authority, the discussion, the reviews, the signatures, the
history and, once approved, the agreement record.

``show`` builds it; the action handlers (``actions``) call it again when a service refuses a
post, with the problems next to the form that was sent and what was typed kept in it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.catalog.datasets import dataset_titles
from accord.errors import Problem
from accord.proposals.access import readable, readable_areas
from accord.proposals.form import AREA_LABELS, PATHS, QUESTIONS
from accord.proposals.models import ProposalComment
from accord.proposals.overview import overview
from accord.proposals.reviews import ATTESTATION, FINAL_REVIEW
from accord.proposals.states import ProposalState
from accord.web.deps import DbSession, RowId, require
from accord.web.pages.catalog.views import label_names
from accord.web.pages.proposals.files import attachments_context
from accord.web.pages.proposals.forms import notice, notice_at
from accord.web.pages.proposals.views import (
    KIND_LABELS,
    MOVE_HINTS,
    NEXT_STEP_WORDS,
    SIDE_LABELS,
    answer_sections,
    audit_reads,
    missing_opinions_words,
    move_labels,
    offers,
    problem_label,
    restricted_readers,
    stage_words,
    state_words,
    threads,
    waiting_for,
)
from accord.web.render import render

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Actor, Depends(require(Action.VIEW_PROPOSALS))]
SIGNING = frozenset(
    {
        ProposalState.AWAITING_SIGNATURES,
        ProposalState.AWAITING_DC_FINAL_REVIEW,
        ProposalState.APPROVED,
        ProposalState.FILED,
        ProposalState.DENIED,
    }
)
CHOICE_QUESTIONS = {q.key: dict(q.choices) for q in QUESTIONS if q.choices}


def show(
    request: Request,
    session: Session,
    actor: Actor,
    proposal_id: int,
    *,
    status: int = 200,
    failed: str = "",
    problems: list[Problem] | None = None,
    posted: dict[str, Any] | None = None,
) -> Response:
    """The proposal page. After a refused post, ``failed`` names the form that was sent (its
    problems are shown there) and ``posted`` keeps what was typed in it."""
    at = "" if failed else notice_at(request)
    view = overview(session, actor, proposal_id)
    by_question = threads(view.comments)
    may = offers(view, actor)
    proposal = view.proposal
    context = {
        "stage_words": stage_words(view),
        "move_hints": MOVE_HINTS,
        "question_labels": {q.key: view.path.label(q.key, q.label) for q in QUESTIONS},
        "problem_label": problem_label,
        "open_question": _open_question(view.comments, failed or at),
        "show_reviews": bool(
            view.opinions or view.concerns or view.missing_opinions or may.opinion_areas
        )
        or view.state in SIGNING,
        "show_signatures": bool(view.signatures) or view.state in SIGNING,
        "signed": {(s.department_id, s.kind): s for s in view.signatures},
        "class_names": label_names(session),
        "dataset_titles": dataset_titles(
            session,
            actor,
            [e.dataset_id for e in view.elements]
            + [e.dataset_id for e in (view.agreement.elements if view.agreement else [])],
        ),
        "opinions_readable": bool(readable_areas(actor, proposal)),
        "opinion_readers": restricted_readers(),
        "missing_opinions": missing_opinions_words(view),
        "view": view,
        "p": proposal,
        "sections": answer_sections(view, actor, by_question),
        "general": by_question.get("", []),
        "may": may,
        "move_labels": move_labels(),
        "next_words": NEXT_STEP_WORDS,
        "waiting": waiting_for(view),
        "side_labels": SIDE_LABELS,
        "kind_labels": KIND_LABELS,
        "area_labels": AREA_LABELS,
        "state_words": state_words,
        "questions": [
            (q.key, view.path.label(q.key, q.label))
            for q in QUESTIONS
            if proposal.path in q.paths and readable(actor, proposal, q.key)
        ],
        "choices": CHOICE_QUESTIONS,
        "attestation": ATTESTATION,
        "final_review_text": FINAL_REVIEW,
        "paths": PATHS,
        "failed": failed,
        "problems": problems or [],
        "posted": posted or {},
        # a notice about a form further down is shown there (``m.notice_here``), not on top
        "notice": None if at else notice(request),
        "local_notice": notice(request) if at else None,
        "notice_at": at,
    } | attachments_context(view)
    audit_reads(
        request,
        session,
        actor,
        proposal.id,
        view.restricted_shown,
    )
    return render(request, "proposals/proposal.html", context, status_code=status)


def _open_question(comments: list[ProposalComment], failed: str) -> str:
    """The question whose comments to show open: the one a refused comment was about."""
    if failed.startswith("q-"):
        return failed[2:]
    if failed.startswith("comment-"):
        parent = next((c for c in comments if f"comment-{c.id}" == failed), None)
        return parent.question if parent else ""
    return ""


@router.get("/proposals/{proposal_id:int}")
def proposal_page(
    request: Request, session: DbSession, actor: Viewer, proposal_id: RowId
) -> Response:
    return show(request, session, actor, proposal_id)
