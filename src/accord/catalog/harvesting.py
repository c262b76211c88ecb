"""Running a harvest: persisted progress, cancellation, and an all-or-nothing merge.

The source is read outside any catalog transaction (it may take a while); progress is written
in short transactions so pages can show it; the merge then runs in one transaction, so a
harvest that fails, is cancelled or is killed leaves the catalog exactly as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.permissions import Action, check
from accord.catalog.drift import DriftReport, apply_harvest
from accord.catalog.harvest.model import Harvest, HarvestCancelled
from accord.catalog.harvest.sql import harvest_database
from accord.catalog.models import HarvestRun, Source
from accord.catalog.sources import connection_url, get_source
from accord.config import Settings
from accord.db.base import utcnow
from accord.db.engine import transaction
from accord.errors import AccordError, Conflict, NotFound

FILE_TYPES = (".csv", ".parquet", ".xlsx")

Progress = Callable[[int, int, str], None]


def start_harvest(session: Session, actor: Actor, source_name: str) -> HarvestRun:
    check(actor, Action.HARVEST)
    source = get_source(session, actor, source_name)
    running = session.scalar(
        select(HarvestRun).where(HarvestRun.source_id == source.id, HarvestRun.status == "running")
    )
    if running is not None:
        raise Conflict(f"A harvest of {source.name} is already running (run {running.id}).")
    run = HarvestRun(source_id=source.id, started_by=actor.username)
    session.add(run)
    session.flush()
    return run


def cancel_harvest(session: Session, actor: Actor, run_id: int) -> HarvestRun:
    check(actor, Action.HARVEST)
    run = session.get(HarvestRun, run_id)
    if run is None:
        raise NotFound(f"No harvest run {run_id}.")
    if run.status == "running":
        run.cancel_requested = True
    return run


def fail_interrupted_runs(settings: Settings) -> int:
    """At start-up: runs left 'running' by a process that died did not finish."""
    with transaction(settings) as session:
        result = session.execute(
            update(HarvestRun)
            .where(HarvestRun.status == "running")
            .values(
                status="failed",
                finished_at=utcnow(),
                message="Interrupted: Accord stopped while this harvest ran; "
                "the catalog was not changed.",
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def execute_harvest(
    settings: Settings, actor: Actor, run_id: int, progress: Progress | None = None
) -> DriftReport:
    """Read the source, then merge; the run records how it ended."""
    with transaction(settings) as session:
        run = session.get(HarvestRun, run_id)
        if run is None:
            raise NotFound(f"No harvest run {run_id}.")
        source = session.get(Source, run.source_id)
        assert source is not None
    try:
        harvest = read_source(source, settings.key, _tracker(settings, run_id, progress))
        with transaction(settings) as session:
            source = session.get(Source, run.source_id)
            assert source is not None
            report = apply_harvest(session, actor, source, harvest)
            _finish(session, run_id, "succeeded", "", report)
        return report
    except (HarvestCancelled, KeyboardInterrupt):
        _finish_alone(settings, run_id, "cancelled", "Cancelled; the catalog was not changed.")
        raise
    except AccordError as exc:
        _finish_alone(settings, run_id, "failed", exc.message)
        raise
    except (SQLAlchemyError, OSError) as exc:
        message = f"The harvest failed: {type(exc).__name__}; the catalog was not changed."
        _finish_alone(settings, run_id, "failed", message)
        raise AccordError(message) from exc
    finally:
        # Any other error (a bug) must not leave the run "running": that would block every
        # later harvest of this source. The error itself propagates to the caller's log.
        _fail_if_unfinished(settings, run_id)


def harvest_now(
    settings: Settings, actor: Actor, source_name: str, progress: Progress | None = None
) -> DriftReport:
    """Start and run a harvest in this process (the CLI's way)."""
    with transaction(settings) as session:
        run_id = start_harvest(session, actor, source_name).id
    return execute_harvest(settings, actor, run_id, progress)


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


def _tracker(settings: Settings, run_id: int, outer: Progress | None) -> Progress:
    def track(done: int, total: int, what: str) -> None:
        with transaction(settings) as session:
            run = session.get(HarvestRun, run_id)
            assert run is not None
            run.done, run.total, run.message = done, total, what[:200]
            cancelled = run.cancel_requested
        if cancelled:
            raise HarvestCancelled()
        if outer is not None:
            outer(done, total, what)

    return track


def _finish(
    session: Session, run_id: int, status: str, message: str, report: DriftReport | None = None
) -> None:
    run = session.get(HarvestRun, run_id)
    assert run is not None
    run.status, run.message, run.finished_at = status, message, utcnow()
    if report is not None:
        run.report = json.dumps(report.as_dict())
        run.done = run.total = report.datasets_total


def _fail_if_unfinished(settings: Settings, run_id: int) -> None:
    with transaction(settings) as session:
        run = session.get(HarvestRun, run_id)
        if run is not None and run.status == "running":
            _finish(session, run_id, "failed",
                    "The harvest stopped on an unexpected error; the catalog was not changed.")


def _finish_alone(settings: Settings, run_id: int, status: str, message: str) -> None:
    with transaction(settings) as session:
        _finish(session, run_id, status, message)


def get_harvest_run(session: Session, actor: Actor, run_id: int) -> HarvestRun:
    """One run, for the pages that show its progress and drift report."""
    check(actor, Action.VIEW_CATALOG)
    run = session.get(HarvestRun, run_id)
    if run is None:
        raise NotFound(f"No harvest run {run_id}.")
    return run


def list_harvest_runs(
    session: Session, actor: Actor, source_id: int, limit: int = 20
) -> list[HarvestRun]:
    """The latest runs of one source, newest first."""
    check(actor, Action.VIEW_CATALOG)
    return list(
        session.scalars(
            select(HarvestRun)
            .where(HarvestRun.source_id == source_id)
            .order_by(HarvestRun.id.desc())
            .limit(limit)
        )
    )
