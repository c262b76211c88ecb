"""One run of `deid` over uploaded files, shared by the JSON API and the web pages.

The table, its SPEC and any files the SPEC names are saved under their own names into a
temporary folder that is removed before the answer is built, and read with the CLI's loader.
An assessment or audit keeps nothing of the data; a release is handed to the release service,
which stores its files and record. Either interface turns an ``Outcome`` into its own answer
(JSON or a page).
"""

from __future__ import annotations

import dataclasses
import functools
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from accord.auth import audit
from accord.auth.actor import Actor
from accord.config import Settings
from accord.deid.findings import Finding, errors, has_errors
from accord.deid.io.files import (
    assess_document,
    audit_document,
    load_release_inputs,
    safe_file_name,
)
from accord.deid.io.isolated import EnginePool, EngineUnavailable, Runner, inline
from accord.deid.model.tables import LoadedTable
from accord.deid.spec.spec import TableSpec
from accord.releases.service import release_table

TABLE_SUFFIXES = {".csv", ".parquet", ".pq"}
MAX_EXTRA_FILES = 20
NOT_READ = "The table and SPEC could not be read; nothing was produced."
NOT_ASSESSED = "The table cannot be assessed; see the findings."
BLOCKED = "The release is blocked; nothing was produced."


@dataclasses.dataclass
class Inputs:
    """What the shared loader made of one upload; ``name`` is the table's file name, ``rows``
    None when the table and SPEC could not be read."""

    name: str
    findings: list[Finding]
    title: str | None = None
    rows: int | None = None

    @classmethod
    def refused(cls, name: str, problems: list[str]) -> Inputs:
        return cls(name, [Finding("bad-upload", "11", p) for p in problems])


def engine(settings: Settings) -> Runner:
    """Where this server process runs the engine: its pool of processes (one per process,
    reused by every request), or the request's own thread when ``deid_processes`` is 0."""
    if settings.deid_processes == 0:
        return inline
    return _pool(settings.deid_processes, settings.deid_seconds)


@functools.cache
def _pool(processes: int, seconds: float) -> EnginePool:
    # Its processes are daemons: they end with this process (or, killed, at their next read).
    return EnginePool(processes, seconds, preload=(__name__,))


@dataclasses.dataclass
class Outcome:
    """The answer of one run: ``doc`` (and for a release its ``files``) when it succeeded,
    else why nothing was produced (``refused``) and the blocking ``findings``."""

    status: Literal["invalid", "blocked", "done"]
    inputs: Inputs
    doc: dict[str, Any] | None = None
    files: dict[str, str] = dataclasses.field(default_factory=dict)
    refused: str = ""
    findings: list[Finding] = dataclasses.field(default_factory=list)
    release_id: int | None = None


def upload_problems(table: UploadFile, spec: UploadFile, extras: Sequence[UploadFile]) -> list[str]:
    """Every reason to refuse the uploads before reading them (names, count, table type)."""
    problems = []
    if len(extras) > MAX_EXTRA_FILES:
        problems.append(f"at most {MAX_EXTRA_FILES} hierarchy files may accompany a SPEC")
    names: list[str] = []
    for role, upload in [("table", table), ("spec", spec), *[("files", u) for u in extras]]:
        name = upload.filename or ""
        if safe_file_name(name) is None:
            problems.append(f"{role}: {name[:80]!r} is not a plain file name (no folders, no '..')")
        elif name in names:
            problems.append(f"{role}: {name!r} was uploaded twice")
        names.append(name)
    if Path(table.filename or "").suffix.lower() not in TABLE_SUFFIXES:
        problems.append("table: upload a .csv or .parquet file")
    return problems


def _read(folder: Path, table: str, spec: str, published: bool) -> tuple[
    Inputs, LoadedTable | None, TableSpec | None
]:
    loaded, tspec, findings = load_release_inputs(
        folder / table, folder / spec, published=published, confine_to=folder
    )
    inputs = Inputs(table[:64], _without_folder(findings, folder))
    if loaded is not None and tspec is not None:
        inputs.title, inputs.rows = tspec.title, loaded.table.n_rows
    return inputs, loaded, tspec


def assess_files(
    folder: Path, table: str, spec: str
) -> tuple[Inputs, dict[str, Any] | None, list[Finding]]:
    """Steps 2–3 of saved files (run by the engine's ``Runner``)."""
    inputs, loaded, tspec = _read(folder, table, spec, published=False)
    if loaded is None or tspec is None:
        return inputs, None, []
    doc, findings = assess_document(loaded, tspec)
    return inputs, doc, findings


def audit_files(folder: Path, table: str, spec: str) -> tuple[Inputs, dict[str, Any] | None]:
    """The attacker-model audit of a saved published table (run by the ``Runner``)."""
    inputs, loaded, tspec = _read(folder, table, spec, published=True)
    if loaded is None or tspec is None:
        return inputs, None
    return inputs, audit_document(loaded, tspec)


def _in_folder(
    table: UploadFile,
    spec: UploadFile,
    extras: Sequence[UploadFile] | None,
    work: Callable[[Path], Outcome],
) -> Outcome:
    """Save the uploads into a temporary folder and run ``work`` on it; an engine run that
    did not finish is an outcome like bad input, with the reason."""
    extras = extras or []
    name = (table.filename or "")[:64]
    refused = upload_problems(table, spec, extras)
    if refused:
        inputs = Inputs.refused(name, refused)
        return Outcome("invalid", inputs, refused=NOT_READ, findings=inputs.findings)
    with tempfile.TemporaryDirectory(prefix="accord-deid-") as tmp:
        folder = Path(tmp)
        _save(folder, [table, spec, *extras])
        try:
            return work(folder)
        except EngineUnavailable as exc:
            return _stopped(Inputs(name, []), exc)


def _stopped(inputs: Inputs, exc: EngineUnavailable) -> Outcome:
    finding = Finding("engine-stopped", "11", exc.message)
    inputs.findings = [finding]
    return Outcome("invalid", inputs, refused=exc.message, findings=[finding])


def _save(folder: Path, uploads: Sequence[UploadFile]) -> None:
    for upload in uploads:
        with (folder / str(upload.filename)).open("wb") as fh:
            shutil.copyfileobj(upload.file, fh)


def _without_folder(findings: list[Finding], folder: Path) -> list[Finding]:
    """The temporary folder's path means nothing to the caller."""
    prefix = f"{folder}/"
    return [
        dataclasses.replace(f, message=f.message.replace(prefix, "")) if prefix in f.message else f
        for f in findings
    ]


def record_run(
    session: Session, actor: Actor, action: str, inputs: Inputs, outcome: str, **counts: Any
) -> None:
    """One audit entry per release or audit: the table's name, counts and the outcome."""
    after: dict[str, Any] = {"outcome": outcome, "problems": len(errors(inputs.findings))}
    if inputs.title is not None:
        after["title"] = inputs.title
    if inputs.rows is not None:
        after["rows"] = inputs.rows
    after.update(counts)
    audit.record(session, actor, action, "deid_table", inputs.name or "(unnamed)", after=after)


def blocking(findings: list[Finding]) -> list[Finding]:
    """What refusing bad input shows: its errors, or every finding when none is an error."""
    return errors(findings) or findings


def assess_uploads(
    table: UploadFile,
    spec: UploadFile,
    extras: Sequence[UploadFile] | None,
    run: Runner = inline,
) -> Outcome:
    """Steps 2–3 of uploaded files: the same document as `accord deid assess`. Not audited:
    an assessment publishes nothing."""

    def work(folder: Path) -> Outcome:
        inputs, doc, findings = run(assess_files, folder, str(table.filename), str(spec.filename))
        if inputs.rows is None:
            return Outcome("invalid", inputs, refused=NOT_READ, findings=blocking(inputs.findings))
        if doc is None or has_errors(findings):
            return Outcome("invalid", inputs, refused=NOT_ASSESSED, findings=blocking(findings))
        return Outcome("done", inputs, doc=doc)

    return _in_folder(table, spec, extras, work)


def audit_uploads(
    table: UploadFile,
    spec: UploadFile,
    extras: Sequence[UploadFile] | None,
    run: Runner = inline,
) -> Outcome:
    """The attacker-model audit of an uploaded published table: the same document as
    `accord deid audit` (a failed audit is a document, ``passed: false``)."""

    def work(folder: Path) -> Outcome:
        inputs, doc = run(audit_files, folder, str(table.filename), str(spec.filename))
        if doc is None:
            return Outcome("invalid", inputs, refused=NOT_READ, findings=blocking(inputs.findings))
        return Outcome("done", inputs, doc=doc)

    return _in_folder(table, spec, extras, work)


def release_uploads(
    session: Session,
    actor: Actor,
    settings: Settings,
    table: UploadFile,
    spec: UploadFile,
    extras: Sequence[UploadFile] | None,
    dataset_id: int | None = None,
) -> Outcome:
    """Step 4 of uploaded files through the release service: suppress, audit, store. ``doc``
    is the report, ``files`` the release files by name and ``release_id`` the stored record;
    a release the engine refuses is recorded without files and produces nothing."""
    extras = extras or []
    name = (table.filename or "")[:64]
    refused = upload_problems(table, spec, extras)
    if refused:
        inputs = Inputs.refused(name, refused)
        record_run(session, actor, "deid.release", inputs, "invalid")
        return Outcome("invalid", inputs, refused=NOT_READ, findings=inputs.findings)
    with tempfile.TemporaryDirectory(prefix="accord-deid-") as tmp:
        folder = Path(tmp)
        _save(folder, [table, spec, *extras])
        try:
            result = release_table(
                session,
                actor,
                settings,
                folder / str(table.filename),
                folder / str(spec.filename),
                name=name,
                dataset_id=dataset_id,
                confine_to=folder,
                run=engine(settings),
            )
        except EngineUnavailable as exc:
            out = _stopped(Inputs(name, []), exc)
            record_run(session, actor, "deid.release", out.inputs, "stopped")
            return out
    inputs = Inputs(name, _without_folder(result.findings, folder))
    if result.status == "invalid":
        return Outcome("invalid", inputs, refused=NOT_READ, findings=inputs.findings)
    if result.status == "refused":
        return Outcome("blocked", inputs, refused=BLOCKED, findings=inputs.findings)
    assert result.record is not None
    return Outcome(
        "done", inputs, doc=result.report, files=result.files, release_id=result.record.id
    )
