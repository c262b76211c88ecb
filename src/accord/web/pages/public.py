"""The public request-data page (MISSION.md, play 7): no sign-in; what it shows is decided in
``accord.catalog.public_listing``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from accord.catalog.public_listing import public_listing
from accord.web.deps import MAX_ID, DbSession, optional_actor, public
from accord.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/request-data", dependencies=[Depends(public())])
def request_data(
    request: Request,
    session: DbSession,
    q: Annotated[str, Query(max_length=200)] = "",
    program: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=MAX_ID // 1000)] = 1,
) -> Response:
    # the same page for everyone; someone signed in keeps their navigation
    request.state.actor = optional_actor(request)
    listing = public_listing(session, text=q, program=program, page=page)
    kept = {k: v.strip() for k, v in {"q": q, "program": program}.items() if v.strip()}
    return render(
        request,
        "public/request_data.html",
        {
            "listing": listing,
            "q": q.strip(),
            "program": program.strip(),
            "page": page,
            "query": urlencode(kept),
        },
    )
