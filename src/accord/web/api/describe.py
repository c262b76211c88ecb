"""The describe-and-classify workflow under /api/v1 (Play 6): suggestions and their decisions,
steward assignments, review, completeness, definition hints and the definition-of-done check."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from accord.auth.actor import Actor
from accord.auth.permissions import Action, can
from accord.catalog import checks, describing, suggestions
from accord.catalog.published import fingerprint
from accord.web.api.routing import api_router
from accord.web.api.schemas.describe import (
    AssignIn,
    DecideIn,
    PatternIn,
    ReviewIn,
    SubmitIn,
    SuggestIn,
)
from accord.web.deps import (
    MAX_ID,
    DbSession,
    OptionalQueryId,
    RowId,
    get_settings,
    require,
)

router = api_router("describe")

Viewer = Annotated[Actor, Depends(require(Action.VIEW_CATALOG))]
Classifier = Annotated[Actor, Depends(require(Action.CLASSIFY_FIELDS))]
SuggestionReader = Annotated[Actor, Depends(require(Action.VIEW_SUGGESTIONS))]


@router.post("/sources/{name}/suggest")
def api_suggest(
    name: str,
    body: SuggestIn,
    request: Request,
    actor: Annotated[Actor, Depends(require(Action.RUN_SUGGESTIONS))],
) -> dict[str, Any]:
    """Classify every field of the source; store open suggestions for a person to decide."""
    run = suggestions.suggest(get_settings(request), actor, name, sample_size=body.sample_size)
    return {
        "created": run.created,
        "updated": run.updated,
        "kept_decided": run.kept_decided,
        "warnings": run.warnings,
        "fields": [asdict(r) for r in run.results if r.suggestions],
    }


@router.get("/suggestions")
def api_open_suggestions(
    session: DbSession,
    actor: SuggestionReader,
    dataset_id: OptionalQueryId = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[dict[str, Any]]:
    items = suggestions.open_suggestions(
        session, actor, dataset_id=dataset_id, limit=limit, offset=offset
    )
    return [
        {
            "id": i.suggestion.id,
            "dataset": i.dataset.name,
            "field": i.field.name,
            "field_id": i.field.id,
            "label": i.suggestion.label,
            "confidence": i.suggestion.confidence,
            "reason": i.suggestion.reason,
        }
        for i in items
    ]


@router.post("/suggestions/decide")
def api_decide(body: DecideIn, session: DbSession, actor: Classifier) -> dict[str, int]:
    return {"decided": suggestions.decide(session, actor, body.suggestion_ids, accept=body.accept)}


@router.post("/suggestions/decide-pattern")
def api_decide_pattern(body: PatternIn, session: DbSession, actor: Classifier) -> dict[str, int]:
    decided = suggestions.decide_by_pattern(
        session, actor, body.pattern, accept=body.accept, label=body.label
    )
    return {"decided": decided}


@router.post("/describe/assign")
def api_assign(
    body: AssignIn,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.ASSIGN_STEWARDS))],
) -> dict[str, int]:
    count = describing.assign_steward(
        session, actor, body.steward, field_ids=body.field_ids, dataset_id=body.dataset_id
    )
    return {"assigned": count}


@router.post("/describe/submit")
def api_submit(
    body: SubmitIn,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.DESCRIBE_FIELDS))],
) -> dict[str, int]:
    return {"submitted": describing.submit_for_review(session, actor, body.field_ids)}


@router.post("/describe/{field_id}/review")
def api_review(
    field_id: RowId,
    body: ReviewIn,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.REVIEW_DESCRIPTIONS))],
) -> dict[str, str]:
    work = describing.review_description(
        session, actor, field_id, approve=body.approve, note=body.note, seen=body.seen
    )
    return {"status": work.status}


@router.get("/describe/my-work")
def api_my_work(session: DbSession, actor: Viewer) -> dict[str, list[dict[str, Any]]]:
    assigned, reviews = describing.my_work(session, actor)

    def rows(items: list[describing.WorkItem]) -> list[dict[str, Any]]:
        return [
            {
                "field_id": i.field.id,
                "dataset": i.dataset.name,
                "field": i.field.name,
                "status": i.status,
                "note": i.note,
                "seen": fingerprint(i.field),
            }
            for i in items
        ]

    return {"assigned": rows(assigned), "reviews": rows(reviews)}


@router.get("/datasets/{dataset_id}/completeness")
def api_completeness(dataset_id: RowId, session: DbSession, actor: Viewer) -> dict[str, Any]:
    found = describing.completeness(session, [dataset_id], actor)[dataset_id]
    return {
        **asdict(found),
        "overall": found.overall,
        "open_suggestions": (
            suggestions.open_counts(session, [dataset_id])[dataset_id]
            if can(actor, Action.VIEW_SUGGESTIONS)
            else 0
        ),
    }


@router.get("/fields/{field_id}/hints")
def api_hints(field_id: RowId, session: DbSession, actor: Viewer) -> list[dict[str, str]]:
    return [asdict(h) for h in describing.field_hints(session, actor, field_id)]


@router.get("/check-metadata")
def api_check_metadata(
    session: DbSession,
    actor: Viewer,
    target: str,
    require_: Annotated[list[str] | None, Query(alias="require")] = None,
) -> list[dict[str, Any]]:
    """Fields of a source (name) or database (URL) lacking a definition or classification."""
    wanted = tuple(require_ or ("definition", "classification"))
    return [asdict(m) for m in checks.check_metadata(session, actor, target, wanted)]
