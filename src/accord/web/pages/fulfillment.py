"""The fulfillment page of an agreement: the plan (a rule per field), runs with their
progress, packages, destinations and deliveries; and the download link a recipient uses.

Every form calls one service of ``accord.fulfillment``; a refusal shows the page again with
its problems at the form that was sent. A download link is shown once, on the page answering
the request that made it (never in a redirect's address, where it would stay in history).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.permissions import Action, can
from accord.db.base import utcnow
from accord.errors import AccordError, NotFound, Problem, ValidationFailed
from accord.fulfillment import deliveries as sending
from accord.fulfillment import runs, schedule
from accord.fulfillment.access import agreement_for, undeliverable
from accord.fulfillment.encryption import looks_private
from accord.fulfillment.models import Delivery
from accord.fulfillment.plan import Rule
from accord.fulfillment.planning import (
    has_period,
    period_candidates,
    period_fields,
    planned_fields,
    save_plan,
    set_recipient_key,
    shown_record,
)
from accord.proposals.states import state_label
from accord.web.deps import DbSession, RowId, csrf_protect, get_settings, public, require
from accord.web.forms import submit
from accord.web.pages.proposals.forms import done
from accord.web.render import render

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

Viewer = Annotated[Actor, Depends(require(Action.VIEW_FULFILLMENT))]
Planner = Annotated[Actor, Depends(require(Action.PLAN_FULFILLMENT))]
Runner = Annotated[Actor, Depends(require(Action.RUN_FULFILLMENT))]
Sender = Annotated[Actor, Depends(require(Action.DELIVER))]
Receiver = Annotated[Actor, Depends(require(Action.MANAGE_DESTINATIONS))]
Acknowledger = Annotated[Actor, Depends(require(Action.ACKNOWLEDGE_DELIVERY))]

NOTICES = {
    "planned": "The plan was saved; the next run follows it.",
    "started": "The run was queued; its progress shows below.",
    "cancelled": "The run was asked to stop; nothing it made is kept.",
    "sending": "The package is being sent; the delivery shows below.",
    "revoked": "The link was revoked; it no longer works.",
    "destination": "The destination was saved after a test sign-in and write.",
    "acknowledged": "Thank you: the delivery is recorded as received.",
    "scheduled": "Deliveries are scheduled; each due date brings a fresh package.",
    "unscheduled": "Scheduled deliveries were stopped.",
    "encrypted": "Packages made from now on are encrypted for that key.",
    "unencrypted": "Packages made from now on are not encrypted.",
}
JOB_LABELS = {
    "queued": "Waiting for a worker",
    "running": "Running",
    "succeeded": "Finished",
    "failed": "Failed",
    "cancelled": "Cancelled",
}


def _url(proposal_id: int) -> str:
    return f"/proposals/{proposal_id}/fulfillment"


def show(
    request: Request,
    session: Session,
    actor: Actor,
    proposal_id: int,
    *,
    status: int = 200,
    failed: str = "",
    problems: list[Problem] | None = None,
    posted: dict[str, Any] | None = None,
    offered: sending.Offered | None = None,
) -> Response:
    proposal, agreement = agreement_for(session, actor, proposal_id)
    mine = proposal.relations_to(actor)
    record = shown_record(session, agreement)
    planned = planned_fields(session, agreement, record)
    deliveries = sending.list_deliveries(session, agreement)
    recurring = schedule.schedule_of(session, agreement)
    found = sending.destinations(session, agreement)
    context = {
        "p": proposal,
        "a": agreement,
        "state": state_label(proposal),
        "blocked": undeliverable(proposal, agreement, date.today()),
        "fields": planned,
        "period": has_period(agreement),
        "period_candidates": period_candidates(planned),
        "period_chosen": period_fields(record),
        "format": record.format,
        "recipient_key": record.recipient_key,
        "runs": runs.list_runs(session, agreement),
        "deliveries": deliveries,
        "delivery_jobs": {d.id: sending.delivery_job(session, d) for d in deliveries},
        "destinations": found,
        "schedule": recurring,
        "schedule_to": next(
            (d.name for d in found if recurring and d.id == recurring.destination_id), ""
        ),
        "schedule_said": schedule.describe(recurring, agreement) if recurring else "",
        "every": schedule.EVERY.get(agreement.frequency, ""),
        "today": date.today(),
        "may": {
            "plan": can(actor, Action.PLAN_FULFILLMENT, proposal),
            "run": can(actor, Action.RUN_FULFILLMENT, proposal),
            "deliver": can(actor, Action.DELIVER, proposal),
            "destinations": can(actor, Action.MANAGE_DESTINATIONS, proposal),
            "acknowledge": can(actor, Action.ACKNOWLEDGE_DELIVERY, proposal),
        },
        "relations": mine,
        "rules": list(Rule),
        "job_labels": JOB_LABELS,
        "notice": NOTICES.get(request.query_params.get("notice", "")),
        "at": request.query_params.get("at", ""),
        "failed": failed,
        "problems": problems or [],
        "posted": posted or {},
        "offered": offered,
        "link_base": str(request.base_url).rstrip("/") + "/download/",
        "now": utcnow(),
    }
    return render(request, "fulfillment/agreement.html", context, status)


@router.get("/proposals/{proposal_id:int}/fulfillment")
def fulfillment_page(
    request: Request, session: DbSession, actor: Viewer, proposal_id: RowId
) -> Response:
    return show(request, session, actor, proposal_id)


def _again(
    request: Request,
    session: Session,
    actor: Actor,
    proposal_id: int,
    anchor: str,
    posted: dict[str, Any] | None = None,
) -> Any:
    def again(exc: AccordError) -> Response:
        return show(
            request,
            session,
            actor,
            proposal_id,
            status=exc.status,
            failed=anchor,
            problems=exc.listed(),
            posted=posted,
        )

    return again


@router.post("/proposals/{proposal_id:int}/fulfillment/plan")
async def plan_submit(
    request: Request, session: DbSession, actor: Planner, proposal_id: RowId
) -> Response:
    form = await request.form()
    rules = {
        str(k)[len("rule:") :]: str(v) for k, v in form.multi_items() if str(k).startswith("rule:")
    }
    file_format = str(form.get("format", "parquet"))
    periods = {
        str(k)[len("period:") :]: str(v)
        for k, v in form.multi_items()
        if str(k).startswith("period:")
    }

    def change() -> object:
        proposal, agreement = agreement_for(session, actor, proposal_id, Action.PLAN_FULFILLMENT)
        return save_plan(
            session,
            actor,
            get_settings(request),
            proposal,
            agreement,
            rules,
            file_format,
            periods if has_period(agreement) else None,
        )

    return submit(
        session,
        change,
        done=lambda _: done(_url(proposal_id), "planned", "plan"),
        again=_again(request, session, actor, proposal_id, "plan", {"rules": rules}),
    )


@router.post("/proposals/{proposal_id:int}/fulfillment/runs")
def run_submit(request: Request, session: DbSession, actor: Runner, proposal_id: RowId) -> Response:
    return submit(
        session,
        lambda: runs.start_run(session, actor, get_settings(request), proposal_id),
        done=lambda _: done(_url(proposal_id), "started", "runs"),
        again=_again(request, session, actor, proposal_id, "runs"),
    )


@router.get("/fulfillment/runs/{run_id:int}/progress")
def run_progress(session: DbSession, actor: Viewer, run_id: RowId) -> JSONResponse:
    """What fulfillment.js polls to move a run's progress bar without reloading the page."""
    _, job = runs.get_run(session, actor, run_id)
    return JSONResponse(
        {"status": job.status, "done": job.done, "total": job.total, "message": job.message}
    )


@router.get("/fulfillment/deliveries/{delivery_id:int}/progress")
def delivery_progress(session: DbSession, actor: Viewer, delivery_id: RowId) -> JSONResponse:
    delivery = sending.get_delivery(session, actor, delivery_id)
    job = sending.delivery_job(session, delivery)
    if job is None:
        return JSONResponse({"status": delivery.status, "done": 0, "total": 0, "message": ""})
    return JSONResponse(
        {"status": job.status, "done": job.done, "total": job.total, "message": job.message}
    )


@router.post("/fulfillment/runs/{run_id:int}/cancel")
def run_cancel(session: DbSession, actor: Runner, run_id: RowId) -> Response:
    run = runs.cancel_run(session, actor, run_id)
    return done(_url(_proposal_of(session, run.agreement_id)), "cancelled", "runs")


def _proposal_of(session: Session, agreement_id: int) -> int:
    from accord.proposals.models import Agreement

    agreement = session.get(Agreement, agreement_id)
    assert agreement is not None
    return agreement.proposal_id


@router.post("/proposals/{proposal_id:int}/fulfillment/deliveries")
def deliver_submit(
    request: Request,
    session: DbSession,
    actor: Sender,
    proposal_id: RowId,
    run_id: Annotated[int, Form(ge=0, le=2**31)] = 0,
    method: Annotated[str, Form(max_length=8)] = "",
    days: Annotated[int, Form(ge=0, le=10_000)] = sending.LINK_DAYS,
    destination_id: Annotated[int, Form(ge=0, le=2**31)] = 0,
) -> Response:
    """One form offers the chosen package by a link or sends it by SFTP (the button pressed)."""

    def change() -> sending.Offered | Delivery:
        run, _ = runs.get_run(session, actor, run_id)
        if _proposal_of(session, run.agreement_id) != proposal_id:
            raise NotFound(f"No fulfillment run {run_id} under proposal {proposal_id}.")
        if method == "link":
            return sending.offer_link(session, actor, run_id, days=days)
        if method == "sftp":
            return sending.send_sftp(session, actor, run_id, destination_id)
        raise ValidationFailed([Problem("method", "Choose a download link or SFTP.")])

    def answer(made: sending.Offered | Delivery) -> Response:
        if isinstance(made, sending.Offered):
            return show(request, session, actor, proposal_id, offered=made)
        return done(_url(proposal_id), "sending", "deliveries")

    return submit(
        session,
        change,
        done=answer,
        again=_again(request, session, actor, proposal_id, "deliveries"),
    )


@router.post("/proposals/{proposal_id:int}/fulfillment/schedule")
def schedule_submit(
    request: Request,
    session: DbSession,
    actor: Sender,
    proposal_id: RowId,
    destination_id: Annotated[int, Form(ge=0, le=2**31)] = 0,
    first_due: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    def change() -> object:
        try:
            first = date.fromisoformat(first_due) if first_due else None
        except ValueError:
            raise ValidationFailed(
                [Problem("first_due", "Give the first delivery's date as YYYY-MM-DD.")]
            ) from None
        return schedule.set_schedule(session, actor, proposal_id, destination_id, first_due=first)

    return submit(
        session,
        change,
        done=lambda _: done(_url(proposal_id), "scheduled", "schedule"),
        again=_again(request, session, actor, proposal_id, "schedule", {"first_due": first_due}),
    )


@router.post("/proposals/{proposal_id:int}/fulfillment/schedule/stop")
def unschedule_submit(session: DbSession, actor: Sender, proposal_id: RowId) -> Response:
    schedule.stop_schedule(session, actor, proposal_id)
    return done(_url(proposal_id), "unscheduled", "schedule")


@router.post("/proposals/{proposal_id:int}/fulfillment/encryption")
def encryption_submit(
    request: Request,
    session: DbSession,
    actor: Receiver,
    proposal_id: RowId,
    recipient_key: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    return submit(
        session,
        lambda: set_recipient_key(
            session, actor, get_settings(request), proposal_id, recipient_key
        ),
        done=lambda record: done(
            _url(proposal_id),
            "encrypted" if record.recipient_key else "unencrypted",
            "encryption",
        ),
        again=_again(
            request,
            session,
            actor,
            proposal_id,
            "encryption",
            {"recipient_key": "" if looks_private(recipient_key) else recipient_key},
        ),
    )


@router.post("/fulfillment/deliveries/{delivery_id:int}/revoke")
def revoke_submit(session: DbSession, actor: Sender, delivery_id: RowId) -> Response:
    delivery = sending.revoke_link(session, actor, delivery_id)
    return done(_url(_proposal_of(session, delivery.agreement_id)), "revoked", "deliveries")


@router.post("/fulfillment/deliveries/{delivery_id:int}/acknowledge")
def acknowledge_submit(session: DbSession, actor: Acknowledger, delivery_id: RowId) -> Response:
    delivery = sending.acknowledge(session, actor, delivery_id)
    return done(_url(_proposal_of(session, delivery.agreement_id)), "acknowledged", "deliveries")


@router.post("/proposals/{proposal_id:int}/fulfillment/destinations")
def destination_submit(
    request: Request,
    session: DbSession,
    actor: Receiver,
    proposal_id: RowId,
    name: Annotated[str, Form(max_length=100)] = "",
    host: Annotated[str, Form(max_length=255)] = "",
    port: Annotated[int, Form(ge=0, le=70_000)] = 22,
    username: Annotated[str, Form(max_length=100)] = "",
    remote_dir: Annotated[str, Form(max_length=500)] = ".",
    host_key: Annotated[str, Form(max_length=20_000)] = "",
    password: Annotated[str, Form(max_length=1_000)] = "",
    private_key: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    posted = {
        "name": name,
        "host": host,
        "port": port,
        "username": username,
        "remote_dir": remote_dir,
        "host_key": host_key,
    }
    return submit(
        session,
        lambda: sending.add_destination(
            session,
            actor,
            get_settings(request),
            proposal_id,
            name=name,
            host=host,
            port=port,
            username=username,
            remote_dir=remote_dir,
            host_key=host_key,
            password=password,
            private_key=private_key,
        ),
        done=lambda _: done(_url(proposal_id), "destination", "destinations"),
        again=_again(request, session, actor, proposal_id, "destinations", posted),
    )


@router.get("/download/{token}", dependencies=[Depends(public())])
def download_package(request: Request, token: str) -> Response:
    """A recipient's download: the link is its own credential, checked and audited by the
    service; a refusal is a plain page, never the package."""
    client = request.client.host if request.client else "unknown"
    try:
        delivery, path = sending.download(get_settings(request), token[:200], client)
    except AccordError as exc:
        return render(request, "fulfillment/link_refused.html", {"reason": exc.message}, exc.status)
    return FileResponse(
        path,
        media_type=sending.media_type(path),
        filename=path.name,
        headers={"X-Checksum-SHA256": delivery.sha256, "Cache-Control": "no-store"},
    )
