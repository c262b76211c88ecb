"""Describe-and-classify pages (Play 6): a steward's "My work", review and publication of
descriptions, the statute check, steward assignment, and the security officer's queue of
classification suggestions with single, ticked and by-pattern decisions.

As in ``datasets``, handlers only turn forms into service calls; the workflow's rules
(who may review, what a send-back needs, what a pattern matches) are the services' own. A
refused form is shown again on the page it came from, with status 422 and every problem.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.catalog import describing, suggestions
from accord.catalog.datasets import list_datasets
from accord.catalog.fields import vocabulary
from accord.catalog.published import fingerprint
from accord.catalog.sources import list_sources
from accord.db.engine import transaction
from accord.errors import AccordError, Conflict, Problem, ValidationFailed
from accord.web.deps import (
    MAX_ID,
    DbSession,
    OptionalQueryId,
    RowId,
    csrf_protect,
    get_settings,
    require,
)
from accord.web.forms import REFUSED, submit
from accord.web.pages.catalog import datasets, forms
from accord.web.pages.catalog.views import STATUS_LABELS, label_names
from accord.web.render import render

router = APIRouter(prefix="/catalog", dependencies=[Depends(csrf_protect)], include_in_schema=False)

Viewer = Annotated[Actor, Depends(require(Action.VIEW_CATALOG))]
Describer = Annotated[Actor, Depends(require(Action.DESCRIBE_FIELDS))]
Reviewer = Annotated[Actor, Depends(require(Action.REVIEW_DESCRIPTIONS))]
Classifier = Annotated[Actor, Depends(require(Action.CLASSIFY_FIELDS))]
SuggestionReader = Annotated[Actor, Depends(require(Action.VIEW_SUGGESTIONS))]
FieldIds = Annotated[list[int] | None, Form()]

QUEUE_PAGE_SIZE = 100
MAX_SAMPLE = 1000
# Counted messages of this module's own pages, chosen by key: no text comes from the URL.
COUNTED = {
    "submitted": ("description was submitted for review", "descriptions were submitted for review"),
    "accepted": ("suggestion was accepted", "suggestions were accepted"),
    "rejected": ("suggestion was rejected", "suggestions were rejected"),
}
PLAIN = {
    "published": "The description was published.",
    "sent_back": "The description was sent back to its author with your note.",
    "none_decided": "No suggestion matched any more: nothing was decided.",
}


def notice(request: Request) -> str | None:
    key = request.query_params.get("notice", "")
    if key in COUNTED:
        raw = request.query_params.get("count", "")
        count = int(raw) if raw.isdigit() else 0
        one, many = COUNTED[key]
        return f"{count} {one if count == 1 else many}."
    return PLAIN.get(key) or forms.notice(request)


def _to(path: str, key: str, **params: str | int) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v not in ("", None)} | {"notice": key})
    return RedirectResponse(f"{path}?{query}", status_code=303)


# --- My work, submission and review ------------------------------------------------------------


def _my_work_page(
    request: Request,
    session: DbSession,
    actor: Actor,
    status: int = 200,
    problems: list[Problem] | None = None,
    failed: int | None = None,
    note: str = "",
) -> Response:
    """``failed`` is the field whose review form was refused, shown again with its note."""
    assigned, reviews = describing.my_work(session, actor)
    return render(
        request,
        "catalog/my_work.html",
        {
            "assigned": assigned,
            "reviews": reviews,
            "seen": {item.field.id: fingerprint(item.field) for item in reviews},
            "status_labels": STATUS_LABELS,
            "problems": problems or [],
            "failed": failed,
            "note": note,
            "notice": notice(request),
        },
        status_code=status,
    )


@router.get("/my-work")
def my_work_page(request: Request, session: DbSession, actor: Reviewer) -> Response:
    return _my_work_page(request, session, actor)


@router.post("/my-work/submit")
def my_work_submit(
    request: Request,
    session: DbSession,
    actor: Describer,
    field_ids: FieldIds = None,
    dataset_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
) -> Response:
    """Submit the ticked fields (My work) or a dataset's described ones (``dataset_id``)."""

    def change() -> int:
        if not field_ids:
            raise ValidationFailed([Problem("fields", "Tick the fields to submit for review.")])
        return describing.submit_for_review(session, actor, field_ids)

    def done(count: int) -> Response:
        if dataset_id is not None:
            return forms.done(f"/catalog/datasets/{dataset_id}", "descriptions_submitted")
        return _to("/catalog/my-work", "submitted", count=count)

    def again(exc: AccordError) -> Response:
        if dataset_id is not None:
            return datasets._dataset_page(
                request, session, actor, dataset_id, exc.status, exc.listed(), failed="submit"
            )
        return _my_work_page(request, session, actor, exc.status, exc.listed())

    return submit(session, change, done=done, again=again)


@router.post("/fields/{field_id:int}/submit")
def field_submit(
    request: Request, session: DbSession, field_id: RowId, actor: Describer
) -> Response:
    return submit(
        session,
        lambda: describing.submit_for_review(session, actor, [field_id]),
        done=lambda _: forms.done(f"/catalog/fields/{field_id}", "submitted_for_review"),
        again=lambda exc: datasets._field_page(
            request, session, actor, field_id, exc.status, exc.listed(), "workflow"
        ),
    )


@router.post("/fields/{field_id:int}/description-review")
def field_review(
    request: Request,
    session: DbSession,
    field_id: RowId,
    actor: Reviewer,
    decision: Annotated[str, Form()] = "",
    note: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
    seen: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Publish or send back, from the field page or inline from My work (``back``); ``seen``
    is the description the reviewer read (its fingerprint)."""
    from_my_work = back == "my-work"

    def change() -> object:
        if decision not in ("publish", "send_back"):
            raise ValidationFailed([Problem("decision", "Choose Publish or Send back.")])
        return describing.review_description(
            session, actor, field_id, approve=decision == "publish", note=note, seen=seen
        )

    def done(_: object) -> Response:
        key = "published" if decision == "publish" else "sent_back"
        if from_my_work:
            return _to("/catalog/my-work", key)
        return forms.done(f"/catalog/fields/{field_id}", f"description_{key}")

    def again(exc: AccordError) -> Response:
        if from_my_work:
            return _my_work_page(request, session, actor, exc.status, exc.listed(), field_id, note)
        return datasets._field_page(
            request,
            session,
            actor,
            field_id,
            exc.status,
            exc.listed(),
            "workflow",
            {"note": note},
        )

    # Conflict: the description changed since the reviewer read it; the page shows it anew
    return submit(session, change, done=done, again=again, refused=(*REFUSED, Conflict))


@router.post("/fields/{field_id:int}/statute-check")
def field_statute_check(
    session: DbSession,
    field_id: RowId,
    actor: Annotated[Actor, Depends(require(Action.CITE_STATUTES))],
    none_apply: Annotated[bool, Form()] = False,
) -> Response:
    describing.set_statute_checked(session, actor, field_id, none_apply)
    return forms.done(f"/catalog/fields/{field_id}", "statute_check_saved")


@router.post("/datasets/{dataset_id:int}/assign")
def dataset_assign(
    request: Request,
    session: DbSession,
    dataset_id: RowId,
    actor: Annotated[Actor, Depends(require(Action.ASSIGN_STEWARDS))],
    steward: Annotated[str, Form()] = "",
    scope: Annotated[str, Form()] = "all",
    field_ids: FieldIds = None,
) -> Response:
    """Assign every current field of the dataset, or only the ticked ones."""
    every = scope == "all"
    form = {"steward": steward, "scope": scope, "field_ids": field_ids or []}

    def change() -> int:
        if not steward:
            raise ValidationFailed([Problem("steward", "Choose a steward.")])
        return describing.assign_steward(
            session,
            actor,
            steward,
            field_ids=() if every else field_ids or (),
            dataset_id=dataset_id if every else None,
        )

    return submit(
        session,
        change,
        done=lambda _: forms.done(f"/catalog/datasets/{dataset_id}", "fields_assigned"),
        again=lambda exc: datasets._dataset_page(
            request,
            session,
            actor,
            dataset_id,
            exc.status,
            exc.listed(),
            failed="assign",
            assign=form,
        ),
    )


# --- Suggestions ---------------------------------------------------------------------------------


def _queue_page(
    request: Request,
    session: DbSession,
    actor: Actor,
    *,
    dataset: int | None = None,
    label: str = "",
    page: int = 1,
    status: int = 200,
    problems: list[Problem] | None = None,
    failed: str = "",
    extra: dict[str, Any] | None = None,
) -> Response:
    """The queue with its filters; ``extra`` carries a pattern preview or a run summary."""
    items = suggestions.open_suggestions(
        session,
        actor,
        dataset_id=dataset,
        label=label,
        limit=QUEUE_PAGE_SIZE + 1,
        offset=(page - 1) * QUEUE_PAGE_SIZE,
    )
    rows = list_datasets(session, actor, limit=1000)
    counts = suggestions.open_counts(session, [r.dataset.id for r in rows])
    context = {
        "items": items[:QUEUE_PAGE_SIZE],
        "more": len(items) > QUEUE_PAGE_SIZE,
        "page": page,
        "filters": {"dataset": dataset, "label": label},
        "datasets": [(r.dataset, counts[r.dataset.id]) for r in rows if counts[r.dataset.id]],
        "vocabulary": vocabulary(session),
        "label_names": label_names(session),
        "sources": list_sources(session, actor),
        "max_sample": MAX_SAMPLE,
        "pattern": {"pattern": "", "label": "", "decision": "reject"},
        "preview": None,
        "run": None,
        "run_form": {"source": "", "sample_size": "50"},
        "problems": problems or [],
        "failed": failed,
        "notice": notice(request),
    }
    context.update(extra or {})
    return render(request, "catalog/suggestions.html", context, status_code=status)


@router.get("/suggestions")
def suggestions_page(
    request: Request,
    session: DbSession,
    actor: SuggestionReader,
    dataset: OptionalQueryId = None,
    label: str = "",
    page: Annotated[int, Query(ge=1, le=MAX_ID // 1000)] = 1,
    pattern: str | None = None,
    pattern_label: str = "",
    decision: str = "reject",
    source: str = "",
) -> Response:
    """The queue; with ``pattern`` it also previews what a decision by pattern would decide."""
    extra: dict[str, Any] = {"run_form": {"source": source, "sample_size": "50"}}
    if pattern is None:
        return _queue_page(
            request, session, actor, dataset=dataset, label=label, page=page, extra=extra
        )
    decision = decision if decision in ("accept", "reject") else "reject"
    extra["pattern"] = {"pattern": pattern, "label": pattern_label, "decision": decision}
    try:
        extra["preview"] = suggestions.matching(session, actor, pattern, label=pattern_label)
    except ValidationFailed as exc:
        return _queue_page(
            request,
            session,
            actor,
            dataset=dataset,
            label=label,
            page=page,
            status=422,
            problems=exc.problems,
            failed="pattern",
            extra=extra,
        )
    return _queue_page(
        request, session, actor, dataset=dataset, label=label, page=page, extra=extra
    )


def _chosen(single: str, ticked: list[int] | None, decision: str) -> tuple[list[int], bool]:
    """A row's own button posts ``accept:ID``; the buttons under the table decide the ticked."""
    if single:
        verb, _, raw = single.partition(":")
        if verb in ("accept", "reject") and raw.isdigit():
            return [int(raw)], verb == "accept"
    if decision not in ("accept", "reject"):
        raise ValidationFailed([Problem("decision", "Choose Accept or Reject.")])
    if not ticked:
        raise ValidationFailed([Problem("suggestions", "Tick at least one suggestion.")])
    return ticked, decision == "accept"


@router.post("/suggestions/decide")
def suggestions_decide(
    request: Request,
    session: DbSession,
    actor: Classifier,
    ids: FieldIds = None,
    single: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
    dataset: Annotated[int | None, Form()] = None,
    label: Annotated[str, Form()] = "",
) -> Response:

    def change() -> tuple[int, bool]:
        chosen, accept = _chosen(single, ids, decision)
        return suggestions.decide(session, actor, chosen, accept=accept), accept

    def done(decided: tuple[int, bool]) -> Response:
        count, accept = decided
        return _to(
            "/catalog/suggestions",
            "accepted" if accept else "rejected",
            count=count,
            dataset=dataset or "",
            label=label,
        )

    return submit(
        session,
        change,
        done=done,
        again=lambda exc: _queue_page(
            request,
            session,
            actor,
            dataset=dataset,
            label=label,
            status=exc.status,
            problems=exc.listed(),
            failed="decide",
        ),
    )


@router.post("/fields/{field_id:int}/suggestions")
def field_suggestions_decide(
    request: Request,
    session: DbSession,
    field_id: RowId,
    actor: Classifier,
    single: Annotated[str, Form()] = "",
) -> Response:

    def change() -> bool:
        chosen, accept = _chosen(single, None, "")
        suggestions.decide(session, actor, chosen, accept=accept)
        return accept

    return submit(
        session,
        change,
        done=lambda accept: forms.done(
            f"/catalog/fields/{field_id}",
            "suggestion_accepted" if accept else "suggestion_rejected",
        ),
        again=lambda exc: datasets._field_page(
            request, session, actor, field_id, exc.status, exc.listed(), "suggestions"
        ),
    )


@router.post("/suggestions/pattern")
def suggestions_by_pattern(
    request: Request,
    session: DbSession,
    actor: Classifier,
    pattern: Annotated[str, Form()] = "",
    label: Annotated[str, Form()] = "",
    decision: Annotated[str, Form()] = "",
    expected: Annotated[int, Form()] = -1,
) -> Response:
    """Apply a previewed decision; if the queue changed since the preview, decide nothing and
    show the new preview, so what is decided is always what the person saw."""
    accept = decision == "accept"

    def change() -> int:
        count = suggestions.decide_by_pattern(session, actor, pattern, accept=accept, label=label)
        if count != expected:
            raise ValidationFailed(
                [
                    Problem(
                        "pattern",
                        (
                            f"The queue changed since the preview: {count} suggestions "
                            "match now. Check the new preview and confirm again."
                        ),
                    )
                ]
            )
        return count

    def done(count: int) -> Response:
        if count == 0:
            return _to("/catalog/suggestions", "none_decided")
        return _to("/catalog/suggestions", "accepted" if accept else "rejected", count=count)

    def again(exc: AccordError) -> Response:
        extra: dict[str, Any] = {
            "pattern": {
                "pattern": pattern,
                "label": label,
                "decision": "accept" if accept else "reject",
            }
        }
        if pattern.strip():
            extra["preview"] = suggestions.matching(session, actor, pattern, label=label)
        return _queue_page(
            request,
            session,
            actor,
            status=exc.status,
            problems=exc.listed(),
            failed="pattern",
            extra=extra,
        )

    return submit(session, change, done=done, again=again)


@router.post("/suggestions/run")
def suggestions_run(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.RUN_SUGGESTIONS))],
    source: Annotated[str, Form()] = "",
    sample_size: Annotated[str, Form()] = "50",
) -> Response:
    """Run the classifier over one source in the request (it is quick for a source of normal
    size) and show what it found above the queue."""
    form = {"source": source, "sample_size": sample_size}
    try:
        size = _sample_size(sample_size)
        if not source:
            raise ValidationFailed([Problem("source", "Choose a source.")])
        run = suggestions.suggest(get_settings(request), actor, source, sample_size=size)
    except ValidationFailed as exc:
        return _queue_page(
            request,
            session,
            actor,
            status=422,
            problems=exc.problems,
            failed="run",
            extra={"run_form": form},
        )
    # The run committed in its own transactions, after this request's began: read the queue
    # afresh, or SQLite's snapshot would show it as it was before the run.
    with transaction(get_settings(request), read_only=True) as fresh:
        return _queue_page(
            request,
            fresh,
            actor,
            extra={
                "run": run,
                "run_source": source,
                "run_form": form,
                "run_fields": sum(1 for r in run.results if r.suggestions),
            },
        )


def _sample_size(text: str) -> int:
    value = text.strip()
    if not value.isdigit() or int(value) > MAX_SAMPLE:
        raise ValidationFailed(
            [
                Problem(
                    "sample_size",
                    f"Give a whole number from 0 to {MAX_SAMPLE} (0 reads no values).",
                )
            ]
        )
    return int(value)
