"""The glossary and the statute library pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.catalog import glossary
from accord.catalog.statutes import (
    add_statute,
    list_statutes,
)
from accord.errors import Conflict, Problem, ValidationFailed
from accord.web.deps import (
    DbSession,
    OptionalQueryId,
    require,
)
from accord.web.forms import submit
from accord.web.pages.catalog import forms
from accord.web.render import render

router = APIRouter()  # included by datasets.router, which adds the prefix and the CSRF check

Viewer = Annotated[Actor, Depends(require(Action.VIEW_CATALOG))]
Editor = Annotated[Actor, Depends(require(Action.EDIT_INVENTORY))]


# --- Glossary and statutes ---------------------------------------------------------------------


def _glossary_page(
    request: Request,
    session: DbSession,
    actor: Actor,
    status: int = 200,
    problems: list[Problem] | None = None,
    failed: str = "",
    form: dict[str, str] | None = None,
    edit: int | None = None,
) -> Response:
    terms = glossary.list_terms(session, actor)
    editing = next((t for t in terms if t.id == edit), None)
    if form is None and editing is not None:
        form = {"term": editing.term, "acronym": editing.acronym, "definition": editing.definition}
    return render(
        request,
        "catalog/glossary.html",
        {
            "terms": terms,
            "form": form or {},
            "editing": editing,
            "problems": problems or [],
            "failed": failed,
            "notice": forms.notice(request),
        },
        status_code=status,
    )


@router.get("/glossary")
def glossary_page(
    request: Request, session: DbSession, actor: Viewer, edit: OptionalQueryId = None
) -> Response:
    return _glossary_page(request, session, actor, edit=edit)


@router.post("/glossary")
def glossary_save(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.EDIT_GLOSSARY))],
    term: Annotated[str, Form()] = "",
    acronym: Annotated[str, Form()] = "",
    definition: Annotated[str, Form()] = "",
) -> Response:
    form = {"term": term, "acronym": acronym, "definition": definition}
    return submit(
        session,
        lambda: glossary.save_term(
            session, actor, term=term, definition=definition, acronym=acronym
        ),
        done=lambda _: forms.done("/catalog/glossary", "term_saved"),
        again=lambda exc: _glossary_page(
            request, session, actor, exc.status, exc.listed(), "save", form
        ),
    )


@router.get("/glossary.csv")
def glossary_export(session: DbSession, actor: Viewer) -> Response:
    return forms.attachment(
        glossary.export_csv(session, actor), "text/csv; charset=utf-8", "glossary.csv"
    )


@router.post("/glossary/import")
def glossary_import(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.EDIT_GLOSSARY))],
    file: UploadFile | None = None,
) -> Response:
    return submit(
        session,
        lambda: glossary.import_csv(session, actor, forms.read_upload(file)),
        done=lambda count: RedirectResponse(
            f"/catalog/glossary?notice=terms_imported&count={count}", status_code=303
        ),
        again=lambda exc: _glossary_page(
            request, session, actor, exc.status, exc.listed(), "import"
        ),
    )


def _statutes_page(
    request: Request,
    session: DbSession,
    actor: Actor,
    status: int = 200,
    problems: list[Problem] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "catalog/statutes.html",
        {
            "statutes": list_statutes(session, actor),
            "form": form or {},
            "problems": problems or [],
            "notice": forms.notice(request),
        },
        status_code=status,
    )


@router.get("/statutes")
def statutes_page(request: Request, session: DbSession, actor: Viewer) -> Response:
    return _statutes_page(request, session, actor)


@router.post("/statutes")
def statutes_add(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.CITE_STATUTES))],
    citation: Annotated[str, Form()] = "",
    title: Annotated[str, Form()] = "",
    url: Annotated[str, Form()] = "",
) -> Response:
    form = {"citation": citation, "title": title, "url": url}
    return submit(
        session,
        lambda: add_statute(session, actor, citation, title=title, url=url),
        done=lambda _: forms.done("/catalog/statutes", "statute_added"),
        again=lambda exc: _statutes_page(request, session, actor, exc.status, exc.listed(), form),
        refused=(ValidationFailed, Conflict),  # a citation already in the library
    )
