"""Enqueue, read, cancel, report progress, finish, and sweep jobs whose worker died.

Permission checks belong to the capability that owns a kind of job (a harvest needs
``Action.HARVEST``); these functions record and read state only. Every write is a short
transaction of its own, so pages see progress while the work runs.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.db.base import utcnow
from accord.db.engine import transaction
from accord.errors import NotFound
from accord.jobs.models import Job
from accord.jobs.states import ENDINGS, JOB, JobState

INTERRUPTED = (
    "Interrupted: the worker running this job stopped (no heartbeat since {since:%H:%M:%S} "
    "UTC); nothing it was doing was kept."
)


def enqueue(
    session: Session, kind: str, *, subject: str = "", who: str = "", claim_as: str = ""
) -> Job:
    """A new queued job; with ``claim_as`` it is born running in that worker (a foreground
    command that runs its own job, so no other worker can take it)."""
    now = utcnow()
    job = Job(kind=kind, subject=subject[:200], who=who[:64], status="queued", created_at=now)
    session.add(job)
    session.flush()
    if claim_as:
        job.status, job.worker_id, job.started_at, job.heartbeat_at = (
            JOB.move("claim").target.value, claim_as, now, now)
        JOB.record(session, job.id, "claim", JobState.QUEUED, claim_as)
    return job


def get_job(session: Session, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"No job {job_id}.")
    return job


def list_jobs(
    session: Session, *, kind: str = "", status: str = "", limit: int = 50
) -> list[Job]:
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if kind:
        query = query.where(Job.kind == kind)
    if status:
        query = query.where(Job.status == status)
    return list(session.scalars(query))


def request_cancel(
    session: Session, job_id: int, message: str = "Cancelled before it started.", by: str = ""
) -> Job:
    """A queued job is cancelled at once; a running one stops at its next progress point."""
    job = get_job(session, job_id)
    if job.status == JobState.QUEUED:
        JOB.record(session, job.id, "cancel", JobState.QUEUED, by or job.who, message)
        job.status, job.message, job.finished_at = JobState.CANCELLED.value, message, utcnow()
    elif job.status == "running":
        job.cancel_requested = True
    return job


def report_progress(
    settings: Settings, job_id: int, worker_id: str, done: int, total: int, what: str
) -> bool:
    """Record progress (and a heartbeat); True when someone asked the job to stop."""
    with transaction(settings) as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id, Job.worker_id == worker_id, Job.status == "running")
            .values(done=done, total=total, message=what[:200], heartbeat_at=utcnow())
        )
        return bool(session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))


def beat(settings: Settings, job_id: int, worker_id: str) -> None:
    """The worker is alive and still on this job."""
    with transaction(settings) as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id, Job.worker_id == worker_id, Job.status == "running")
            .values(heartbeat_at=utcnow())
        )


def finish(
    session: Session,
    job_id: int,
    status: str,
    message: str,
    worker_id: str = "",
    *,
    done: int | None = None,
) -> bool:
    """End a running job; False if it had already ended (e.g. a sweep failed it). A handler
    may call this inside the transaction that commits its result, so both land together."""
    move = JOB.move(ENDINGS[status])
    query = update(Job).where(Job.id == job_id, Job.status.in_(move.sources))
    if worker_id:
        query = query.where(Job.worker_id == worker_id)
    values: dict[str, object] = {"status": status, "message": message, "finished_at": utcnow()}
    if done is not None:
        values["done"] = values["total"] = done
    ended = bool(session.execute(query.values(**values)).rowcount)  # type: ignore[attr-defined]
    if ended:
        JOB.record(session, job_id, move.verb, JobState.RUNNING, worker_id or "accord", message)
    return ended


def sweep_stale(settings: Settings, stale_seconds: float | None = None) -> list[int]:
    """Fail the running jobs whose worker stopped beating; a live worker's jobs are kept."""
    limit = settings.job_stale_seconds if stale_seconds is None else stale_seconds
    cutoff = utcnow() - timedelta(seconds=limit)
    swept = []
    with transaction(settings) as session:
        stale = session.scalars(
            select(Job)
            .where(Job.status == "running", Job.heartbeat_at < cutoff)
            .with_for_update(skip_locked=True)
        ).all()
        for job in stale:
            since = job.heartbeat_at or job.started_at or job.created_at
            job.status, job.finished_at = JobState.FAILED.value, utcnow()
            job.message = INTERRUPTED.format(since=since)
            JOB.record(session, job.id, "interrupt", JobState.RUNNING, "accord", job.message)
            swept.append(job.id)
    return swept
