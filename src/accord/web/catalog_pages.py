"""Catalog pages: datasets and their fields, glossary, statutes, inventory import and export,
retention, search. Sources, harvests and write-back are in ``catalog_source_pages``, whose
routes this router includes.

Handlers only translate between forms and the catalog services (form parsing lives in
``catalog_forms``); every rule and every permission check is the services' own. Edit controls
are shown only to roles allowed the action, and each POST route requires that action too.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.catalog import glossary, inventory_io
from accord.catalog.datasets import (
    dataset_fields,
    get_dataset,
    list_datasets,
    register_dataset,
    retention_due,
    update_inventory,
)
from accord.catalog.dictionary import FORMATS, build_dictionary
from accord.catalog.fields import (
    classify_field,
    describe_field,
    field_classifications,
    get_field,
    mark_reviewed,
    valid_values_of,
    vocabulary,
)
from accord.catalog.models import DATASET_KINDS, LIFECYCLE, Dataset
from accord.catalog.search import Filters, search
from accord.catalog.sources import list_sources
from accord.catalog.statutes import (
    add_statute,
    field_statutes,
    list_statutes,
    rollup,
    set_field_statutes,
)
from accord.errors import Conflict, Problem, ValidationFailed
from accord.web import catalog_forms as forms
from accord.web import catalog_source_pages
from accord.web.deps import (
    MAX_ID,
    DbSession,
    FormId,
    RowId,
    csrf_protect,
    get_settings,
    require,
)
from accord.web.describe_views import dataset_context, field_context, progress_of
from accord.web.render import render

router = APIRouter(prefix="/catalog", dependencies=[Depends(csrf_protect)], include_in_schema=False)

Viewer = Annotated[Actor, Depends(require(Action.VIEW_CATALOG))]
Editor = Annotated[Actor, Depends(require(Action.EDIT_INVENTORY))]
PAGE_SIZE = 100
SEARCH_KINDS = {"dataset": "Datasets", "field": "Fields", "term": "Glossary terms"}
router.include_router(catalog_source_pages.router)


# --- Datasets ----------------------------------------------------------------------------------


@router.get("")
def catalog_home(
    request: Request,
    session: DbSession,
    actor: Viewer,
    program: str = "",
    lifecycle: str = "",
    source: str = "",
    removed: bool = False,
    page: Annotated[int, Query(ge=1, le=MAX_ID // 1000)] = 1,
) -> Response:
    sources = list_sources(session, actor)
    source_id = next((s.id for s in sources if s.name == source), None)
    rows = list_datasets(
        session,
        actor,
        program=program.strip(),
        lifecycle=lifecycle,
        source_id=source_id,
        include_removed=removed,
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    filters = {
        "program": program.strip(),
        "lifecycle": lifecycle,
        "source": source,
        "removed": removed,
    }
    return render(
        request,
        "catalog/home.html",
        {
            "rows": rows[:PAGE_SIZE],
            "more": len(rows) > PAGE_SIZE,
            "page": page,
            "progress": progress_of(session, [r.dataset.id for r in rows[:PAGE_SIZE]]),
            "filters": filters,
            "sources": sources,
            "lifecycles": LIFECYCLE,
            "notice": forms.notice(request),
        },
    )


class RegisterForm(forms.InventoryForm):
    name: str = ""
    kind: str = "report"


@router.get("/datasets/new")
def dataset_new(request: Request, actor: Editor) -> Response:
    return render(
        request,
        "catalog/dataset_new.html",
        {"form": RegisterForm().model_dump(), "kinds": DATASET_KINDS, "lifecycles": LIFECYCLE},
    )


@router.post("/datasets/new")
def dataset_register(
    request: Request,
    session: DbSession,
    form: Annotated[RegisterForm, Form()],
    actor: Editor,
) -> Response:
    try:
        with session.begin_nested():
            dataset = register_dataset(
                session, actor, name=form.name, kind=form.kind, change=form.to_inventory()
            )
    except ValidationFailed as exc:
        return render(
            request,
            "catalog/dataset_new.html",
            {
                "form": form.model_dump(),
                "kinds": DATASET_KINDS,
                "lifecycles": LIFECYCLE,
                "problems": exc.problems,
            },
            status_code=422,
        )
    return forms.done(f"/catalog/datasets/{dataset.id}", "dataset_registered")


def _inventory_form(d: Dataset) -> dict[str, str]:
    return {
        "title": d.title,
        "description": d.description,
        "program": d.program,
        "system": d.system,
        "owner": d.owner,
        "contacts": d.contacts,
        "related_programs": d.related_programs,
        "objectives": d.objectives,
        "lifecycle": d.lifecycle,
        "vendor_managed": "" if d.vendor_managed is None else ("yes" if d.vendor_managed else "no"),
        "lifecycle_since": d.lifecycle_since.isoformat() if d.lifecycle_since else "",
        "retention_months": "" if d.retention_months is None else str(d.retention_months),
    }


def _dataset_page(
    request: Request,
    session: DbSession,
    actor: Actor,
    dataset_id: RowId,
    status: int = 200,
    problems: list[Problem] | None = None,
    form: dict[str, Any] | None = None,
    failed: str = "inventory",
    assign: dict[str, Any] | None = None,
) -> Response:
    """``failed`` names the form whose problems are shown: the inventory or the assignment
    (``assign`` keeps what was chosen there)."""
    dataset = get_dataset(session, actor, dataset_id)
    found = dataset_fields(session, actor, dataset_id)
    ids = [f.id for f in found]
    current = [f.id for f in found if f.removed_at is None]
    return render(
        request,
        "catalog/dataset.html",
        {
            "dataset": dataset,
            "fields": found,
            "classes": field_classifications(session, ids),
            "cites": field_statutes(session, ids),
            "rollup": rollup(session, actor, current),
            "formats": FORMATS,
            "review_count": sum(1 for f in found if f.review_needed),
            "lifecycles": LIFECYCLE,
            "form": form or _inventory_form(dataset),
            "problems": problems or [],
            "failed": failed,
            "notice": forms.notice(request),
            "assign": assign or {"steward": "", "scope": "all", "field_ids": []},
            **dataset_context(session, actor, dataset_id, ids),
        },
        status_code=status,
    )


@router.get("/datasets/{dataset_id:int}")
def dataset_page(
    request: Request, session: DbSession, actor: Viewer, dataset_id: RowId
) -> Response:
    return _dataset_page(request, session, actor, dataset_id)


@router.post("/datasets/{dataset_id:int}/inventory")
def dataset_inventory(
    request: Request,
    session: DbSession,
    dataset_id: RowId,
    form: Annotated[forms.InventoryForm, Form()],
    actor: Editor,
) -> Response:
    try:
        with session.begin_nested():
            update_inventory(session, actor, dataset_id, form.to_inventory())
    except ValidationFailed as exc:
        return _dataset_page(
            request, session, actor, dataset_id, 422, exc.problems, form.model_dump()
        )
    return forms.done(f"/catalog/datasets/{dataset_id}", "inventory_saved")


@router.get("/datasets/{dataset_id:int}/dictionary.{fmt}")
def dataset_dictionary(session: DbSession, actor: Viewer, dataset_id: RowId, fmt: str) -> Response:
    if fmt not in FORMATS:
        raise ValidationFailed([Problem("format", f"Choose one of: {', '.join(FORMATS)}.")])
    render_fn, media_type, extension = FORMATS[fmt]
    dictionary = build_dictionary(session, actor, dataset_id)
    return forms.attachment(
        render_fn(dictionary), media_type, forms.download_name(dictionary.dataset.name, extension)
    )


# --- Fields ------------------------------------------------------------------------------------


def _field_page(
    request: Request,
    session: DbSession,
    actor: Actor,
    field_id: RowId,
    status: int = 200,
    problems: list[Problem] | None = None,
    failed: str = "",
    posted: dict[str, Any] | None = None,
) -> Response:
    """The field page; after a refused post, ``failed`` names the form shown with its problems
    and ``posted`` keeps what the person typed there."""
    target = get_field(session, actor, field_id)
    cited = field_statutes(session, [field_id])[field_id]
    values = {
        "label": target.label,
        "definition": target.definition,
        "valid_values": forms.valid_values_text(valid_values_of(target)),
        "standard_element": target.standard_element,
        "tags": target.tags,
        "citations": "\n".join(s.citation for s in cited),
        "codes": field_classifications(session, [field_id])[field_id],
    }
    values.update(posted or {})
    return render(
        request,
        "catalog/field.html",
        {
            "field": target,
            "dataset": target.dataset,
            "values": values,
            "statutes": cited,
            "valid_values": valid_values_of(target),
            "terms": glossary.terms_of_fields(session, [field_id])[field_id],
            "all_terms": glossary.list_terms(session, actor),
            "vocabulary": forms.grouped_vocabulary(vocabulary(session)),
            "problems": problems or [],
            "failed": failed,
            "notice": forms.notice(request),
            **field_context(session, actor, target),
        },
        status_code=status,
    )


@router.get("/fields/{field_id:int}")
def field_page(request: Request, session: DbSession, actor: Viewer, field_id: RowId) -> Response:
    return _field_page(request, session, actor, field_id)


@router.post("/fields/{field_id:int}/describe")
def field_describe(
    request: Request,
    session: DbSession,
    field_id: RowId,
    form: Annotated[forms.DescriptionForm, Form()],
    actor: Annotated[Actor, Depends(require(Action.DESCRIBE_FIELDS))],
) -> Response:
    try:
        with session.begin_nested():
            describe_field(session, actor, field_id, form.to_description())
    except ValidationFailed as exc:
        return _field_page(
            request, session, actor, field_id, 422, exc.problems, "describe", form.model_dump()
        )
    return forms.done(f"/catalog/fields/{field_id}", "description_saved")


@router.post("/fields/{field_id:int}/classify")
def field_classify(
    request: Request,
    session: DbSession,
    field_id: RowId,
    actor: Annotated[Actor, Depends(require(Action.CLASSIFY_FIELDS))],
    codes: Annotated[list[str] | None, Form()] = None,
) -> Response:
    try:
        with session.begin_nested():
            classify_field(session, actor, field_id, codes or [])
    except ValidationFailed as exc:
        return _field_page(
            request, session, actor, field_id, 422, exc.problems, "classify", {"codes": codes or []}
        )
    return forms.done(f"/catalog/fields/{field_id}", "classifications_saved")


@router.post("/fields/{field_id:int}/statutes")
def field_statutes_save(
    request: Request,
    session: DbSession,
    field_id: RowId,
    actor: Annotated[Actor, Depends(require(Action.CITE_STATUTES))],
    citations: Annotated[str, Form()] = "",
) -> Response:
    try:
        with session.begin_nested():
            set_field_statutes(session, actor, field_id, forms.citation_lines(citations))
    except ValidationFailed as exc:
        return _field_page(
            request,
            session,
            actor,
            field_id,
            422,
            exc.problems,
            "statutes",
            {"citations": citations},
        )
    return forms.done(f"/catalog/fields/{field_id}", "statutes_saved")


@router.post("/fields/{field_id:int}/terms")
def field_link_term(
    session: DbSession,
    field_id: RowId,
    term_id: FormId,
    actor: Annotated[Actor, Depends(require(Action.EDIT_GLOSSARY))],
) -> Response:
    glossary.link_term(session, actor, field_id, term_id)
    return forms.done(f"/catalog/fields/{field_id}", "term_linked")


@router.post("/fields/{field_id:int}/terms/{term_id:int}/unlink")
def field_unlink_term(
    session: DbSession,
    field_id: RowId,
    term_id: RowId,
    actor: Annotated[Actor, Depends(require(Action.EDIT_GLOSSARY))],
) -> Response:
    glossary.unlink_term(session, actor, field_id, term_id)
    return forms.done(f"/catalog/fields/{field_id}", "term_unlinked")


@router.post("/fields/{field_id:int}/review")
def field_reviewed(
    session: DbSession,
    field_id: RowId,
    actor: Annotated[Actor, Depends(require(Action.DESCRIBE_FIELDS))],
) -> Response:
    mark_reviewed(session, actor, field_id)
    return forms.done(f"/catalog/fields/{field_id}", "reviewed")


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
    request: Request, session: DbSession, actor: Viewer, edit: int | None = None
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
    try:
        with session.begin_nested():
            glossary.save_term(session, actor, term=term, definition=definition, acronym=acronym)
    except ValidationFailed as exc:
        form = {"term": term, "acronym": acronym, "definition": definition}
        return _glossary_page(request, session, actor, 422, exc.problems, "save", form)
    return forms.done("/catalog/glossary", "term_saved")


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
    try:
        with session.begin_nested():
            count = glossary.import_csv(session, actor, forms.read_upload(file))
    except ValidationFailed as exc:
        return _glossary_page(request, session, actor, 422, exc.problems, "import")
    return RedirectResponse(
        f"/catalog/glossary?notice=terms_imported&count={count}", status_code=303
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
    try:
        with session.begin_nested():
            add_statute(session, actor, citation, title=title, url=url)
    except (ValidationFailed, Conflict) as exc:
        form = {"citation": citation, "title": title, "url": url}
        return _statutes_page(request, session, actor, exc.status, forms.refused(exc), form)
    return forms.done("/catalog/statutes", "statute_added")


# --- Inventory import and export, retention, search --------------------------------------------


@router.get("/inventory/import")
def import_page(request: Request, actor: Editor) -> Response:
    return render(request, "catalog/import.html", {})


@router.post("/inventory/import")
def import_upload(request: Request, actor: Editor, file: UploadFile | None = None) -> Response:
    """Step one: read the file, keep it under a server-made name, propose a column mapping."""
    data_dir = get_settings(request).data_dir
    try:
        data = forms.read_upload(file)
        suffix = forms.sheet_suffix(file.filename or "" if file is not None else "")
        sheet = inventory_io.read_sheet(data, f"upload{suffix}")
    except ValidationFailed as exc:
        return render(request, "catalog/import.html", {"problems": exc.problems}, status_code=422)
    token = forms.store_upload(data_dir, data, suffix)
    return _mapping_page(request, token, sheet, inventory_io.suggest_mapping(sheet.headers))


def _mapping_page(
    request: Request,
    token: str,
    sheet: inventory_io.Sheet,
    mapping: dict[str, str],
    status: int = 200,
    problems: list[Problem] | None = None,
) -> Response:
    return render(
        request,
        "catalog/import_map.html",
        {
            "token": token,
            "headers": sheet.headers,
            "sample": sheet.rows[:5],
            "row_count": len(sheet.rows),
            "targets": list(inventory_io.TARGETS),
            "target_labels": forms.TARGET_LABELS,
            "mapping": mapping,
            "problems": problems or [],
        },
        status_code=status,
    )


@router.post("/inventory/import/confirm")
async def import_confirm(
    request: Request, session: DbSession, actor: Editor, token: Annotated[str, Form()] = ""
) -> Response:
    """Step two: import with the mapping the person confirmed (the selects are read from the
    form itself because their names follow the import targets)."""
    mapping = forms.mapping_from_form(await request.form())
    return await run_in_threadpool(_import, request, session, actor, token, mapping)


def _import(
    request: Request, session: DbSession, actor: Actor, token: str, mapping: dict[str, str]
) -> Response:
    data_dir = get_settings(request).data_dir
    try:
        data = forms.load_upload(data_dir, token)
    except ValidationFailed as exc:
        return render(request, "catalog/import.html", {"problems": exc.problems}, status_code=422)
    sheet = inventory_io.read_sheet(data, token)
    try:
        with session.begin_nested():
            created, updated = inventory_io.import_inventory(session, actor, sheet, mapping)
    except ValidationFailed as exc:
        return _mapping_page(request, token, sheet, mapping, 422, exc.problems)
    forms.discard_upload(data_dir, token)
    return RedirectResponse(
        f"/catalog?notice=imported&created={created}&updated={updated}", status_code=303
    )


@router.get("/inventory/export.csv")
def export_inventory_csv(session: DbSession, actor: Viewer) -> Response:
    return forms.attachment(
        inventory_io.export_csv(session, actor), "text/csv; charset=utf-8", "inventory.csv"
    )


@router.get("/inventory/export.xlsx")
def export_inventory_xlsx(session: DbSession, actor: Viewer) -> Response:
    return forms.attachment(
        inventory_io.export_xlsx(session, actor), FORMATS["xlsx"].media_type, "inventory.xlsx"
    )


@router.get("/retention")
def retention_page(
    request: Request,
    session: DbSession,
    actor: Viewer,
    within: Annotated[int, Query(ge=0, le=3650)] = 90,
) -> Response:
    due = retention_due(session, actor, date.today(), within)
    return render(
        request, "catalog/retention.html", {"due": due, "within": within, "today": date.today()}
    )


@router.get("/search")
def search_page(
    request: Request,
    session: DbSession,
    actor: Viewer,
    q: str = "",
    program: str = "",
    classification: str = "",
    statute: str = "",
    lifecycle: str = "",
    kind: str = "",
) -> Response:
    filters = Filters(program.strip(), classification, statute.strip(), lifecycle, kind)
    hits = search(session, actor, q, filters) if q.strip() else []
    groups = [(label, [h for h in hits if h.kind == k]) for k, label in SEARCH_KINDS.items()]
    return render(
        request,
        "catalog/search.html",
        {
            "q": q,
            "filters": filters,
            "hits": hits,
            "groups": [g for g in groups if g[1]],
            "progress": progress_of(session, [h.ref_id for h in hits if h.kind == "dataset"]),
            "kinds": SEARCH_KINDS,
            "lifecycles": LIFECYCLE,
            "vocabulary": vocabulary(session),
        },
    )
