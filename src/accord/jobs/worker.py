"""The worker: claim a queued job, run its handler with a heartbeat, record how it ended.

Claiming is one conditional UPDATE (``status='queued'`` → ``'running'``) after picking a
candidate; on PostgreSQL the pick uses ``FOR UPDATE SKIP LOCKED`` so several workers never
wait on each other, on SQLite the write lock serialises claims. Either way exactly one worker
wins a job. While a handler runs, a thread renews ``heartbeat_at``; if the process is killed
the heartbeat stops and ``sweep_stale`` (run by every worker and by ``accord serve`` at
start-up) marks the job failed.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from accord.config import Settings
from accord.db.base import utcnow
from accord.db.engine import transaction
from accord.jobs import registry, service
from accord.jobs.models import Job
from accord.jobs.progress import JobCancelled, JobFailed, Progress
from accord.jobs.states import JOB, JobState

log = logging.getLogger("accord.jobs")


class WorkerStopping(Exception):
    """The worker was asked to stop (SIGTERM, Ctrl+C) while a job ran."""


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def claim_next(settings: Settings, me: str, kinds: list[str] | None = None) -> int | None:
    """Take the oldest queued job of a kind this process can run; None if there is none."""
    kinds = registry.kinds() if kinds is None else kinds
    if not kinds:
        return None
    with transaction(settings) as session:
        candidate = session.scalar(
            select(Job.id)
            .where(Job.status == JobState.QUEUED, Job.kind.in_(kinds))
            .order_by(Job.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if candidate is None:
            return None
        now = utcnow()
        claim = JOB.move("claim")
        claimed = session.execute(
            update(Job)
            .where(Job.id == candidate, Job.status.in_(claim.sources))
            .values(status=claim.target.value, worker_id=me, started_at=now, heartbeat_at=now)
        )
        if not claimed.rowcount:  # type: ignore[attr-defined]
            return None
        JOB.record(session, candidate, "claim", JobState.QUEUED, me)
        return candidate


@contextmanager
def heartbeat(settings: Settings, job_id: int, me: str) -> Iterator[None]:
    """Renew the job's heartbeat every ``job_heartbeat_seconds`` until the block ends."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(settings.job_heartbeat_seconds):
            try:
                service.beat(settings, job_id, me)
            except Exception:  # a busy database: try again at the next beat
                log.warning("heartbeat of job %s failed", job_id, exc_info=True)

    thread = threading.Thread(target=beat, name=f"job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@dataclass(frozen=True)
class Outcome:
    status: str
    result: object = None  # what the handler returned, for an in-process caller
    # how it ended, when the database would not take the record: (status, message)
    unrecorded: tuple[str, str] | None = None


def run_job(
    settings: Settings,
    job_id: int,
    me: str,
    *,
    progress: Progress | None = None,
    stopping: threading.Event | None = None,
    reraise: bool = False,
) -> Outcome:
    """Run a job this worker has claimed and record how it ended.

    ``progress`` also receives every report (a foreground command's progress bar);
    ``reraise`` hands the handler's exception back to a foreground caller after recording it.
    """
    with transaction(settings) as session:
        job = service.get_job(session, job_id)
        kind, subject, who = job.kind, job.subject, job.who
    handler = registry.handler_for(kind)

    def report(done: int, total: int, what: str) -> None:
        if service.report_progress(settings, job_id, me, done, total, what):
            raise JobCancelled()
        if stopping is not None and stopping.is_set():
            raise WorkerStopping()
        if progress is not None:
            progress(done, total, what)

    status, message, result = "failed", "", None
    try:
        if handler is None:
            raise JobFailed(f"No worker here knows how to run a {kind!r} job.")
        with heartbeat(settings, job_id, me):
            result = handler(registry.JobContext(settings, job_id, kind, subject, who, report))
        status = "succeeded"
    except JobCancelled as exc:
        status, message = "cancelled", exc.message
        if reraise:
            raise
    except KeyboardInterrupt:
        status, message = "cancelled", "Interrupted by the person who started it."
        raise
    except WorkerStopping:
        message = "Interrupted: the worker was stopped before this job finished."
        if reraise:
            raise
    except JobFailed as exc:
        message = exc.message
        if reraise:
            raise
    except Exception as exc:
        message = unexpected(exc)
        if reraise:
            raise
        log.exception("job %s (%s) failed unexpectedly", job_id, kind)
    finally:
        # Also reached on KeyboardInterrupt and on errors re-raised to a foreground caller:
        # the job is never left "running" by a process that is still alive to say so.
        recorded = _record_end(settings, job_id, status, message, me)
        if recorded is None:
            log.error("job %s ended %s but the database refused the record", job_id, status)
    if recorded is None:
        return Outcome("running", result, (status, message))
    return Outcome(recorded, result)


DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})
# what SQLite and PostgreSQL say when a write finds no room (SQLite's I/O error is how it
# reports a write the kernel refused part-way, a full disk among the causes)
DISK_WORDS = ("database or disk is full", "disk I/O error", "No space left on device")


def disk_full(exc: BaseException) -> str:
    """The system's reason when ``exc``, or an error that led to it, is a write refused for
    want of room; "" otherwise."""
    cause: BaseException | None = exc
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, OSError) and cause.errno in DISK_ERRNOS:
            return cause.strerror or type(cause).__name__
        if any(words in str(cause) for words in DISK_WORDS):
            return _first_line(cause)
        cause = cause.__cause__ or cause.__context__
    return ""


FULL_DISK = (
    "the disk is full, or refused a write ({reason}); {kept}. Free some space, then start it again."
)


def unexpected(exc: BaseException) -> str:
    """The message of a job stopped by an error no handler expected: in words when the disk
    is full (what the person can act on), else its type and where to look."""
    reason = disk_full(exc)
    if reason:
        return "Stopped: " + FULL_DISK.format(reason=reason, kept="nothing it was doing was kept")
    return f"Stopped on an unexpected error ({type(exc).__name__}); see the worker log."


def _first_line(exc: BaseException) -> str:
    lines = str(getattr(exc, "orig", None) or exc).splitlines()
    return (lines[0] if lines else type(exc).__name__)[:200]


RECORD_RETRIES = (0.2, 0.5, 1.0)  # seconds before each new try at recording a job's end


def _record_end(
    settings: Settings,
    job_id: int,
    status: str,
    message: str,
    me: str,
    retries: tuple[float, ...] = RECORD_RETRIES,
) -> str | None:
    """Record how the job ended and return its status, or None if the database refused. A
    refusal (a full disk, a lost connection) is tried again after each of ``retries``
    seconds: the failed work's rollback often frees the room the short record needs. The
    worker tries again later (``run_worker``); meanwhile the job has no heartbeat, so another
    worker's sweep may fail it first."""
    for wait in (*retries, None):
        try:
            with transaction(settings) as session:
                service.finish(session, job_id, status, message, me)
                return service.get_job(session, job_id).status
        except OperationalError:
            if wait is None:
                return None
            time.sleep(wait)
    raise AssertionError("unreachable")


def _record_unrecorded(
    settings: Settings,
    me: str,
    unrecorded: dict[int, tuple[str, str]],
    announce: Callable[[str], None],
) -> None:
    """Once the database takes writes again, the ends this worker could not record."""
    for job_id, (status, message) in list(unrecorded.items()):
        recorded = _record_end(settings, job_id, status, message, me, retries=())
        if recorded is not None:
            del unrecorded[job_id]
            announce(f"Job {job_id}: {recorded} (recorded late: the database refused it).")


def run_periodic(settings: Settings, announce: Callable[[str], None]) -> None:
    """Each periodic task once; one that fails is logged and tried again next time."""
    for name, task in registry.periodic().items():
        try:
            for line in task(settings):
                announce(line)
        except Exception:
            log.exception("periodic task %r failed", name)


def run_pending(settings: Settings, me: str | None = None) -> int:
    """Run every queued job this process can run, one after another; how many ran.

    What ``accord worker`` does in its loop, usable by tests and one-shot commands."""
    me = me or worker_id()
    count = 0
    while (job_id := claim_next(settings, me)) is not None:
        run_job(settings, job_id, me)
        count += 1
    return count


def run_worker(
    settings: Settings,
    stopping: threading.Event,
    *,
    alive: Callable[[], bool] = lambda: True,
    announce: Callable[[str], None] = lambda _: None,
) -> None:
    """Claim and run jobs until ``stopping`` is set or ``alive()`` turns false."""
    me = worker_id()
    swept_at = ticked_at = 0.0
    refusals = 0  # the database's refusals in a row
    unrecorded: dict[int, tuple[str, str]] = {}  # job -> how it ended, not yet recorded
    announce(f"Worker {me} runs: {', '.join(registry.kinds()) or 'nothing'}.")
    while not stopping.is_set() and alive():
        try:
            _record_unrecorded(settings, me, unrecorded, announce)
            now = utcnow().timestamp()
            if now - swept_at >= settings.job_stale_seconds / 2:
                for stale in service.sweep_stale(settings):
                    announce(f"Job {stale} was interrupted by a stopped worker; marked failed.")
                swept_at, refusals = now, 0
            if now - ticked_at >= settings.job_periodic_seconds:
                run_periodic(settings, announce)
                ticked_at = now
            job_id = claim_next(settings, me)
            if job_id is None:
                stopping.wait(settings.job_poll_seconds)
                continue
            outcome = run_job(settings, job_id, me, stopping=stopping)
            if outcome.unrecorded is not None:
                unrecorded[job_id] = outcome.unrecorded
            announce(f"Job {job_id}: {outcome.status}.")
            refusals = 0
        except OperationalError as exc:
            # A database that is down or out of room: wait (longer each time, up to a minute),
            # then go on, to record what it refused once it takes writes again. Said once per
            # outage, not once a turn. Any other error is a defect: the worker stops on it.
            if refusals == 0:
                announce(f"The database refused the worker ({_first_line(exc)}); trying again.")
                log.warning("worker: the database refused", exc_info=True)
            refusals += 1
            stopping.wait(min(60.0, max(settings.job_poll_seconds, 2.0 ** (refusals - 1))))
