"""The catalog under /api/v1: the same services as the pages and the CLI."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.catalog import (
    datasets,
    fields,
    glossary,
    search,
    sources,
    statutes,
)
from accord.catalog.dictionary import FORMATS, build_dictionary
from accord.catalog.harvest import runs as harvesting
from accord.catalog.harvest import writeback
from accord.catalog.models import CatalogField, Dataset, Source
from accord.web.api.routing import api_router
from accord.web.api.schemas.catalog import (
    CitationsIn,
    CodesIn,
    ConfirmIn,
    DatasetDetail,
    DatasetOut,
    DescriptionIn,
    FieldOut,
    InventoryIn,
    RollupIn,
    RunOut,
    SourceIn,
    SourceOut,
    StatuteIn,
    TermIn,
)
from accord.web.deps import (
    MAX_ID,
    DbSession,
    RowId,
    get_settings,
    require,
)

router = api_router("catalog")

Viewer = Annotated[Actor, Depends(require(Action.VIEW_CATALOG))]


def _source_out(actor: Actor, source: Source) -> SourceOut:
    return SourceOut(
        **sources.source_facts(actor, source),
        last_harvest_at=source.last_harvest_at,
    )


@router.get("/sources")
def api_sources(session: DbSession, actor: Viewer) -> list[SourceOut]:
    return [_source_out(actor, s) for s in sources.list_sources(session, actor)]


@router.post("/sources", status_code=201)
def api_add_source(
    body: SourceIn,
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.MANAGE_SOURCES))],
) -> SourceOut:
    source = sources.add_source(session, actor, get_settings(request).key, **body.model_dump())
    return _source_out(actor, source)


@router.post("/sources/{name}/harvest", status_code=202)
def api_harvest(
    name: str,
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.HARVEST))],
) -> RunOut:
    """Queue a harvest for the worker; poll GET /harvests/{id} for progress and the drift
    report."""
    return RunOut.of(harvesting.start_harvest(session, actor, name))


@router.get("/harvests/{run_id}")
def api_run(
    run_id: RowId,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.VIEW_HARVESTS))],
) -> RunOut:
    return RunOut.of(harvesting.get_harvest_run(session, actor, run_id))


@router.post("/harvests/{run_id}/cancel")
def api_cancel(
    run_id: RowId, session: DbSession, actor: Annotated[Actor, Depends(require(Action.HARVEST))]
) -> RunOut:
    return RunOut.of(harvesting.cancel_harvest(session, actor, run_id))


@router.get("/datasets")
def api_datasets(
    session: DbSession,
    actor: Viewer,
    q: Annotated[str, Query(max_length=200)] = "",
    program: str = "",
    family: str = "",
    lifecycle: str = "",
    sort: str = "",
    order: Literal["asc", "desc"] = "asc",
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[DatasetOut]:
    """The catalog list's search, filters and sorting (the same service, the same refusals)."""
    where = datasets.DatasetFilter(
        text=q,
        program=program,
        family=family,
        lifecycle=lifecycle,
        sort=sort,
        descending=order == "desc",
    )
    rows = datasets.list_datasets(session, actor, where=where, limit=limit, offset=offset)
    return [DatasetOut.model_validate(r.dataset) for r in rows]


def _detail(session: DbSession, actor: Actor, dataset: Dataset) -> DatasetDetail:
    found: list[CatalogField] = datasets.dataset_fields(session, actor, dataset.id)
    ids = [f.id for f in found]
    classes = fields.field_classifications(session, ids)
    cites = statutes.field_statutes(session, ids)
    out = [
        FieldOut.model_validate(f).model_copy(
            update={"classifications": classes[f.id], "statutes": [s.citation for s in cites[f.id]]}
        )
        for f in found
    ]
    return DatasetDetail(**DatasetOut.model_validate(dataset).model_dump(), fields=out)


@router.get("/datasets/{dataset_id}")
def api_dataset(dataset_id: RowId, session: DbSession, actor: Viewer) -> DatasetDetail:
    return _detail(session, actor, datasets.get_dataset(session, actor, dataset_id))


@router.patch("/datasets/{dataset_id}")
def api_update_dataset(
    dataset_id: RowId,
    body: InventoryIn,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.EDIT_INVENTORY))],
) -> DatasetOut:
    change = datasets.Inventory(**body.model_dump())
    return DatasetOut.model_validate(datasets.update_inventory(session, actor, dataset_id, change))


@router.get("/datasets/{dataset_id}/dictionary")
def api_dictionary(
    dataset_id: RowId,
    session: DbSession,
    actor: Viewer,
    format: Literal["csv", "xlsx", "table-schema", "json"] = "json",
) -> Response:
    render, media_type, extension = FORMATS[format]
    dictionary = build_dictionary(session, actor, dataset_id)
    filename = f"dictionary-{dataset_id}.{extension}"
    return Response(
        render(dictionary),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.patch("/fields/{field_id}")
def api_describe_field(
    field_id: RowId,
    body: DescriptionIn,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.DESCRIBE_FIELDS))],
) -> FieldOut:
    change = fields.Description(**body.model_dump())
    return FieldOut.model_validate(fields.describe_field(session, actor, field_id, change))


@router.put("/fields/{field_id}/classifications")
def api_classify(
    field_id: RowId,
    body: CodesIn,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.CLASSIFY_FIELDS))],
) -> list[str]:
    return fields.classify_field(session, actor, field_id, body.codes)


@router.put("/fields/{field_id}/statutes")
def api_cite(
    field_id: RowId,
    body: CitationsIn,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.CITE_STATUTES))],
) -> list[str]:
    return [
        s.citation for s in statutes.set_field_statutes(session, actor, field_id, body.citations)
    ]


@router.post("/rollup")
def api_rollup(body: RollupIn, session: DbSession, actor: Viewer) -> dict[str, Any]:
    """Classifications and statutes governing a set of fields, with the fields behind each."""
    summary = statutes.rollup(session, actor, body.field_ids)
    return {
        "classifications": [asdict(g) for g in summary.classifications],
        "statutes": [asdict(g) for g in summary.statutes],
        "unclassified": summary.unclassified,
    }


@router.get("/statutes")
def api_statutes(session: DbSession, actor: Viewer) -> list[dict[str, str]]:
    return [
        {"citation": s.citation, "title": s.title, "url": s.url}
        for s in statutes.list_statutes(session, actor)
    ]


@router.post("/statutes", status_code=201)
def api_add_statute(
    body: StatuteIn,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.CITE_STATUTES))],
) -> dict[str, str]:
    s = statutes.add_statute(session, actor, body.citation, title=body.title, url=body.url)
    return {"citation": s.citation, "title": s.title, "url": s.url}


@router.get("/glossary")
def api_glossary(session: DbSession, actor: Viewer) -> list[TermIn]:
    return [
        TermIn(term=t.term, definition=t.definition, acronym=t.acronym)
        for t in glossary.list_terms(session, actor)
    ]


@router.post("/glossary", status_code=201)
def api_save_term(
    body: TermIn,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.EDIT_GLOSSARY))],
) -> TermIn:
    t = glossary.save_term(session, actor, **body.model_dump())
    return TermIn(term=t.term, definition=t.definition, acronym=t.acronym)


@router.get("/search")
def api_search(
    session: DbSession,
    actor: Viewer,
    q: str,
    program: str = "",
    classification: str = "",
    statute: str = "",
    lifecycle: str = "",
    kind: str = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    hits = search.search(
        session, actor, q, search.Filters(program, classification, statute, lifecycle, kind), limit
    )
    return [asdict(h) for h in hits]


@router.get("/sources/{name}/write-back")
def api_write_back_preview(
    name: str,
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.WRITE_BACK))],
) -> dict[str, Any]:
    plan = writeback.preview_write_back(session, actor, get_settings(request).key, name)
    return {"statements": plan.statements, "digest": plan.digest}


@router.post("/sources/{name}/write-back")
def api_write_back(
    name: str,
    body: ConfirmIn,
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.WRITE_BACK))],
) -> dict[str, Any]:
    plan = writeback.apply_write_back(session, actor, get_settings(request).key, name, body.digest)
    return {"applied": plan.statements}
