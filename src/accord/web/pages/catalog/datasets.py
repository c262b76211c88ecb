"""Catalog pages: datasets and their fields, glossary, statutes, inventory import and export,
retention, search. Sources, harvests and write-back are in ``sources``, whose
routes this router includes.

Handlers only translate between forms and the catalog services (form parsing lives in
``forms``); every rule and every permission check is the services' own. Edit controls
are shown only to roles allowed the action, and each POST route requires that action too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from accord.auth.actor import Actor
from accord.auth.permissions import Action, can
from accord.catalog import glossary
from accord.catalog.datasets import (
    FAMILIES,
    SORTS,
    DatasetFilter,
    browse_datasets,
    dataset_fields,
    get_dataset,
    list_programs,
    register_dataset,
    update_inventory,
)
from accord.catalog.dictionary import FORMATS, build_dictionary
from accord.catalog.fields import (
    classify_field,
    describe_field,
    field_classifications,
    mark_reviewed,
    read_field,
    valid_values_of,
    vocabulary,
)
from accord.catalog.models import DATASET_KINDS, LIFECYCLE, Dataset
from accord.catalog.search import Filters, search, suggest_query
from accord.catalog.sources import source_ids
from accord.catalog.statutes import (
    field_statutes,
    roll_up,
    set_field_statutes,
)
from accord.errors import Problem, ValidationFailed
from accord.releases.service import list_releases
from accord.web.deps import (
    MAX_ID,
    DbSession,
    FormId,
    RowId,
    csrf_protect,
    require,
)
from accord.web.forms import submit
from accord.web.pages.catalog import forms
from accord.web.pages.catalog import inventory as inventory_pages
from accord.web.pages.catalog import library as library_pages
from accord.web.pages.catalog import sources as source_pages
from accord.web.pages.catalog.views import (
    dataset_context,
    field_context,
    label_names,
    progress_of,
)
from accord.web.pages.proposals.elsewhere import basket_context
from accord.web.render import render

router = APIRouter(prefix="/catalog", dependencies=[Depends(csrf_protect)], include_in_schema=False)

Viewer = Annotated[Actor, Depends(require(Action.VIEW_CATALOG))]
Editor = Annotated[Actor, Depends(require(Action.EDIT_INVENTORY))]
PAGE_SIZE = 100
RELEASES_SHOWN = 20  # on a dataset's page; the history of releases lists every one
SEARCH_KINDS = {"dataset": "Datasets", "field": "Fields", "term": "Glossary terms"}


# --- Datasets ----------------------------------------------------------------------------------


@router.get("")
def catalog_home(
    request: Request,
    session: DbSession,
    actor: Viewer,
    q: Annotated[str, Query(max_length=200)] = "",
    program: Annotated[str, Query(max_length=200)] = "",
    family: str = "",
    lifecycle: str = "",
    source: Annotated[str, Query(max_length=64)] = "",
    removed: bool = False,
    sort: str = "name",
    order: Literal["asc", "desc"] = "asc",
    page: Annotated[int, Query(ge=1, le=MAX_ID // 1000)] = 1,
) -> Response:
    """The dataset list: a GET form whose every choice is in the address, so that a search
    can be bookmarked or sent; the service filters and sorts (and refuses unknown keys). The
    column headers are the sort control (``sort_headers``)."""
    sources = source_ids(session, actor)
    where = DatasetFilter(
        text=q.strip(),
        program=program.strip(),
        family=family,
        lifecycle=lifecycle,
        source_id=sources.get(source),
        include_removed=removed,
        sort=sort,
        descending=order == "desc",
    )
    rows = browse_datasets(
        session, actor, where, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
    )
    filters = {
        "q": q.strip(),
        "program": program.strip(),
        "family": family,
        "lifecycle": lifecycle,
        "source": source,
        "removed": removed,
        "sort": sort,
        "order": order,
    }
    kept = {k: v for k, v in filters.items() if v and k != "removed"}
    if removed:
        kept["removed"] = "true"
    return render(
        request,
        "catalog/home.html",
        {
            "rows": rows[:PAGE_SIZE],
            "more": len(rows) > PAGE_SIZE,
            "page": page,
            "progress": progress_of(session, actor, [r.id for r in rows[:PAGE_SIZE]]),
            "filters": filters,
            "narrowed": bool(q.strip() or program.strip() or family or lifecycle or source),
            "query": urlencode(kept),
            "programs": list_programs(session, actor, include_removed=removed),
            "families": FAMILIES,
            "sorts": SORTS,
            "sort_headers": sort_headers(kept, sort, order),
            "sources": sources,
            "lifecycles": LIFECYCLE,
            "notice": forms.notice(request),
        },
    )


@dataclass(frozen=True)
class SortHeader:
    """A sortable column's header: where its link goes, and the list's order by it."""

    href: str
    direction: Literal["ascending", "descending", ""]  # "" when the list is not sorted by it


def sort_headers(kept: Mapping[str, object], sort: str, order: str) -> dict[str, SortHeader]:
    """Per sort key, a link that keeps the search and filters and sorts by that column:
    ascending at first, the other way round if the list is already sorted by it (from the
    first page, since the pages change)."""
    filters = {k: v for k, v in kept.items() if k not in ("sort", "order")}
    headers = {}
    for key in SORTS:
        current = key == sort
        turned = "desc" if current and order == "asc" else "asc"
        headers[key] = SortHeader(
            href=f"/catalog?{urlencode({**filters, 'sort': key, 'order': turned})}",
            direction=("descending" if order == "desc" else "ascending") if current else "",
        )
    return headers


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
    return submit(
        session,
        lambda: register_dataset(
            session, actor, name=form.name, kind=form.kind, change=form.to_inventory()
        ),
        done=lambda dataset: forms.done(f"/catalog/datasets/{dataset.id}", "dataset_registered"),
        again=lambda exc: render(
            request,
            "catalog/dataset_new.html",
            {
                "form": form.model_dump(),
                "kinds": DATASET_KINDS,
                "lifecycles": LIFECYCLE,
                "problems": exc.listed(),
            },
            status_code=exc.status,
        ),
    )


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
        "listed_publicly": "yes" if d.listed_publicly else "",
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
    classes, cites = field_classifications(session, ids), field_statutes(session, ids)
    labels = label_names(session)
    current = {f.id: f"{dataset.name}.{f.name}" for f in found if f.removed_at is None}
    return render(
        request,
        "catalog/dataset.html",
        {
            "dataset": dataset,
            "fields": found,
            "classes": classes,
            "cites": cites,
            "rollup": roll_up(current, classes, cites, labels),
            "label_names": labels,
            "formats": FORMATS,
            "review_count": sum(1 for f in found if f.review_needed),
            "lifecycles": LIFECYCLE,
            "form": form or _inventory_form(dataset),
            "problems": problems or [],
            "failed": failed,
            "notice": forms.notice(request),
            "assign": assign or {"steward": "", "scope": "all", "field_ids": []},
            **_releases_of(session, actor, dataset_id),
            **dataset_context(session, actor, dataset_id, ids),
            **basket_context(request, session, actor),
        },
        status_code=status,
    )


def _releases_of(session: DbSession, actor: Actor, dataset_id: int) -> dict[str, Any]:
    """The de-identified tables released from the dataset, newest first, for those who may
    see releases (``releases`` is None for others); ``more_releases`` when there are more."""
    if not can(actor, Action.VIEW_RELEASES):
        return {"releases": None, "more_releases": False}
    found = list_releases(session, actor, dataset_id=dataset_id, limit=RELEASES_SHOWN + 1)
    return {"releases": found[:RELEASES_SHOWN], "more_releases": len(found) > RELEASES_SHOWN}


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
    return submit(
        session,
        lambda: update_inventory(session, actor, dataset_id, form.to_inventory()),
        done=lambda _: forms.done(f"/catalog/datasets/{dataset_id}", "inventory_saved"),
        again=lambda exc: _dataset_page(
            request, session, actor, dataset_id, exc.status, exc.listed(), form.model_dump()
        ),
    )


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
    target = read_field(session, actor, field_id)
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
            **basket_context(request, session, actor),
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
    return submit(
        session,
        lambda: describe_field(session, actor, field_id, form.to_description()),
        done=lambda _: forms.done(f"/catalog/fields/{field_id}", "description_saved"),
        again=lambda exc: _field_page(
            request,
            session,
            actor,
            field_id,
            exc.status,
            exc.listed(),
            "describe",
            form.model_dump(),
        ),
    )


@router.post("/fields/{field_id:int}/classify")
def field_classify(
    request: Request,
    session: DbSession,
    field_id: RowId,
    actor: Annotated[Actor, Depends(require(Action.CLASSIFY_FIELDS))],
    codes: Annotated[list[str] | None, Form()] = None,
) -> Response:
    return submit(
        session,
        lambda: classify_field(session, actor, field_id, codes or []),
        done=lambda _: forms.done(f"/catalog/fields/{field_id}", "classifications_saved"),
        again=lambda exc: _field_page(
            request,
            session,
            actor,
            field_id,
            exc.status,
            exc.listed(),
            "classify",
            {"codes": codes or []},
        ),
    )


@router.post("/fields/{field_id:int}/statutes")
def field_statutes_save(
    request: Request,
    session: DbSession,
    field_id: RowId,
    actor: Annotated[Actor, Depends(require(Action.CITE_STATUTES))],
    citations: Annotated[str, Form()] = "",
) -> Response:
    return submit(
        session,
        lambda: set_field_statutes(session, actor, field_id, forms.citation_lines(citations)),
        done=lambda _: forms.done(f"/catalog/fields/{field_id}", "statutes_saved"),
        again=lambda exc: _field_page(
            request,
            session,
            actor,
            field_id,
            exc.status,
            exc.listed(),
            "statutes",
            {"citations": citations},
        ),
    )


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
    suggestion = suggest_query(session, actor, q) if q.strip() and not hits else ""
    groups = [(label, [h for h in hits if h.kind == k]) for k, label in SEARCH_KINDS.items()]
    return render(
        request,
        "catalog/search.html",
        {
            "q": q,
            "filters": filters,
            "hits": hits,
            "groups": [g for g in groups if g[1]],
            "progress": progress_of(
                session, actor, [h.ref_id for h in hits if h.kind == "dataset"]
            ),
            "kinds": SEARCH_KINDS,
            "lifecycles": LIFECYCLE,
            "vocabulary": vocabulary(session),
            "label_names": label_names(session),
            "suggestion": suggestion,
        },
    )


# After this module's routes: a request tries routes in order, and the dataset list, dataset,
# field and search pages are the catalog's busiest.
router.include_router(source_pages.router)
router.include_router(library_pages.router)
router.include_router(inventory_pages.router)
