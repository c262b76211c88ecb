"""A proposal's versions and their comparison, and its public-records release (HTML, JSON)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.db.engine import transaction
from accord.proposals.access import load
from accord.proposals.drafting import diff, versions
from accord.proposals.form import BY_KEY
from accord.proposals.records import public_record, to_html
from accord.web.deps import MAX_ID, DbSession, RowId, get_settings, require
from accord.web.pages.proposals.views import audit_reads, restricted_readers, shown_answer
from accord.web.render import render

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Actor, Depends(require(Action.VIEW_PROPOSALS))]
Number = Annotated[int | None, Query(ge=1, le=MAX_ID)]
# The release is a document of its own, to print or send: its one inline style sheet is all
# it may load (no script, no other source, no form).
RECORD_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'none'"
)


@router.get("/proposals/{proposal_id:int}/versions")
def versions_page(
    request: Request,
    session: DbSession,
    actor: Viewer,
    proposal_id: RowId,
    a: Number = None,
    b: Number = None,
) -> Response:
    """Every saved version, and two of them compared question by question."""
    proposal = load(session, actor, proposal_id)
    saved = versions(session, actor, proposal_id)
    numbers = [v.number for v in saved]
    newest = numbers[-1] if numbers else proposal.version
    b = b if b in numbers else newest
    a = a if a in numbers else max(1, b - 1)
    changes, added, removed = diff(session, actor, proposal_id, a, b) if a != b else ([], [], [])
    shown = sorted(
        c.key for c in changes if not c.restricted and c.key in BY_KEY and BY_KEY[c.key].restricted
    )
    audit_reads(request, session, actor, proposal_id, [f"version:{k}" for k in shown])
    return render(
        request,
        "proposals/versions.html",
        {
            "p": proposal,
            "versions": list(reversed(saved)),
            "a": a,
            "b": b,
            "changes": changes,
            "added": added,
            "removed": removed,
            "shown_answer": lambda key, value: (
                shown_answer(BY_KEY[key], str(value)) if key in BY_KEY else str(value)
            ),
            "readers": lambda key: restricted_readers(BY_KEY.get(key)),
        },
    )


@router.get("/proposals/{proposal_id:int}/public-record")
def public_record_page(request: Request, actor: Viewer, proposal_id: RowId) -> Response:
    """The release under the Public Records Act, as a page to print. Making one is audited,
    so it runs in a write transaction of its own."""
    with transaction(get_settings(request)) as session:
        record = public_record(session, actor, proposal_id)
    return HTMLResponse(to_html(record), headers={"Content-Security-Policy": RECORD_CSP})


@router.get("/proposals/{proposal_id:int}/public-record.json")
def public_record_json(request: Request, actor: Viewer, proposal_id: RowId) -> Response:
    with transaction(get_settings(request)) as session:
        record = public_record(session, actor, proposal_id)
    name = f"proposal-{proposal_id}-public-record.json"
    return JSONResponse(
        record,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
