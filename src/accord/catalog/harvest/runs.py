"""Harvests as jobs: enqueue one, run it in a worker, cancel it, read its record.

The source is read outside any catalog transaction (it may take a while); progress goes to the
job in short transactions so pages can show it; the merge then runs in one transaction that
also marks the job succeeded, so a harvest that fails, is cancelled or is killed leaves the
catalog exactly as it was. Status, progress, who and cancellation live on the job
(``accord.jobs``); the run keeps the source and the drift report.

Importing this module registers the ``harvest`` job kind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from accord.auth.actor import Actor, actor_for
from accord.auth.models import User
from accord.auth.permissions import Action, check
from accord.catalog.drift import DriftReport, apply_harvest
from accord.catalog.harvest.model import Harvest, HarvestCancelled
from accord.catalog.harvest.sql import harvest_database
from accord.catalog.models import HarvestRun, Source
from accord.catalog.sources import connection_url, get_source
from accord.config import Settings
from accord.db.engine import transaction
from accord.errors import AccordError, Conflict, NotAuthenticated, NotFound
from accord.jobs import registry, service, worker
from accord.jobs.models import ACTIVE, Job
from accord.jobs.progress import JobCancelled, JobFailed, Progress
from accord.jobs.states import JobState

KIND = "harvest"
FILE_TYPES = (".csv", ".parquet", ".xlsx")
NOT_CHANGED = "the catalog was not changed"


def start_harvest(
    session: Session, actor: Actor, source_name: str, *, claim_as: str = ""
) -> HarvestRun:
    """Queue a harvest of the source (``claim_as``: run by that worker, see jobs.enqueue)."""
    check(actor, Action.HARVEST)
    source = get_source(session, actor, source_name)
    active = session.scalar(
        select(HarvestRun)
        .join(Job, HarvestRun.job_id == Job.id)
        .where(HarvestRun.source_id == source.id, Job.status.in_(ACTIVE))
    )
    if active is not None:
        raise Conflict(f"A harvest of {source.name} is already running (run {active.id}).")
    job = service.enqueue(
        session, KIND, subject=f"source {source.name}", who=actor.username, claim_as=claim_as
    )
    run = HarvestRun(source_id=source.id, job=job)
    session.add(run)
    session.flush()
    return run


@dataclass(frozen=True)
class FailedHarvest:
    run_id: int
    source: str
    message: str
    finished_at: datetime | None


def failed_harvests(session: Session, actor: Actor) -> list[FailedHarvest]:
    """Sources whose latest harvest failed (a later success clears one), in one query."""
    check(actor, Action.VIEW_HARVESTS)
    latest = (
        select(func.max(HarvestRun.id).label("run_id"))
        .group_by(HarvestRun.source_id)
        .subquery()
    )
    rows = session.execute(
        select(HarvestRun.id, Source.name, Job.message, Job.finished_at)
        .join(latest, latest.c.run_id == HarvestRun.id)
        .join(Job, HarvestRun.job_id == Job.id)
        .join(Source, HarvestRun.source_id == Source.id)
        .where(Job.status == JobState.FAILED)
        .order_by(Source.name)
    ).all()
    return [FailedHarvest(*row) for row in rows]


def cancel_harvest(session: Session, actor: Actor, run_id: int) -> HarvestRun:
    check(actor, Action.HARVEST)
    run = _run(session, run_id)
    service.request_cancel(
        session, run.job_id, f"Cancelled before it started; {NOT_CHANGED}.", actor.username
    )
    return run


def run_harvest_job(ctx: registry.JobContext) -> DriftReport:
    """The ``harvest`` job handler: read the source, then merge as the person who asked."""
    settings = ctx.settings
    with transaction(settings) as session:
        run = session.scalar(select(HarvestRun).where(HarvestRun.job_id == ctx.job_id))
        if run is None:
            raise JobFailed(f"No harvest run belongs to job {ctx.job_id}.")
        run_id, source_id = run.id, run.source_id
        actor = _actor(session, ctx.who)
        source = session.get(Source, source_id)
        assert source is not None
        check(actor, Action.HARVEST)
    try:
        harvest = read_source(source, settings.key, _cancellable(ctx.progress))
        with transaction(settings) as session:
            source = session.get(Source, source_id)
            assert source is not None
            report = apply_harvest(session, actor, source, harvest)
            run = session.get(HarvestRun, run_id)
            assert run is not None
            run.report = json.dumps(report.as_dict())
            service.finish(session, ctx.job_id, "succeeded", "", done=report.datasets_total)
        return report
    except HarvestCancelled as exc:
        raise HarvestCancelled(f"Cancelled; {NOT_CHANGED}.") from exc
    except AccordError as exc:
        raise JobFailed(exc.message) from exc
    except OSError as exc:
        # the reason in words ("No such file or directory"), never the path: this page is read
        # by people who may not see where a source lives (Action.VIEW_CONNECTIONS)
        reason = exc.strerror or type(exc).__name__
        raise JobFailed(f"The harvest could not read the source: {reason}; {NOT_CHANGED}.") from exc
    except SQLAlchemyError as exc:
        reason = worker.disk_full(exc)
        if reason:
            full = worker.FULL_DISK.format(reason=reason, kept=NOT_CHANGED)
            raise JobFailed(f"The harvest stopped: {full}") from exc
        raise JobFailed(f"The harvest failed: {type(exc).__name__}; {NOT_CHANGED}.") from exc


registry.register(KIND, run_harvest_job)


def harvest_now(
    settings: Settings, actor: Actor, source_name: str, progress: Progress | None = None
) -> DriftReport:
    """Run a harvest in this process (the CLI's and the demo seed's way), recorded as a job
    exactly like one a worker runs. Raises HarvestCancelled, KeyboardInterrupt, or
    AccordError with the message the job recorded."""
    me = worker.worker_id()
    with transaction(settings) as session:
        run = start_harvest(session, actor, source_name, claim_as=me)
        job_id = run.job_id
    try:
        outcome = worker.run_job(settings, job_id, me, progress=progress, reraise=True)
    except JobFailed as exc:
        raise AccordError(exc.message) from exc
    assert isinstance(outcome.result, DriftReport), outcome
    return outcome.result


def read_source(source: Source, key: bytes, progress: Progress) -> Harvest:
    if source.kind == "database":
        return harvest_database(connection_url(source, key), progress=progress)
    # File and OpenAPI readers load DuckDB, openpyxl and YAML (~40 MiB): only when needed.
    location = Path(source.location)
    if source.kind == "openapi":
        from accord.catalog.harvest.openapi import harvest_openapi

        return harvest_openapi(location.read_bytes(), name_hint=location.stem)
    from accord.catalog.harvest.files import harvest_files

    paths = (
        [location]
        if location.is_file()
        else sorted(p for p in location.iterdir() if p.suffix.lower() in FILE_TYPES)
    )
    return harvest_files(paths, progress=progress)


def _cancellable(progress: Progress) -> Progress:
    """Harvesters stop on HarvestCancelled; the job's progress raises JobCancelled."""

    def track(done: int, total: int, what: str) -> None:
        try:
            progress(done, total, what)
        except HarvestCancelled:
            raise
        except JobCancelled as exc:
            raise HarvestCancelled(exc.message) from exc

    return track


def _actor(session: Session, username: str) -> Actor:
    if username == "system":
        return Actor.system(via="worker")
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        raise NotAuthenticated(f"{username} can no longer run harvests.")
    return actor_for(user, via="worker")


def _run(session: Session, run_id: int) -> HarvestRun:
    run = session.get(HarvestRun, run_id)
    if run is None:
        raise NotFound(f"No harvest run {run_id}.")
    return run


def get_harvest_run(session: Session, actor: Actor, run_id: int) -> HarvestRun:
    """One run, for the pages that show its progress and drift report."""
    check(actor, Action.VIEW_HARVESTS)
    return _run(session, run_id)


def list_harvest_runs(
    session: Session, actor: Actor, source_id: int, limit: int = 20
) -> list[HarvestRun]:
    """The latest runs of one source, newest first."""
    check(actor, Action.VIEW_HARVESTS)
    return list(
        session.scalars(
            select(HarvestRun)
            .where(HarvestRun.source_id == source_id)
            .order_by(HarvestRun.id.desc())
            .limit(limit)
        )
    )
