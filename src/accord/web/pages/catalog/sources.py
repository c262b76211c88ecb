"""Source pages: registering sources, harvesting them with progress and cancellation, the
drift report, and writing definitions back to a database after a preview.

A harvest is a job: the page queues it and a worker process runs it; the pages only read the
run and its job. Included by ``datasets.router`` (prefix ``/catalog``).
"""

from __future__ import annotations

import json
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from accord.auth.actor import Actor
from accord.auth.permissions import Action, can
from accord.catalog.datasets import list_datasets
from accord.catalog.harvest import runs as harvesting
from accord.catalog.harvest.errors import SourceUnavailable, WriteBackNotSupported
from accord.catalog.harvest.sql_writeback import writes_back
from accord.catalog.harvest.writeback import apply_write_back, preview_write_back
from accord.catalog.sources import add_source, get_source, list_sources, source_facts
from accord.errors import Conflict, Problem, ValidationFailed
from accord.web.deps import (
    DbSession,
    RowId,
    get_settings,
    require,
)
from accord.web.forms import submit
from accord.web.pages.catalog import forms
from accord.web.pages.catalog.views import progress_of
from accord.web.render import render

log = logging.getLogger("accord.web")

router = APIRouter()

Viewer = Annotated[Actor, Depends(require(Action.VIEW_CATALOG))]
HarvestReader = Annotated[Actor, Depends(require(Action.VIEW_HARVESTS))]


def _sources_page(
    request: Request,
    session: DbSession,
    actor: Actor,
    status: int = 200,
    problems: list[Problem] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "catalog/sources.html",
        {
            "sources": [(s, source_facts(actor, s)) for s in list_sources(session, actor)],
            "form": form or {},
            "problems": problems or [],
            "notice": forms.notice(request),
        },
        status_code=status,
    )


@router.get("/sources")
def sources_page(request: Request, session: DbSession, actor: Viewer) -> Response:
    return _sources_page(request, session, actor)


@router.post("/sources")
def sources_add(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.MANAGE_SOURCES))],
    name: Annotated[str, Form()] = "",
    location: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    password_env: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> Response:
    form = {
        "name": name,
        "location": forms.location_for_redisplay(location),
        "kind": kind,
        "password_env": password_env,
        "description": description,
    }
    return submit(
        session,
        lambda: add_source(
            session,
            actor,
            get_settings(request).key,
            name=name.strip(),
            location=location,
            kind=kind,
            password_env=password_env.strip(),
            description=description,
        ),
        done=lambda _: forms.done(f"/catalog/sources/{name.strip()}", "source_added"),
        again=lambda exc: _sources_page(request, session, actor, exc.status, exc.listed(), form),
        refused=(ValidationFailed, Conflict),  # a source of that name already exists
    )


@router.get("/sources/{name}")
def source_page(request: Request, session: DbSession, actor: Viewer, name: str) -> Response:
    source = get_source(session, actor, name)
    rows = list_datasets(session, actor, source_id=source.id, include_removed=True, limit=1000)
    return render(
        request,
        "catalog/source.html",
        {
            "source": source,
            "facts": source_facts(actor, source),
            "writes_back": source.kind == "database" and writes_back(source.location),
            "rows": rows,
            "progress": progress_of(session, actor, [r.dataset.id for r in rows]),
            "runs": (
                harvesting.list_harvest_runs(session, actor, source.id)
                if can(actor, Action.VIEW_HARVESTS)
                else None
            ),
            "notice": forms.notice(request),
        },
    )


@router.post("/sources/{name}/harvest")
def source_harvest(
    request: Request,
    session: DbSession,
    name: str,
    actor: Annotated[Actor, Depends(require(Action.HARVEST))],
) -> Response:
    """Queue the harvest; a worker (``accord worker``, started by ``accord serve``) runs it."""
    run = harvesting.start_harvest(session, actor, name)
    return RedirectResponse(f"/catalog/harvests/{run.id}", status_code=303)


@router.get("/harvests/{run_id:int}")
def harvest_page(
    request: Request, session: DbSession, actor: HarvestReader, run_id: RowId
) -> Response:
    run = harvesting.get_harvest_run(session, actor, run_id)
    source = next((s for s in list_sources(session, actor) if s.id == run.source_id), None)
    return render(
        request,
        "catalog/harvest.html",
        {
            "run": run,
            "source": source,
            "report": json.loads(run.report) if run.report else None,
            "notice": forms.notice(request),
        },
    )


@router.get("/harvests/{run_id:int}/progress")
def harvest_progress(session: DbSession, actor: HarvestReader, run_id: RowId) -> JSONResponse:
    """What catalog.js polls to move the progress bar without reloading the page."""
    run = harvesting.get_harvest_run(session, actor, run_id)
    return JSONResponse(
        {
            "status": run.status,
            "done": run.done,
            "total": run.total,
            "message": run.message,
            "cancel_requested": run.cancel_requested,
        }
    )


@router.post("/harvests/{run_id:int}/cancel")
def harvest_cancel(
    session: DbSession, run_id: RowId, actor: Annotated[Actor, Depends(require(Action.HARVEST))]
) -> Response:
    harvesting.cancel_harvest(session, actor, run_id)
    return forms.done(f"/catalog/harvests/{run_id}", "cancel_requested")


def _write_back_page(
    request: Request,
    session: DbSession,
    actor: Actor,
    name: str,
    status: int = 200,
    problems: list[Problem] | None = None,
) -> Response:
    source = get_source(session, actor, name)
    try:
        plan = preview_write_back(session, actor, get_settings(request).key, name)
    except (WriteBackNotSupported, SourceUnavailable) as exc:
        return render(
            request,
            "catalog/write_back.html",
            {"source": source, "plan": None, "problems": [Problem("", exc.message)]},
            status_code=exc.status,
        )
    return render(
        request,
        "catalog/write_back.html",
        {"source": source, "plan": plan, "problems": problems or []},
        status_code=status,
    )


@router.get("/sources/{name}/write-back")
def write_back_preview(
    request: Request,
    session: DbSession,
    name: str,
    actor: Annotated[Actor, Depends(require(Action.WRITE_BACK))],
) -> Response:
    return _write_back_page(request, session, actor, name)


@router.post("/sources/{name}/write-back")
def write_back_apply(
    request: Request,
    session: DbSession,
    name: str,
    actor: Annotated[Actor, Depends(require(Action.WRITE_BACK))],
    digest: Annotated[str, Form()] = "",
) -> Response:
    return submit(
        session,
        lambda: apply_write_back(session, actor, get_settings(request).key, name, digest),
        done=lambda _: forms.done(f"/catalog/sources/{name}", "written_back"),
        again=lambda exc: _write_back_page(request, session, actor, name, exc.status, exc.listed()),
        refused=(ValidationFailed, Conflict),  # the source changed since the preview
    )
