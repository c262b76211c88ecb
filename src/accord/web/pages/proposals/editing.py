"""Answering the form: every question by section, with its help and when it is required.

Every save is a new version, based on the version the person opened (``base_version``). When
someone else saved in the meantime the service refuses the save (Conflict); the form is then
shown again with nothing lost: what the person typed is kept, answers only the other person
changed are brought in, and where both changed the same answer the other person's text is
shown beside theirs to reconcile. Saving again then builds on the newest version.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.errors import AccordError, Conflict, Problem, ValidationFailed
from accord.lifecycle import InvalidTransition
from accord.proposals.access import restricted_read
from accord.proposals.drafting import save_answers, versions
from accord.proposals.overview import overview
from accord.web.deps import DbSession, RowId, csrf_protect, require
from accord.web.forms import submit
from accord.web.pages.proposals.forms import QUESTION_PREFIX, Posted, done, prefixed
from accord.web.pages.proposals.views import (
    NEXT_STEP_WORDS,
    answer_sections,
    audit_reads,
    may_edit,
    problem_label,
    state_words,
)
from accord.web.render import render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

Editor = Annotated[Actor, Depends(require(Action.EDIT_PROPOSALS))]


@dataclass(frozen=True)
class Merge:
    """The form after a conflict: the values to show, and what the other person changed."""

    values: dict[str, str]
    theirs: dict[str, str]  # both changed: the other person's saved text, shown beside
    brought_in: list[str]  # only the other person changed: their text is now in the box
    saved_by: str
    opened: int  # the version the person had opened


def _base_answers(session: Session, actor: Actor, proposal_id: int, number: int) -> dict[str, str]:
    found = next((v for v in versions(session, actor, proposal_id) if v.number == number), None)
    return {k: str(v) for k, v in (found.answers if found else {}).items()}


def _same(a: str, b: str) -> bool:
    return a.strip() == b.strip()


def merge(
    mine: dict[str, str], base: dict[str, str], current: dict[str, str], keys: list[str]
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """Three-way: keep what the person changed, take what only the other person changed, and
    name the answers both changed (the person's text is kept, the other's shown beside)."""
    values, theirs, brought_in = {}, {}, []
    for key in keys:
        m, b, c = mine.get(key, ""), base.get(key, ""), current.get(key, "")
        if _same(m, b):
            values[key] = c
            if not _same(c, b):
                brought_in.append(key)
        else:
            values[key] = m
            if not _same(c, b) and not _same(c, m):
                theirs[key] = c
    return values, theirs, brought_in


def _edit_page(
    request: Request,
    session: Session,
    actor: Actor,
    proposal_id: int,
    *,
    values: dict[str, str] | None = None,
    base_version: int | None = None,
    note: str = "",
    status: int = 200,
    problems: list[Problem] | None = None,
    merged: Merge | None = None,
) -> Response:
    view = overview(session, actor, proposal_id)
    proposal = view.proposal
    sections = answer_sections(view, actor)
    shown = {r.key: r.raw for _, rows in sections for r in rows if r.readable}
    editable = may_edit(proposal, actor)
    errors: dict[str, list[str]] = {}
    for p in problems or []:
        errors.setdefault(p.field, []).append(p.message)
    audit_reads(
        request, session, actor, proposal.id, restricted_read(actor, proposal) if editable else []
    )
    return render(
        request,
        "proposals/edit.html",
        {
            "view": view,
            "p": proposal,
            "editable": editable,
            "state_label": state_words(proposal.path, proposal.state),
            "sections": sections,
            "withheld": sum(1 for _, rows in sections for r in rows if not r.readable),
            "values": shown | (values or {}),
            "base_version": base_version or proposal.version,
            "note": note,
            "errors": errors,
            "problems": problems or [],
            "problem_label": problem_label,
            "merged": merged,
            "labels": {r.key: r.label for _, rows in sections for r in rows},
            "next_words": NEXT_STEP_WORDS,
            "prefix": QUESTION_PREFIX,
        },
        status_code=status,
    )


@router.get("/proposals/{proposal_id:int}/edit")
def edit_page(request: Request, session: DbSession, actor: Editor, proposal_id: RowId) -> Response:
    return _edit_page(request, session, actor, proposal_id)


@router.post("/proposals/{proposal_id:int}/edit")
def edit_save(
    request: Request, session: DbSession, actor: Editor, proposal_id: RowId, posted: Posted
) -> Response:
    mine = prefixed(posted, QUESTION_PREFIX)
    note = posted.get("note", "")
    try:
        base_version = int(posted.get("base_version", ""))
    except ValueError:
        problem = Problem("base_version", "Reload the page and try again.")
        raise ValidationFailed([problem]) from None
    base = _base_answers(session, actor, proposal_id, base_version)
    # What the person changed since the version they opened; if someone saved since, the
    # service refuses and ``merge`` keeps these and takes the other person's other changes.
    changes = {k: v for k, v in mine.items() if not _same(v, base.get(k, ""))}
    if not changes:
        return done(f"/proposals/{proposal_id}", "unchanged")

    def again(exc: AccordError) -> Response:
        if isinstance(exc, InvalidTransition) or not isinstance(exc, Conflict):
            return _edit_page(
                request,
                session,
                actor,
                proposal_id,
                values=mine,
                base_version=base_version,
                note=note,
                status=exc.status,
                problems=exc.listed(),
            )
        return _after_conflict(request, session, actor, proposal_id, mine, base, base_version, note)

    return submit(
        session,
        lambda: save_answers(
            session, actor, proposal_id, changes, base_version=base_version, note=note
        ),
        done=lambda _: done(f"/proposals/{proposal_id}", "saved"),
        again=again,
        refused=(ValidationFailed, Conflict),
    )


def _after_conflict(
    request: Request,
    session: Session,
    actor: Actor,
    proposal_id: int,
    mine: dict[str, str],
    base: dict[str, str],
    opened: int,
    note: str,
) -> Response:
    """Someone saved meanwhile: show the form again on the newest version, nothing lost. The
    service's message says to reload and type again; this page does better, so it is not shown."""
    history = versions(session, actor, proposal_id)
    latest = history[-1]
    current = {k: str(v) for k, v in latest.answers.items()}
    values, theirs, brought_in = merge(mine, base, current, list(mine))
    return _edit_page(
        request,
        session,
        actor,
        proposal_id,
        values=values,
        base_version=latest.number,
        note=note,
        status=Conflict.status,
        merged=Merge(values, theirs, brought_in, latest.saved_by, opened),
    )
