"""What is done on a proposal's page: lifecycle moves, the requested fields and their legal
authority, comments and change requests, opinions and concerns, signatures and final reviews.

Each handler calls one service through ``submit``: on success it goes back to the place on
the page where the form was (a notice says what happened); when the service refuses, the
page is shown again with the problems at that form and the typed text kept. Each route's
guard is the role part of its action; the service checks the relation and the state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.errors import AccordError
from accord.proposals import drafting, reviews
from accord.web.deps import MAX_ID, DbSession, RowId, csrf_protect, require
from accord.web.forms import submit
from accord.web.pages.proposals.forms import AUTHORITY_PREFIX, Posted, done, prefixed
from accord.web.pages.proposals.page import show

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)


Viewer = Annotated[Actor, Depends(require(Action.VIEW_PROPOSALS))]
Drafter = Annotated[Actor, Depends(require(Action.SEND_PROPOSALS))]
Marker = Annotated[Actor, Depends(require(Action.MARK_MINIMUM_NECESSARY))]
Commenter = Annotated[Actor, Depends(require(Action.COMMENT_PROPOSALS))]
Editor = Annotated[Actor, Depends(require(Action.EDIT_PROPOSALS))]
Decider = Annotated[Actor, Depends(require(Action.DECIDE_CHANGES))]
Reviewer = Annotated[Actor, Depends(require(Action.REGISTER_OPINIONS))]
Sponsor = Annotated[Actor, Depends(require(Action.SIGN_PROPOSALS))]
Coordinator = Annotated[Actor, Depends(require(Action.FINAL_REVIEW))]
Text = Annotated[str, Form(max_length=20_000)]
Line = Annotated[str, Form(max_length=200)]


def _act(
    request: Request,
    session: Session,
    actor: Actor,
    proposal_id: int,
    change: Callable[[], object],
    *,
    notice: str | Callable[[Any], str],
    anchor: str,
    posted: dict[str, Any] | None = None,
) -> Response:
    """Run one service call; go back to ``anchor`` on the page, or show the page again with
    the problems at the form named ``anchor``."""

    def again(exc: AccordError) -> Response:
        return show(
            request,
            session,
            actor,
            proposal_id,
            status=exc.status,
            failed=anchor,
            problems=exc.listed(),
            posted=posted,
        )

    return submit(
        session,
        change,
        done=lambda result: done(
            f"/proposals/{proposal_id}",
            notice(result) if callable(notice) else notice,
            anchor,
        ),
        again=again,
    )


@router.post("/proposals/{proposal_id:int}/move")
def move(
    request: Request,
    session: DbSession,
    actor: Viewer,
    proposal_id: RowId,
    verb: Annotated[str, Form(max_length=32)],
    note: Text = "",
) -> Response:
    """One lifecycle move; its own action is checked by the lifecycle."""
    return _act(
        request,
        session,
        actor,
        proposal_id,
        lambda: drafting.transition(session, actor, proposal_id, verb, note),
        notice=f"move_{verb}",
        anchor="next",
        posted={"verb": verb, "note": note},
    )


# --- requested fields and legal authority ------------------------------------------------------


@router.post("/proposals/{proposal_id:int}/elements/{element_id:int}/removed")
def element_removed(
    request: Request,
    session: DbSession,
    actor: Drafter,
    proposal_id: RowId,
    element_id: RowId,
    removed: Annotated[bool, Form()],
) -> Response:
    return _act(
        request,
        session,
        actor,
        proposal_id,
        lambda: drafting.set_removed(session, actor, proposal_id, element_id, removed),
        notice="element_removed" if removed else "element_restored",
        anchor=f"element-{element_id}",
    )


@router.post("/proposals/{proposal_id:int}/elements/{element_id:int}/mark")
def element_mark(
    request: Request,
    session: DbSession,
    actor: Marker,
    proposal_id: RowId,
    element_id: RowId,
    reason: Text = "",
) -> Response:
    """The provider marks a field the use does not need; an empty reason clears the mark."""
    return _act(
        request,
        session,
        actor,
        proposal_id,
        lambda: drafting.mark_not_needed(session, actor, proposal_id, element_id, reason),
        notice="marked" if reason.strip() else "unmarked",
        anchor=f"element-{element_id}",
        posted={"reason": reason},
    )


@router.post("/proposals/{proposal_id:int}/elements/{element_id:int}/justify")
def element_justify(
    request: Request,
    session: DbSession,
    actor: Drafter,
    proposal_id: RowId,
    element_id: RowId,
    justification: Text = "",
) -> Response:
    return _act(
        request,
        session,
        actor,
        proposal_id,
        lambda: drafting.justify(session, actor, proposal_id, element_id, justification),
        notice="justified",
        anchor=f"element-{element_id}",
        posted={"justification": justification},
    )


@router.post("/proposals/{proposal_id:int}/authority")
def authority(
    request: Request, session: DbSession, actor: Drafter, proposal_id: RowId, posted: Posted
) -> Response:
    """The requester's legal authority, one statement per governing statute or class."""
    statements = prefixed(posted, AUTHORITY_PREFIX)
    return _act(
        request,
        session,
        actor,
        proposal_id,
        lambda: drafting.state_authority(session, actor, proposal_id, statements),
        notice="authority_saved",
        anchor="authority",
        posted={"statements": statements},
    )


# --- discussion --------------------------------------------------------------------------------


@router.post("/proposals/{proposal_id:int}/comments")
def comment(
    request: Request,
    session: DbSession,
    actor: Commenter,
    proposal_id: RowId,
    body: Text = "",
    question: Annotated[str, Form(max_length=64)] = "",
    parent_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
) -> Response:
    """A comment on the proposal or one question, or a reply in a thread."""
    if parent_id is not None:
        anchor = f"comment-{parent_id}"
    else:
        anchor = f"q-{question}" if question else "discussion"
    return _act(
        request,
        session,
        actor,
        proposal_id,
        lambda: reviews.add_comment(
            session, actor, proposal_id, body, question=question, parent_id=parent_id
        ),
        notice="commented",
        anchor=anchor,
        posted={"body": body},
    )


@router.post("/proposals/{proposal_id:int}/changes")
def change_request(
    request: Request,
    session: DbSession,
    actor: Editor,
    proposal_id: RowId,
    question: Annotated[str, Form(max_length=64)] = "",
    proposed: Text = "",
    reason: Text = "",
) -> Response:
    return _act(
        request,
        session,
        actor,
        proposal_id,
        lambda: reviews.request_change(
            session, actor, proposal_id, question, proposed.replace("\r\n", "\n"), reason
        ),
        notice="change_requested",
        anchor="changes",
        posted={"question": question, "proposed": proposed, "reason": reason},
    )


@router.post("/proposals/{proposal_id:int}/changes/{change_id:int}/decide")
def change_decide(
    request: Request,
    session: DbSession,
    actor: Decider,
    proposal_id: RowId,
    change_id: RowId,
    decision: Annotated[str, Form(pattern="^(accept|decline)$")],
    note: Text = "",
) -> Response:
    accept = decision == "accept"
    return _act(
        request,
        session,
        actor,
        proposal_id,
        lambda: reviews.decide_change(session, actor, proposal_id, change_id, accept, note),
        notice="change_accepted" if accept else "change_declined",
        anchor=f"change-{change_id}",
        posted={"note": note},
    )


# --- opinions and concerns ---------------------------------------------------------------------


@router.post("/proposals/{proposal_id:int}/opinions")
def opinion(
    request: Request,
    session: DbSession,
    actor: Reviewer,
    proposal_id: RowId,
    text: Text = "",
    area: Annotated[str | None, Form(max_length=16)] = None,
) -> Response:
    return _act(
        request,
        session,
        actor,
        proposal_id,
        lambda: reviews.register_opinion(session, actor, proposal_id, text, area=area or None),
        notice="opinion_registered",
        anchor="opinions",
        posted={"text": text, "area": area},
    )


@router.post("/proposals/{proposal_id:int}/concerns")
def concern(
    request: Request,
    session: DbSession,
    actor: Reviewer,
    proposal_id: RowId,
    text: Text = "",
    area: Annotated[str | None, Form(max_length=16)] = None,
) -> Response:
    return _act(
        request,
        session,
        actor,
        proposal_id,
        lambda: reviews.raise_concern(session, actor, proposal_id, text, area=area or None),
        notice="concern_raised",
        anchor="concerns",
        posted={"concern": text, "concern_area": area},
    )


@router.post("/proposals/{proposal_id:int}/concerns/{concern_id:int}/answer")
def concern_answer(
    request: Request,
    session: DbSession,
    actor: Commenter,
    proposal_id: RowId,
    concern_id: RowId,
    answer: Text = "",
) -> Response:
    return _act(
        request,
        session,
        actor,
        proposal_id,
        lambda: reviews.answer_concern(session, actor, proposal_id, concern_id, answer),
        notice="concern_answered",
        anchor=f"concern-{concern_id}",
        posted={"answer": answer},
    )


@router.post("/proposals/{proposal_id:int}/concerns/{concern_id:int}/resolve")
def concern_resolve(
    request: Request,
    session: DbSession,
    actor: Reviewer,
    proposal_id: RowId,
    concern_id: RowId,
    note: Text = "",
) -> Response:
    return _act(
        request,
        session,
        actor,
        proposal_id,
        lambda: reviews.resolve_concern(session, actor, proposal_id, concern_id, note),
        notice="concern_resolved",
        anchor=f"concern-{concern_id}",
        posted={"note": note},
    )


# --- signatures --------------------------------------------------------------------------------


@router.post("/proposals/{proposal_id:int}/sign")
def sign(
    request: Request,
    session: DbSession,
    actor: Sponsor,
    proposal_id: RowId,
    title: Line = "",
    attest: Annotated[bool, Form()] = False,
) -> Response:
    return _act(
        request,
        session,
        actor,
        proposal_id,
        lambda: reviews.sign(session, actor, proposal_id, title=title, attest=attest),
        notice="signed",
        anchor="signatures",
        posted={"title": title, "attest": attest},
    )


@router.post("/proposals/{proposal_id:int}/final-review")
def final_review(
    request: Request,
    session: DbSession,
    actor: Coordinator,
    proposal_id: RowId,
    title: Line = "Data coordinator",
    confirm: Annotated[bool, Form()] = False,
) -> Response:
    return _act(
        request,
        session,
        actor,
        proposal_id,
        lambda: reviews.final_review(session, actor, proposal_id, title=title, confirm=confirm),
        notice="final_reviewed",
        anchor="signatures",
        posted={"review_title": title, "confirm": confirm},
    )
