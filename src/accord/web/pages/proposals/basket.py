"""The request basket: fields picked in the catalog, and starting a proposal from them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.errors import Problem
from accord.proposals import drafting
from accord.proposals.basket import add_to_basket, basket, remove_from_basket
from accord.proposals.form import DEFAULT_PATH, PATHS
from accord.web.deps import MAX_ID, DbSession, csrf_protect, require
from accord.web.forms import submit
from accord.web.pages.proposals.elsewhere import may_request
from accord.web.pages.proposals.forms import done, notice, same_site
from accord.web.render import render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

Drafter = Annotated[Actor, Depends(require(Action.DRAFT_PROPOSALS))]
Ids = Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None, Form()]


def _basket_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    status: int = 200,
    problems: list[Problem] | None = None,
    start: dict[str, str] | None = None,
) -> Response:
    lines = basket(session, actor)
    return render(
        request,
        "proposals/basket.html",
        {
            "lines": lines,
            "datasets": sorted({(line.dataset_id, line.dataset) for line in lines}),
            "request_ok": may_request(session, actor),
            "home": drafting.home_department(session),
            "paths": PATHS,
            "start": start or {"use_case_name": "", "path": DEFAULT_PATH, "program": ""},
            "problems": problems or [],
            "notice": notice(request),
        },
        status_code=status,
    )


@router.get("/basket")
def basket_page(request: Request, session: DbSession, actor: Drafter) -> Response:
    return _basket_page(request, session, actor)


@router.post("/basket/add")
def basket_add(
    session: DbSession,
    actor: Drafter,
    dataset_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
    field_ids: Ids = None,
    back: Annotated[str, Form()] = "/basket",
) -> Response:
    """Add a whole dataset or the ticked fields, then go back to the catalog page."""
    added = add_to_basket(session, actor, dataset_id=dataset_id, field_ids=field_ids or [])
    target = same_site(back, "/basket")
    outcome = "added" if added else "already"
    return RedirectResponse(f"{target}?basket={outcome}#request", status_code=303)


@router.post("/basket/remove")
def basket_remove(
    session: DbSession,
    actor: Drafter,
    field_ids: Ids = None,
    everything: Annotated[bool, Form()] = False,
) -> Response:
    if everything:
        remove_from_basket(session, actor)
        return done("/basket", "basket_emptied")
    remove_from_basket(session, actor, field_ids or [])
    return done("/basket", "basket_removed")


@router.post("/basket/start")
def basket_start(
    request: Request,
    session: DbSession,
    actor: Drafter,
    use_case_name: Annotated[str, Form(max_length=300)] = "",
    path: Annotated[str, Form(max_length=16)] = DEFAULT_PATH,
    program: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Start a proposal with the basket's fields; the basket is then empty."""
    posted = {"use_case_name": use_case_name, "path": path, "program": program}
    return submit(
        session,
        lambda: drafting.start_proposal(
            session, actor, use_case_name=use_case_name, path=path, program=program
        ),
        done=lambda proposal: done(f"/proposals/{proposal.id}", "started"),
        again=lambda exc: _basket_page(
            request, session, actor, status=exc.status, problems=exc.listed(), start=posted
        ),
    )
