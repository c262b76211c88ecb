"""Fulfillment under /api/v1: the same services as the fulfillment page.

Agreements are addressed by their proposal's number, as everywhere else. A department that is
no party gets 404; a party without the role or side gets 403. The recipient may also take a
package straight from the API (``GET .../package``), which is recorded as a delivery.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import FileResponse

from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.fulfillment import deliveries as sending
from accord.fulfillment import runs, schedule
from accord.fulfillment.access import agreement_for
from accord.fulfillment.planning import (
    has_period,
    period_fields,
    planned_fields,
    save_plan,
    set_recipient_key,
    shown_record,
)
from accord.web.api.routing import api_router
from accord.web.api.schemas.fulfillment import (
    DeliveryPublic,
    DestinationCreate,
    DestinationPublic,
    EncryptionUpdate,
    LinkCreate,
    LinkPublic,
    PlannedFieldPublic,
    PlanPublic,
    PlanUpdate,
    RunPublic,
    SchedulePublic,
    ScheduleSet,
    SftpSend,
)
from accord.web.deps import DbSession, RowId, get_settings, require

router = api_router("fulfillment")

Viewer = Annotated[Actor, Depends(require(Action.VIEW_FULFILLMENT))]
Planner = Annotated[Actor, Depends(require(Action.PLAN_FULFILLMENT))]
Runner = Annotated[Actor, Depends(require(Action.RUN_FULFILLMENT))]
Sender = Annotated[Actor, Depends(require(Action.DELIVER))]
Receiver = Annotated[Actor, Depends(require(Action.ACKNOWLEDGE_DELIVERY))]
PACKAGE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The package (.zip), or (.zip.age) when encrypted for the recipient.",
        "content": {"application/zip": {}, "application/octet-stream": {}},
    }
}


def _plan(request: Request, session: DbSession, actor: Actor, proposal_id: int) -> PlanPublic:
    _, agreement = agreement_for(session, actor, proposal_id)
    record = shown_record(session, agreement)
    fields = planned_fields(session, agreement, record)
    return PlanPublic(
        proposal_id=proposal_id,
        agreement_id=agreement.id,
        release=agreement.deidentification,
        format="csv" if record.format == "csv" else "parquet",
        fields=[PlannedFieldPublic.of(f) for f in fields],
        recipient_key=record.recipient_key,
        records_from=agreement.records_from,
        records_to=agreement.records_to,
        periods=period_fields(record) if has_period(agreement) else {},
    )


@router.get("/agreements/{proposal_id}/plan")
def api_plan(proposal_id: RowId, request: Request, session: DbSession, actor: Viewer) -> PlanPublic:
    """The authorised fields and the rule each gets on its way out."""
    return _plan(request, session, actor, proposal_id)


@router.put("/agreements/{proposal_id}/plan")
def api_save_plan(
    proposal_id: RowId, body: PlanUpdate, request: Request, session: DbSession, actor: Planner
) -> PlanPublic:
    """Choose rules; 422 lists every field outside the agreement or rule not allowed."""
    proposal, agreement = agreement_for(session, actor, proposal_id, Action.PLAN_FULFILLMENT)
    save_plan(
        session,
        actor,
        get_settings(request),
        proposal,
        agreement,
        dict(body.rules),
        body.format,
        body.periods if has_period(agreement) else None,
    )
    return _plan(request, session, actor, proposal_id)


@router.put("/agreements/{proposal_id}/encryption")
def api_set_encryption(
    proposal_id: RowId,
    body: EncryptionUpdate,
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.MANAGE_DESTINATIONS))],
) -> PlanPublic:
    """Encrypt the agreement's packages for the recipient's public key from the next run on
    (422 for anything but one age or OpenSSH public key); an empty key stops encrypting."""
    set_recipient_key(session, actor, get_settings(request), proposal_id, body.recipient_key)
    return _plan(request, session, actor, proposal_id)


@router.post("/agreements/{proposal_id}/runs", status_code=202)
def api_start_run(
    proposal_id: RowId, request: Request, session: DbSession, actor: Runner
) -> RunPublic:
    """Queue a run; follow it at ``/fulfillment/runs/{id}``. 409 if the agreement cannot be
    delivered against (not filed, suspended, ended) or a run is already going."""
    run = runs.start_run(session, actor, get_settings(request), proposal_id)
    _, job = runs.get_run(session, actor, run.id)
    return RunPublic.of(run, job)


@router.get("/agreements/{proposal_id}/runs")
def api_runs(proposal_id: RowId, session: DbSession, actor: Viewer) -> list[RunPublic]:
    _, agreement = agreement_for(session, actor, proposal_id)
    return [RunPublic.of(run, job) for run, job in runs.list_runs(session, agreement)]


@router.get("/fulfillment/runs/{run_id}")
def api_run(run_id: RowId, session: DbSession, actor: Viewer) -> RunPublic:
    return RunPublic.of(*runs.get_run(session, actor, run_id))


@router.post("/fulfillment/runs/{run_id}/cancel")
def api_cancel_run(run_id: RowId, session: DbSession, actor: Runner) -> RunPublic:
    runs.cancel_run(session, actor, run_id)
    return RunPublic.of(*runs.get_run(session, actor, run_id))


@router.get("/fulfillment/runs/{run_id}/package", responses=PACKAGE_RESPONSE)
def api_package(
    run_id: RowId, request: Request, session: DbSession, actor: Receiver
) -> FileResponse:
    """The recipient takes the package through the API; recorded as a delivery."""
    delivery, path = sending.fetch(session, actor, get_settings(request), run_id)
    return FileResponse(
        path,
        media_type=sending.media_type(path),
        filename=path.name,
        headers={"X-Checksum-SHA256": delivery.sha256, "Cache-Control": "no-store"},
    )


@router.post("/fulfillment/runs/{run_id}/links", status_code=201)
def api_offer_link(
    run_id: RowId, body: LinkCreate, request: Request, session: DbSession, actor: Sender
) -> LinkPublic:
    offered = sending.offer_link(session, actor, run_id, days=body.days)
    base = str(request.base_url).rstrip("/")
    return LinkPublic(
        delivery=DeliveryPublic.of(offered.delivery), url=f"{base}/download/{offered.token}"
    )


@router.post("/fulfillment/runs/{run_id}/sftp", status_code=202)
def api_send(run_id: RowId, body: SftpSend, session: DbSession, actor: Sender) -> DeliveryPublic:
    return DeliveryPublic.of(sending.send_sftp(session, actor, run_id, body.destination_id))


@router.get("/agreements/{proposal_id}/deliveries")
def api_deliveries(proposal_id: RowId, session: DbSession, actor: Viewer) -> list[DeliveryPublic]:
    """What was sent where under the agreement, newest first."""
    _, agreement = agreement_for(session, actor, proposal_id)
    return [DeliveryPublic.of(d) for d in sending.list_deliveries(session, agreement)]


@router.post("/fulfillment/deliveries/{delivery_id}/revoke")
def api_revoke(delivery_id: RowId, session: DbSession, actor: Sender) -> DeliveryPublic:
    return DeliveryPublic.of(sending.revoke_link(session, actor, delivery_id))


@router.post("/fulfillment/deliveries/{delivery_id}/acknowledge")
def api_acknowledge(delivery_id: RowId, session: DbSession, actor: Receiver) -> DeliveryPublic:
    return DeliveryPublic.of(sending.acknowledge(session, actor, delivery_id))


@router.get("/agreements/{proposal_id}/schedule")
def api_schedule(proposal_id: RowId, session: DbSession, actor: Viewer) -> SchedulePublic:
    """The agreement's recurring deliveries; 404 if none were ever scheduled."""
    return SchedulePublic.of(schedule.get_schedule(session, actor, proposal_id))


@router.put("/agreements/{proposal_id}/schedule")
def api_set_schedule(
    proposal_id: RowId, body: ScheduleSet, session: DbSession, actor: Sender
) -> SchedulePublic:
    """Deliver on the agreement's frequency to a destination (replacing any schedule); 409 for
    a one-time or undeliverable agreement, 422 for a foreign destination or a past date."""
    return SchedulePublic.of(
        schedule.set_schedule(
            session, actor, proposal_id, body.destination_id, first_due=body.first_due
        )
    )


@router.delete("/agreements/{proposal_id}/schedule")
def api_stop_schedule(proposal_id: RowId, session: DbSession, actor: Sender) -> SchedulePublic:
    return SchedulePublic.of(schedule.stop_schedule(session, actor, proposal_id))


@router.get("/agreements/{proposal_id}/destinations")
def api_destinations(
    proposal_id: RowId, session: DbSession, actor: Viewer
) -> list[DestinationPublic]:
    """The recipient's SFTP servers recorded for the agreement (no password or key)."""
    _, agreement = agreement_for(session, actor, proposal_id)
    return [DestinationPublic.of(d) for d in sending.destinations(session, agreement)]


@router.post("/agreements/{proposal_id}/destinations", status_code=201)
def api_add_destination(
    proposal_id: RowId,
    body: DestinationCreate,
    request: Request,
    session: DbSession,
    actor: Annotated[Actor, Depends(require(Action.MANAGE_DESTINATIONS))],
) -> DestinationPublic:
    """Record a destination after signing in to it and writing a probe file there; 422 with
    the server's reason when that fails (a wrong host key, password or folder)."""
    made = sending.add_destination(
        session,
        actor,
        get_settings(request),
        proposal_id,
        name=body.name,
        host=body.host,
        port=body.port,
        username=body.username,
        remote_dir=body.remote_dir,
        host_key=body.host_key,
        password=body.password,
        private_key=body.private_key,
    )
    return DestinationPublic.of(made)
