"""The department's proposals: those it asks for (outgoing) and those asked of it (incoming)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.proposals.basket import basket_field_ids
from accord.proposals.form import PATHS
from accord.proposals.states import ProposalState
from accord.proposals.work import list_proposals
from accord.web.deps import MAX_ID, DbSession, require
from accord.web.pages.proposals.elsewhere import may_request
from accord.web.pages.proposals.views import state_words
from accord.web.render import render

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Actor, Depends(require(Action.VIEW_PROPOSALS))]
PAGE_SIZE = 50
TABS = {
    "": "All",
    "recipient": "Outgoing: we request data",
    "provider": "Incoming: data asked of us",
}
SHORT_PATHS = {"idea": "IDEA (statewide)", "chhs": "CalHHS intra-agency"}


@router.get("/proposals")
def proposals_page(
    request: Request,
    session: DbSession,
    actor: Viewer,
    side: str = "",
    state: str = "",
    page: Annotated[int, Query(ge=1, le=MAX_ID // PAGE_SIZE)] = 1,
) -> Response:
    side = side if side in TABS else ""
    state = state if state in {s.value for s in ProposalState} else ""
    rows, total = list_proposals(
        session,
        actor,
        state=state or None,
        side=side or None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    requesting = may_request(session, actor)
    return render(
        request,
        "proposals/list.html",
        {
            "rows": rows,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
            "side": side,
            "state": state,
            "tabs": TABS,
            "states": [(s.value, s.label) for s in ProposalState],
            "state_words": state_words,
            "path_names": {k: SHORT_PATHS.get(k, p.name) for k, p in PATHS.items()},
            "request_ok": requesting,
            "basket_size": len(basket_field_ids(session, actor)) if requesting else 0,
        },
    )
