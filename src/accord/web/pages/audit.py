"""The audit log as a tool: filter by person, action, record and day, page, export CSV."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from accord.auditlog.reading import AuditFilter, export_csv, filter_choices, read_log
from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.errors import Problem, ValidationFailed
from accord.web.deps import DbSession, OptionalQueryId, get_settings, require
from accord.web.pages.catalog.forms import attachment
from accord.web.render import render

router = APIRouter(include_in_schema=False)
Auditor = Annotated[Actor, Depends(require(Action.VIEW_AUDIT))]


def audit_filter(
    person: Annotated[str, Query(max_length=64)] = "",
    action: Annotated[str, Query(max_length=64)] = "",
    object_type: Annotated[str, Query(max_length=64)] = "",
    object_id: Annotated[str, Query(max_length=64)] = "",
    since: Annotated[str, Query(max_length=32)] = "",
    until: Annotated[str, Query(max_length=32)] = "",
) -> AuditFilter:
    # a date input left empty sends "since=": that means no bound, not a wrong date
    return AuditFilter(
        person.strip(),
        action,
        object_type,
        object_id.strip(),
        _day("since", since),
        _day("until", until),
    )


def _day(name: str, value: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed([Problem(name, "Give a day as YYYY-MM-DD.")]) from None


Filter = Annotated[AuditFilter, Depends(audit_filter)]


@router.get("/audit")
def audit_page(
    request: Request,
    session: DbSession,
    actor: Auditor,
    f: Filter,
    before: OptionalQueryId = None,
) -> Response:
    return render(
        request,
        "accounts/audit.html",
        {
            "page": read_log(session, actor, f, before=before),
            "f": f,
            "choices": filter_choices(session, actor),
            "before": before,
        },
    )


@router.get("/audit.csv")
def audit_csv(session: DbSession, actor: Auditor, f: Filter) -> Response:
    return attachment(export_csv(session, actor, f), "text/csv; charset=utf-8", "audit-log.csv")


@router.get("/audit/verify")
def audit_verify_page(
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.VERIFY_AUDIT))],
) -> Response:
    result = audit.verify(session, actor, get_settings(request))
    return render(request, "accounts/audit_verify.html", {"result": result})
