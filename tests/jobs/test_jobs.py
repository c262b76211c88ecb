"""Jobs: queued, claimed and run by a worker, cancelled, failed, and swept after a crash.

The kinds below are registered by this module for the in-process tests; the crash test runs
a real ``accord worker`` process on a real harvest.
"""

from __future__ import annotations

import errno
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from accord.catalog.harvest.runs import start_harvest
from accord.catalog.models import Dataset, HarvestRun
from accord.catalog.sources import add_source
from accord.config import Settings
from accord.db.base import utcnow
from accord.db.engine import transaction
from accord.jobs import registry, service
from accord.jobs.models import Job
from accord.jobs.progress import JobFailed
from accord.jobs.states import JOB
from accord.jobs.worker import claim_next, run_job, run_pending, unexpected
from tests.factories import make_user


def _steps(ctx: registry.JobContext) -> str:
    for done in range(1, 4):
        ctx.progress(done, 3, f"step {done}")
    return "done"


def _refuses(ctx: registry.JobContext) -> None:
    ctx.progress(0, 1, "looking")
    raise JobFailed("The thing to work on is gone.")


def _bug(ctx: registry.JobContext) -> None:
    raise ZeroDivisionError("a bug")


registry.register("test.steps", _steps)
registry.register("test.refuses", _refuses)
registry.register("test.bug", _bug)


def _enqueue(settings: Settings, kind: str) -> int:
    with transaction(settings) as session:
        return service.enqueue(session, kind, subject="a test", who="eli").id


def _job(settings: Settings, job_id: int) -> Job:
    with transaction(settings) as session:
        return service.get_job(session, job_id)


def test_a_queued_job_is_run_by_a_worker_with_its_progress_recorded(settings: Settings) -> None:
    job_id = _enqueue(settings, "test.steps")
    assert _job(settings, job_id).status == "queued"
    assert run_pending(settings, "w:1") == 1
    job = _job(settings, job_id)
    assert (job.status, job.done, job.total, job.message) == ("succeeded", 3, 3, "")
    assert job.worker_id == "w:1" and job.started_at and job.finished_at and job.who == "eli"
    assert run_pending(settings, "w:1") == 0  # nothing is run twice
    assert _moves(settings, job_id) == [("claim", "queued", "running", "w:1"),
                                        ("succeed", "running", "succeeded", "w:1")]


def _moves(settings: Settings, job_id: int) -> list[tuple[str, str, str, str]]:
    """The job's moves as the shared lifecycle history has them."""
    with transaction(settings) as session:
        return [(m.verb, m.from_state, m.to_state, m.actor) for m in JOB.history(session, job_id)]


def test_only_one_worker_claims_a_job(settings: Settings) -> None:
    job_id = _enqueue(settings, "test.steps")
    assert claim_next(settings, "w:1") == job_id
    assert claim_next(settings, "w:2") is None
    assert claim_next(settings, "w:3", kinds=["something.else"]) is None


def test_cancel_stops_a_running_job_and_a_queued_one_at_once(settings: Settings) -> None:
    running = _enqueue(settings, "test.steps")
    queued = _enqueue(settings, "test.steps")
    assert claim_next(settings, "w:1") == running
    with transaction(settings) as session:
        assert service.request_cancel(session, running).status == "running"
        assert service.request_cancel(session, queued).status == "cancelled"
    outcome = run_job(settings, running, "w:1")
    job = _job(settings, running)
    assert outcome.status == job.status == "cancelled" and job.done == 1  # stopped at step 1
    assert run_pending(settings, "w:1") == 0  # the queued one is not run
    assert [m[0] for m in _moves(settings, running)] == ["claim", "stop"]
    assert _moves(settings, queued) == [("cancel", "queued", "cancelled", "eli")]


def test_a_failing_handler_marks_the_job_failed_with_its_message(settings: Settings) -> None:
    refused, bug = _enqueue(settings, "test.refuses"), _enqueue(settings, "test.bug")
    assert run_pending(settings, "w:1") == 2
    job = _job(settings, refused)
    assert job.status == "failed" and job.message == "The thing to work on is gone."
    job = _job(settings, bug)
    assert job.status == "failed" and "unexpected error (ZeroDivisionError)" in job.message


def test_a_stale_heartbeat_is_swept_but_a_live_one_is_not(settings: Settings) -> None:
    dead, live = _enqueue(settings, "test.steps"), _enqueue(settings, "test.steps")
    assert claim_next(settings, "gone:1") == dead
    assert claim_next(settings, "here:2") == live
    with transaction(settings) as session:
        long_ago = utcnow() - timedelta(seconds=settings.job_stale_seconds + 5)
        session.execute(update(Job).where(Job.id == dead).values(heartbeat_at=long_ago))
    assert service.sweep_stale(settings) == [dead]
    assert _job(settings, dead).status == "failed"
    assert "Interrupted: the worker running this job stopped" in _job(settings, dead).message
    assert _job(settings, live).status == "running"
    assert run_job(settings, live, "here:2").status == "succeeded"  # its worker finishes it
    # a late finish from the dead worker does not overwrite the sweep's verdict
    with transaction(settings) as session:
        assert not service.finish(session, dead, "succeeded", "", "gone:1")
    assert _job(settings, dead).status == "failed"
    assert [m[:3] for m in _moves(settings, dead)] == [
        ("claim", "queued", "running"), ("interrupt", "running", "failed")]


# The crash test: a real worker process, killed with SIGKILL in the middle of a harvest.

FILES = 400


@pytest.fixture
def many_files(tmp_path: Path) -> Path:
    folder = tmp_path / "extracts"
    folder.mkdir()
    for i in range(FILES):
        (folder / f"extract_{i:04d}.csv").write_text(
            "id,county,visit_date\n" + "".join(f"{n},Yolo,2024-01-{n % 28 + 1:02d}\n"
                                               for n in range(50))
        )
    return folder


def _full_disk(limit: int) -> None:
    """In a child before it runs: no file it writes may grow past ``limit`` bytes, so the
    kernel refuses the write (EFBIG) as a full disk would (ENOSPC). SIGXFSZ, which would kill
    the process instead, is ignored. (Only the soft limit: the test may lift it again.)"""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))


def _worker(settings: Settings, room: int | None = None) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ACCORD_DATABASE_URL": settings.resolved_database_url,
        "ACCORD_DATA_DIR": str(settings.data_dir),
        "ACCORD_SECRET_KEY": settings.key.decode(),
        "ACCORD_JOB_POLL_SECONDS": "0.1",
        "ACCORD_JOB_HEARTBEAT_SECONDS": "0.2",
        "ACCORD_JOB_STALE_SECONDS": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=None if room is None else lambda: _full_disk(room),
    )


@pytest.fixture
def workers() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def _wait_for(what: str, condition: object, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.05)


def test_a_worker_killed_mid_harvest_leaves_the_run_failed_never_running(
    settings: Settings, many_files: Path, workers: list[subprocess.Popen[bytes]]
) -> None:
    engineer = make_user(settings, "eli", "data_engineer")
    with transaction(settings) as session:
        add_source(session, engineer, settings.key, name="extracts", location=str(many_files))
        run = start_harvest(session, engineer, "extracts")
        run_id, job_id = run.id, run.job_id
    workers.append(_worker(settings))
    _wait_for("the harvest to be under way", lambda: _job(settings, job_id).done > 0)
    os.kill(workers[0].pid, signal.SIGKILL)
    workers[0].wait(timeout=30)
    caught = _job(settings, job_id)
    assert caught.status == "running" and 0 < caught.done < FILES  # killed mid-way

    workers.append(_worker(settings))  # a new worker sweeps the dead one's job
    _wait_for("the sweep", lambda: _job(settings, job_id).status != "running")
    with transaction(settings) as session:
        run = session.get(HarvestRun, run_id)
        assert run is not None and run.status == "failed" and run.report == ""
        assert "Interrupted" in run.message
        assert session.scalars(select(Dataset)).all() == []  # the catalog is unchanged
    with transaction(settings) as session:  # and a new harvest of the source may start
        start_harvest(session, engineer, "extracts")


def test_a_database_disk_that_fills_mid_harvest_leaves_no_run_running(
    settings: Settings, many_files: Path, workers: list[subprocess.Popen[bytes]]
) -> None:
    if not settings.resolved_database_url.startswith("sqlite"):
        pytest.skip("the database's disk is the server's, not this process's")
    engineer = make_user(settings, "eli", "data_engineer")
    with transaction(settings) as session:
        add_source(session, engineer, settings.key, name="extracts", location=str(many_files))
        run = start_harvest(session, engineer, "extracts")
        run_id, job_id = run.id, run.job_id
    database = Path(settings.resolved_database_url.removeprefix("sqlite:///"))
    files = [database, database.with_name(database.name + "-wal")]
    room = max(f.stat().st_size for f in files if f.exists()) + 64 * 2**10
    workers.append(_worker(settings, room))  # the harvest's catalog does not fit

    def given_up() -> bool:  # the worker can record nothing, not even the job's end
        job = _job(settings, job_id)
        return job.status == "running" and job.heartbeat_at is not None and (
            utcnow() - job.heartbeat_at > timedelta(seconds=3))

    _wait_for("the full disk to stop the harvest", given_up)
    assert workers[0].poll() is None, "the worker died of the database's error"
    # room again: the same worker records how the job ended, with the reason
    resource.prlimit(workers[0].pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY,) * 2)
    _wait_for("the job's end", lambda: _job(settings, job_id).status != "running")
    with transaction(settings) as session:
        run = session.get(HarvestRun, run_id)
        assert run is not None and run.status == "failed"
        assert run.message.startswith("The harvest stopped: the disk is full"), run.message
        assert "Free some space" in run.message
        assert session.scalars(select(Dataset)).all() == []  # the catalog is unchanged
    with transaction(settings) as session:  # and a new harvest of the source may start
        start_harvest(session, engineer, "extracts")
    assert workers[0].poll() is None


@pytest.mark.parametrize(
    "error",
    [
        OSError(errno.ENOSPC, "No space left on device"),
        OperationalError("COMMIT", {}, sqlite3.OperationalError("database or disk is full")),
    ],
)
def test_a_job_stopped_by_a_full_disk_says_so(error: Exception) -> None:
    try:
        raise RuntimeError("while writing the package") from error
    except RuntimeError as exc:
        message = unexpected(exc)
    assert message.startswith("Stopped: the disk is full") and "Free some space" in message
    assert unexpected(ValueError("x")).startswith("Stopped on an unexpected error (ValueError)")
