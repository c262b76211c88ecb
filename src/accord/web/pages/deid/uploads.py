"""One run of `deid` over uploaded files, shared by the JSON API and the web pages.

The table, its SPEC and any files the SPEC names are saved under their own names into a
temporary folder that is removed before the answer is built, and read with the CLI's loader.
An assessment or audit keeps nothing of the data; a release is handed to the release service,
which stores its files and record. Either interface turns an ``Outcome`` into its own answer
(JSON or a page).
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from accord.auth import audit
from accord.auth.actor import Actor
from accord.config import Settings
from accord.deid.findings import Finding, errors, has_errors
from accord.deid.io.files import assess_document, load_release_inputs, safe_file_name
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
    """What the shared loader made of one upload; ``name`` is the table's file name."""

    name: str
    loaded: LoadedTable | None
    spec: TableSpec | None
    findings: list[Finding]


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


def load_uploads(
    table: UploadFile,
    spec: UploadFile,
    extras: Sequence[UploadFile] | None,
    published: bool = False,
) -> Inputs:
    """Save the uploads into a temporary folder and read them with the CLI's loader."""
    extras = extras or []
    name = (table.filename or "")[:64]
    refused = upload_problems(table, spec, extras)
    if refused:
        return Inputs(name, None, None, [Finding("bad-upload", "11", p) for p in refused])
    with tempfile.TemporaryDirectory(prefix="accord-deid-") as tmp:
        folder = Path(tmp)
        _save(folder, [table, spec, *extras])
        loaded, tspec, findings = load_release_inputs(
            folder / str(table.filename),
            folder / str(spec.filename),
            published=published,
            confine_to=folder,
        )
    return Inputs(name, loaded, tspec, _without_folder(findings, folder))


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
    if inputs.spec is not None:
        after["title"] = inputs.spec.title
    if inputs.loaded is not None:
        after["rows"] = inputs.loaded.table.n_rows
    after.update(counts)
    audit.record(session, actor, action, "deid_table", inputs.name or "(unnamed)", after=after)


def blocking(findings: list[Finding]) -> list[Finding]:
    """What refusing bad input shows: its errors, or every finding when none is an error."""
    return errors(findings) or findings


def assess_uploads(
    table: UploadFile, spec: UploadFile, extras: Sequence[UploadFile] | None
) -> Outcome:
    """Steps 2–3 of uploaded files: the same document as `accord deid assess`. Not audited:
    an assessment publishes nothing."""
    inputs = load_uploads(table, spec, extras)
    if inputs.loaded is None or inputs.spec is None:
        return Outcome("invalid", inputs, refused=NOT_READ, findings=blocking(inputs.findings))
    doc, findings = assess_document(inputs.loaded, inputs.spec)
    if has_errors(findings):
        return Outcome("invalid", inputs, refused=NOT_ASSESSED, findings=blocking(findings))
    return Outcome("done", inputs, doc=doc)


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
        inputs = Inputs(name, None, None, [Finding("bad-upload", "11", p) for p in refused])
        record_run(session, actor, "deid.release", inputs, "invalid")
        return Outcome("invalid", inputs, refused=NOT_READ, findings=inputs.findings)
    with tempfile.TemporaryDirectory(prefix="accord-deid-") as tmp:
        folder = Path(tmp)
        _save(folder, [table, spec, *extras])
        result = release_table(
            session,
            actor,
            settings,
            folder / str(table.filename),
            folder / str(spec.filename),
            name=name,
            dataset_id=dataset_id,
            confine_to=folder,
        )
    inputs = Inputs(name, None, None, _without_folder(result.findings, folder))
    if result.status == "invalid":
        return Outcome("invalid", inputs, refused=NOT_READ, findings=inputs.findings)
    if result.status == "refused":
        return Outcome("blocked", inputs, refused=BLOCKED, findings=inputs.findings)
    assert result.record is not None
    return Outcome(
        "done", inputs, doc=result.report, files=result.files, release_id=result.record.id
    )
