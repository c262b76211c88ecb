"""Releasing a table is a service, whichever interface asks: the permission is checked, the
engine runs, the files are stored in the data directory (written to a temporary folder first,
then moved into place whole) and the audit log records who released what. The page, the API
and `accord deid release` all call `release_table`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.permissions import Action, check
from accord.catalog.models import Dataset
from accord.config import Settings
from accord.deid.findings import Finding, errors
from accord.deid.io.files import load_release_inputs, release_files
from accord.deid.io.isolated import Runner, inline
from accord.deid.release import release_loaded
from accord.errors import NotFound
from accord.releases.models import TableRelease

RELEASES_FOLDER = "releases"
SUMMARY_KEYS = ("rows", "primary", "complementary", "derived", "audit_passed")


@dataclass
class ReleaseOutcome:
    """What one attempt produced. ``invalid``: the inputs could not be read (nothing is
    stored but the audit entry); ``refused``: the engine would not publish the table (a
    record without files); ``released``: a record with its files."""

    status: Literal["invalid", "refused", "released"]
    findings: list[Finding]
    record: TableRelease | None = None
    report: dict[str, Any] | None = None
    files: dict[str, str] = field(default_factory=dict)


@dataclass
class Computed:
    """What the engine made of a table and its SPEC, without the database: ``findings`` when
    they could not be read (``rows`` is then None), else the refusal or the files and report."""

    findings: list[Finding]
    title: str = ""
    rows: int | None = None
    refusal: list[Finding] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    report: dict[str, Any] | None = None


def compute_release(table_path: Path, spec_path: Path, confine_to: Path | None) -> Computed:
    """Read, suppress and audit one table: the engine's part of a release, the part a server
    runs in another process (``run``)."""
    loaded, spec, findings = load_release_inputs(table_path, spec_path, confine_to=confine_to)
    if loaded is None or spec is None:
        return Computed(errors(findings) or findings)
    title, rows = spec.title[:500], loaded.table.n_rows
    release = release_loaded(loaded, spec)
    if release.blocked:
        return Computed([], title, rows, refusal=release.refusal)
    files, report = release_files(release, spec)
    return Computed([], title, rows, files=files, report=report)


def release_table(
    session: Session,
    actor: Actor,
    settings: Settings,
    table_path: Path,
    spec_path: Path,
    *,
    name: str | None = None,
    dataset_id: int | None = None,
    confine_to: Path | None = None,
    run: Runner = inline,
) -> ReleaseOutcome:
    """Release one table under its SPEC and keep the record. Raises PermissionDenied without
    the de-identification role, NotFound for an unknown dataset; bad input and refusals are
    outcomes, audited like a release. ``run`` runs the engine (a server's pool of processes);
    what it raises (``EngineUnavailable``) passes through, nothing recorded."""
    check(actor, Action.DEID_RUN)
    if dataset_id is not None and session.get(Dataset, dataset_id) is None:
        raise NotFound(f"There is no dataset {dataset_id} to link the release to.")
    name = (name or table_path.name)[:200]
    computed = run(compute_release, table_path, spec_path, confine_to)
    if computed.rows is None:
        _audit(session, actor, name, "invalid", problems=len(errors(computed.findings)))
        return ReleaseOutcome("invalid", computed.findings)
    record = TableRelease(
        created_by_id=actor.user_id,
        created_by=actor.username,
        department_id=actor.department_id,
        via=actor.via,
        table_name=name,
        title=computed.title,
        spec_text=spec_path.read_text(encoding="utf-8", errors="replace"),
        dataset_id=dataset_id,
    )
    if computed.report is None:
        record.outcome = "refused"
        record.findings = [f.to_dict() for f in computed.refusal]
        record.summary = {"rows": computed.rows}
        session.add(record)
        session.flush()
        _audit(session, actor, name, "refused", record.id, problems=len(errors(computed.refusal)))
        return ReleaseOutcome("refused", computed.refusal, record)
    report, files = computed.report, computed.files
    record.outcome = "released"
    record.summary = {k: report["summary"][k] for k in SUMMARY_KEYS}
    record.files = list(files)
    session.add(record)
    session.flush()
    _store(settings, record.id, files)
    _audit(session, actor, name, "released", record.id, **record.summary)
    return ReleaseOutcome("released", [], record, report, files)


def _audit(
    session: Session,
    actor: Actor,
    name: str,
    outcome: str,
    release_id: int | None = None,
    **counts: Any,
) -> None:
    after: dict[str, Any] = {"table": name, "outcome": outcome, **counts}
    object_id = release_id if release_id is not None else name
    audit.record(session, actor, "deid.release", "deid_release", object_id, after=after)


def release_folder(settings: Settings, release_id: int) -> Path:
    return settings.data_dir / RELEASES_FOLDER / str(release_id)


def _store(settings: Settings, release_id: int, files: dict[str, str]) -> None:
    """Write every file into a temporary folder beside the final one, then move the folder
    into place in one step: a crash leaves a whole release or none."""
    final = release_folder(settings, release_id)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{release_id}-", dir=final.parent))
    try:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        if final.exists():  # left by a transaction that did not commit: its id is reused
            shutil.rmtree(final)
        os.replace(tmp, final)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _visible(actor: Actor) -> Any:
    """A department's releases are its own: other departments' users never see them."""
    if actor.department_id is None:  # the installation's operator
        return True
    return TableRelease.department_id == actor.department_id


def list_releases(
    session: Session, actor: Actor, dataset_id: int | None = None, limit: int = 500
) -> list[TableRelease]:
    """The newest releases first; raises PermissionDenied without a role that may see them."""
    check(actor, Action.VIEW_RELEASES)
    query = select(TableRelease).where(_visible(actor))
    if dataset_id is not None:
        query = query.where(TableRelease.dataset_id == dataset_id)
    query = query.order_by(TableRelease.id.desc()).limit(limit)
    return list(session.scalars(query))


def get_release(session: Session, actor: Actor, release_id: int) -> TableRelease:
    """One release; NotFound also for another department's (its existence is not told)."""
    check(actor, Action.VIEW_RELEASES)
    record = session.scalar(
        select(TableRelease).where(TableRelease.id == release_id, _visible(actor))
    )
    if record is None:
        raise NotFound(f"There is no release {release_id}.")
    return record


def release_file(settings: Settings, record: TableRelease, name: str) -> Path:
    """The stored file of a release by its name (only the names the release wrote)."""
    if name not in record.files:
        raise NotFound(f"Release {record.id} has no file {name!r}.")
    path = release_folder(settings, record.id) / name
    if not path.is_file():
        raise NotFound(f"The file {name!r} of release {record.id} is missing from the data folder.")
    return path
