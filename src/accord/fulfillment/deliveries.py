"""Deliveries: a finished package sent to the recipient's SFTP server, or offered through a
download link that expires and can be revoked; each is recorded against the agreement with
what it carried, and the recipient acknowledges what arrived.

A link is a random token of 256 bits shown once; only its SHA-256 is kept, so the database
alone cannot be used to download, and a revoked or expired link is refused by a lookup. (A
signed token would need no lookup, but could not be revoked before it expires.) Every
download, and every refused attempt, is written to the audit log.
"""

from __future__ import annotations

import hashlib
import secrets as random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.models import Department
from accord.auth.permissions import Action
from accord.catalog import secrets
from accord.config import Settings
from accord.db.base import utcnow
from accord.db.engine import transaction
from accord.errors import AccordError, Conflict, NotFound, Problem, ValidationFailed
from accord.fulfillment.access import agreement_for, require_deliverable
from accord.fulfillment.models import Delivery, Destination, FulfillmentRun
from accord.fulfillment.plan import plan_from_json
from accord.fulfillment.runs import get_run, packages_root
from accord.jobs import registry, service, worker
from accord.jobs.models import Job
from accord.jobs.progress import JobFailed, Progress
from accord.jobs.states import JobState
from accord.proposals.models import Agreement, Proposal
from accord.proposals.states import ProposalState, system_move

KIND = "delivery"
LINK_DAYS = 7
MAX_LINK_DAYS = 30


def _ready_run(
    session: Session, actor: Actor, run_id: int, action: Action
) -> tuple[Proposal, Agreement, FulfillmentRun]:
    run, job = get_run(session, actor, run_id)
    agreement = session.get(Agreement, run.agreement_id)
    assert agreement is not None
    proposal, agreement = agreement_for(session, actor, agreement.proposal_id, action, lock=True)
    require_deliverable(proposal, agreement, date.today())
    if job.status != JobState.SUCCEEDED or not run.package:
        raise Conflict(f"Run {run.id} has no finished package to deliver.")
    return proposal, agreement, run


def _delivery(run: FulfillmentRun, actor: Actor, method: str, recipient: str) -> Delivery:
    plan = plan_from_json(run.plan)
    return Delivery(
        agreement_id=run.agreement_id,
        run_id=run.id,
        method=method,
        recipient=recipient[:300],
        sha256=run.sha256,
        size=run.size,
        fields=[f"{d.name}.{f.name}" for d in plan.datasets for f in d.delivered],
        rows=dict(run.rows),
        created_by=actor.username,
    )


def package_file(settings: Settings, run: FulfillmentRun) -> Path:
    """The file that leaves: the zip, or the zip encrypted for the recipient."""
    suffix = ".zip.age" if run.encrypted_for else ".zip"
    return packages_root(settings) / f"{run.package}{suffix}"


def media_type(path: Path) -> str:
    return "application/octet-stream" if path.suffix == ".age" else "application/zip"


# --- download links ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Offered:
    delivery: Delivery
    token: str  # shown once


def offer_link(session: Session, actor: Actor, run_id: int, *, days: int = LINK_DAYS) -> Offered:
    proposal, _, run = _ready_run(session, actor, run_id, Action.DELIVER)
    if not 1 <= days <= MAX_LINK_DAYS:
        raise ValidationFailed(
            [Problem("days", f"A link lasts between 1 and {MAX_LINK_DAYS} days.")]
        )
    token = random.token_urlsafe(32)
    recipients = session.scalars(
        select(Department.name).where(Department.id.in_(proposal.departments("recipient")))
    )
    delivery = _delivery(run, actor, "link", f"download link for {', '.join(recipients)}")
    delivery.status = "offered"
    delivery.token_sha256 = _digest(token)
    delivery.expires_at = utcnow() + timedelta(days=days)
    session.add(delivery)
    session.flush()
    audit.record(
        session,
        actor,
        "delivery.offer",
        "delivery",
        delivery.id,
        after={"run": run.id, "expires_at": delivery.expires_at.isoformat(timespec="seconds")},
    )
    return Offered(delivery, token)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def revoke_link(session: Session, actor: Actor, delivery_id: int) -> Delivery:
    delivery = get_delivery(session, actor, delivery_id, Action.DELIVER)
    if delivery.method != "link" or delivery.status != "offered":
        raise Conflict(f"Delivery {delivery.id} is not a link that can still be used.")
    delivery.status, delivery.revoked_at, delivery.revoked_by = "revoked", utcnow(), actor.username
    audit.record(session, actor, "delivery.revoke", "delivery", delivery.id)
    return delivery


def download(settings: Settings, token: str, client: str) -> tuple[Delivery, Path]:
    """The package a link stands for, if the link is live and its agreement still allows
    delivery. A refused attempt is audited in its own transaction and raises NotFound (an
    unknown token) or Conflict (expired, revoked, agreement no longer deliverable)."""
    refusal: AccordError | None = None
    with transaction(settings) as session:
        delivery = session.scalar(select(Delivery).where(Delivery.token_sha256 == _digest(token)))
        if delivery is None:
            refusal = NotFound("This download link is not known.")
        elif delivery.status == "revoked":
            refusal = Conflict("This download link was revoked.")
        elif delivery.expires_at is not None and delivery.expires_at < utcnow():
            refusal = Conflict(f"This download link expired on {delivery.expires_at:%d %B %Y}.")
        else:
            agreement = session.get(Agreement, delivery.agreement_id)
            proposal = session.get(Proposal, agreement.proposal_id) if agreement else None
            assert agreement is not None and proposal is not None
            try:
                require_deliverable(proposal, agreement, date.today())
            except Conflict as exc:
                refusal = exc
        if refusal is None and delivery is not None:
            run = session.get(FulfillmentRun, delivery.run_id)
            assert run is not None
            path = package_file(settings, run)
            session.execute(
                update(Delivery)
                .where(Delivery.id == delivery.id)
                .values(downloads=Delivery.downloads + 1, sent_at=delivery.sent_at or utcnow())
            )
            audit.record(
                session,
                _link_actor(client),
                "delivery.download",
                "delivery",
                delivery.id,
                after={"sha256": delivery.sha256},
            )
            _first_delivery(session, delivery, _link_actor(client))
            session.flush()
            session.expunge(delivery)
            return delivery, path
    with transaction(settings) as session:
        audit.record(
            session,
            _link_actor(client),
            "delivery.download_refused",
            "delivery",
            delivery.id if delivery is not None else "unknown",
            after={"reason": refusal.message if refusal else ""},
        )
    assert refusal is not None
    raise refusal


def fetch(session: Session, actor: Actor, settings: Settings, run_id: int) -> tuple[Delivery, Path]:
    """The recipient takes a package through the API: recorded as a delivery to them."""
    _, _, run = _ready_run(session, actor, run_id, Action.ACKNOWLEDGE_DELIVERY)
    delivery = _delivery(run, actor, "api", f"API download by {actor.username}")
    delivery.status, delivery.sent_at, delivery.downloads = "sent", utcnow(), 1
    session.add(delivery)
    session.flush()
    audit.record(
        session, actor, "delivery.fetch", "delivery", delivery.id, after={"sha256": run.sha256}
    )
    _first_delivery(session, delivery, actor)
    return delivery, package_file(settings, run)


def _link_actor(client: str) -> Actor:
    return Actor(user_id=None, username=f"link:{client}"[:64], roles=frozenset(), via="link")


def _first_delivery(session: Session, delivery: Delivery, actor: Actor) -> None:
    """The agreement becomes active with its first package delivered."""
    agreement = session.get(Agreement, delivery.agreement_id)
    proposal = session.get(Proposal, agreement.proposal_id) if agreement else None
    if proposal is not None and proposal.state == ProposalState.IN_FULFILLMENT:
        system_move(session, proposal, actor, "deliver", f"Delivery {delivery.id}")


# --- SFTP destinations and uploads --------------------------------------------------------------


def add_destination(
    session: Session,
    actor: Actor,
    settings: Settings,
    proposal_id: int,
    *,
    name: str,
    host: str,
    port: int,
    username: str,
    remote_dir: str,
    host_key: str,
    password: str = "",
    private_key: str = "",
    check: bool = True,
) -> Destination:
    """Record a recipient's SFTP server; with ``check`` Accord first signs in and writes a probe
    file there, so a wrong host key, password or folder is found now, not at delivery."""
    from accord.fulfillment.errors import DeliveryFailed
    from accord.fulfillment.sftp import SftpTarget, check_target

    _, agreement = agreement_for(session, actor, proposal_id, Action.MANAGE_DESTINATIONS)
    problems = []
    if not name.strip():
        problems.append(Problem("name", "Name the destination."))
    if not host.strip() or any(c.isspace() for c in host.strip()):
        problems.append(Problem("host", "Give the server's host name or address."))
    if not 1 <= port <= 65535:
        problems.append(Problem("port", "A port is between 1 and 65535."))
    if not username.strip():
        problems.append(Problem("username", "Give the account to sign in as."))
    if not host_key.strip():
        problems.append(
            Problem("host_key", "Paste the server's public host key (as ssh-keyscan shows it).")
        )
    if bool(password) == bool(private_key):
        problems.append(Problem("password", "Give a password or a private key (one of them)."))
    if problems:
        raise ValidationFailed(problems, "The destination was not saved.")
    target = SftpTarget(
        host=host.strip(),
        port=port,
        username=username.strip(),
        remote_dir=remote_dir.strip() or ".",
        host_key=host_key.strip(),
        password=password or None,
        private_key=private_key or None,
    )
    if check:
        try:
            check_target(target)
        except DeliveryFailed as exc:
            raise ValidationFailed([Problem("host", exc.message)], exc.message) from exc
    destination = Destination(
        agreement_id=agreement.id,
        name=name.strip()[:100],
        host=target.host,
        port=port,
        username=target.username,
        remote_dir=target.remote_dir,
        host_key=target.host_key,
        auth="password" if password else "key",
        secret_encrypted=secrets.encrypt(settings.key, password or private_key),
        created_by=actor.username,
    )
    session.add(destination)
    session.flush()
    audit.record(
        session,
        actor,
        "destination.add",
        "destination",
        destination.id,
        after={"name": destination.name, "where": where_of(destination)},
    )
    return destination


def where_of(d: Destination) -> str:
    return f"sftp://{d.username}@{d.host}:{d.port}/{d.remote_dir.lstrip('/')}"


def destinations(session: Session, agreement: Agreement) -> list[Destination]:
    return list(
        session.scalars(
            select(Destination)
            .where(Destination.agreement_id == agreement.id)
            .order_by(Destination.name)
        )
    )


def send_sftp(
    session: Session,
    actor: Actor,
    run_id: int,
    destination_id: int,
    *,
    claim_as: str = "",
) -> Delivery:
    """Queue the upload of a run's package to a destination of the same agreement."""
    _, agreement, run = _ready_run(session, actor, run_id, Action.DELIVER)
    destination = session.get(Destination, destination_id)
    if destination is None or destination.agreement_id != agreement.id:
        raise NotFound(f"No destination {destination_id} for this agreement.")
    job = service.enqueue(
        session,
        KIND,
        subject=f"package of run {run.id} to {destination.name}",
        who=actor.username,
        claim_as=claim_as,
    )
    delivery = _delivery(run, actor, "sftp", f"{destination.name} ({where_of(destination)})")
    delivery.status, delivery.job_id, delivery.destination_id = "sending", job.id, destination.id
    session.add(delivery)
    session.flush()
    audit.record(
        session,
        actor,
        "delivery.send",
        "delivery",
        delivery.id,
        after={"run": run.id, "to": delivery.recipient},
    )
    return delivery


def run_delivery_job(ctx: registry.JobContext) -> Delivery:
    """The ``delivery`` job handler: upload, then record it sent with the job's end; a failure
    records the delivery failed with its reason, and it can be sent again."""
    from accord.fulfillment.errors import DeliveryFailed
    from accord.fulfillment.sftp import SftpTarget, upload

    settings = ctx.settings
    with transaction(settings) as session:
        delivery = session.scalar(select(Delivery).where(Delivery.job_id == ctx.job_id))
        if delivery is None:
            raise JobFailed(f"No delivery belongs to job {ctx.job_id}.")
        delivery_id = delivery.id
        run = session.get(FulfillmentRun, delivery.run_id)
        destination = session.get(Destination, delivery.destination_id)
        agreement = session.get(Agreement, delivery.agreement_id)
        proposal = session.get(Proposal, agreement.proposal_id) if agreement else None
        assert run and destination and agreement and proposal
        try:
            require_deliverable(proposal, agreement, date.today())
        except Conflict as exc:
            _failed(session, delivery, exc.message)
            raise JobFailed(exc.message) from exc
        target = SftpTarget(
            host=destination.host,
            port=destination.port,
            username=destination.username,
            remote_dir=destination.remote_dir,
            host_key=destination.host_key,
            password=secrets.decrypt(settings.key, destination.secret_encrypted)
            if destination.auth == "password"
            else None,
            private_key=secrets.decrypt(settings.key, destination.secret_encrypted)
            if destination.auth == "key"
            else None,
        )
        local, sha256 = package_file(settings, run), run.sha256
        name = local.name
    try:
        receipt = upload(
            target,
            local,
            remote_name=name,
            sha256=sha256,
            progress=lambda done, total: ctx.progress(done, total, f"sending {name}"),
        )
    except DeliveryFailed as exc:
        with transaction(settings) as session:
            found = session.get(Delivery, delivery_id)
            assert found is not None
            _failed(session, found, exc.message)
        raise JobFailed(exc.message) from exc
    except BaseException:
        with transaction(settings) as session:
            found = session.get(Delivery, delivery_id)
            assert found is not None
            _failed(session, found, "The upload was stopped before it finished.")
        raise
    with transaction(settings) as session:
        found = session.get(Delivery, delivery_id)
        assert found is not None
        found.status, found.sent_at, found.remote_path = "sent", utcnow(), receipt.remote_path
        actor = Actor(None, found.created_by, frozenset(), via="worker")
        audit.record(
            session,
            actor,
            "delivery.sent",
            "delivery",
            found.id,
            after={"to": found.recipient, "sha256": found.sha256, "path": receipt.remote_path},
        )
        _first_delivery(session, found, actor)
        service.finish(session, ctx.job_id, "succeeded", "", done=found.size)
        session.flush()
        session.expunge(found)
    return found


def _failed(session: Session, delivery: Delivery, message: str) -> None:
    delivery.status, delivery.message = "failed", message[:2000]


registry.register(KIND, run_delivery_job)


def send_now(
    settings: Settings,
    actor: Actor,
    run_id: int,
    destination_id: int,
    progress: Progress | None = None,
) -> Delivery:
    """Upload in this process (the CLI's way), recorded as a job like a worker's."""
    me = worker.worker_id()
    with transaction(settings) as session:
        job_id = send_sftp(session, actor, run_id, destination_id, claim_as=me).job_id
    assert job_id is not None
    try:
        outcome = worker.run_job(settings, job_id, me, progress=progress, reraise=True)
    except JobFailed as exc:
        raise AccordError(exc.message) from exc
    assert isinstance(outcome.result, Delivery), outcome
    return outcome.result


# --- reading and acknowledging -----------------------------------------------------------------


def get_delivery(
    session: Session, actor: Actor, delivery_id: int, action: Action = Action.VIEW_FULFILLMENT
) -> Delivery:
    delivery = session.get(Delivery, delivery_id)
    agreement = session.get(Agreement, delivery.agreement_id) if delivery else None
    if delivery is None or agreement is None:
        raise NotFound(f"No delivery {delivery_id}.")
    agreement_for(session, actor, agreement.proposal_id, action)
    return delivery


def list_deliveries(session: Session, agreement: Agreement) -> list[Delivery]:
    return list(
        session.scalars(
            select(Delivery)
            .where(Delivery.agreement_id == agreement.id)
            .order_by(Delivery.id.desc())
        )
    )


def acknowledge(session: Session, actor: Actor, delivery_id: int) -> Delivery:
    """The recipient confirms the package arrived whole (its checksum verified)."""
    delivery = get_delivery(session, actor, delivery_id, Action.ACKNOWLEDGE_DELIVERY)
    if delivery.status not in ("sent", "offered") or (
        delivery.method == "link" and not delivery.downloads
    ):
        raise Conflict(f"Delivery {delivery.id} has not arrived yet: nothing to acknowledge.")
    if delivery.acknowledged_at is not None:
        raise Conflict(
            f"Delivery {delivery.id} was acknowledged by {delivery.acknowledged_by} already."
        )
    delivery.acknowledged_at, delivery.acknowledged_by = utcnow(), actor.username
    audit.record(session, actor, "delivery.acknowledge", "delivery", delivery.id)
    return delivery


def delivery_job(session: Session, delivery: Delivery) -> Job | None:
    return session.get(Job, delivery.job_id) if delivery.job_id else None
