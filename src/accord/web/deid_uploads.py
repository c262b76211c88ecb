"""One run of `deid` over uploaded files, shared by the JSON API and the web pages.

The table, its SPEC and any files the SPEC names are saved under their own names into a
temporary folder that is removed before the answer is built, and read with the CLI's loader.
Nothing of the data is kept; the audit log records only the table's name, counts and the
outcome. Either interface turns an ``Outcome`` into its own answer (JSON or a page).
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
from accord.deid.files import (
    assess_document,
    load_release_inputs,
    release_files,
    safe_file_name,
)
from accord.deid.findings import Finding, errors, has_errors
from accord.deid.release import release_loaded
from accord.deid.spec import TableSpec
from accord.deid.tables import LoadedTable

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
        for upload in [table, spec, *extras]:
            with (folder / str(upload.filename)).open("wb") as fh:
                shutil.copyfileobj(upload.file, fh)
        loaded, tspec, findings = load_release_inputs(
            folder / str(table.filename),
            folder / str(spec.filename),
            published=published,
            confine_to=folder,
        )
    # The temporary folder's path means nothing to the caller.
    prefix = f"{folder}/"
    findings = [
        dataclasses.replace(f, message=f.message.replace(prefix, "")) if prefix in f.message else f
        for f in findings
    ]
    return Inputs(name, loaded, tspec, findings)


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
    table: UploadFile,
    spec: UploadFile,
    extras: Sequence[UploadFile] | None,
) -> Outcome:
    """Step 4 of uploaded files: suppress and audit. ``doc`` is the report and ``files`` the
    release files by name (table.csv, table.md, metadata.txt, report.json, report.html); a
    release the audit blocks produces nothing. Records one audit entry whatever the outcome."""
    inputs = load_uploads(table, spec, extras)
    if inputs.loaded is None or inputs.spec is None:
        record_run(session, actor, "deid.release", inputs, "invalid")
        return Outcome("invalid", inputs, refused=NOT_READ, findings=blocking(inputs.findings))
    rel = release_loaded(inputs.loaded, inputs.spec)
    if rel.blocked:
        record_run(session, actor, "deid.release", inputs, "blocked")
        return Outcome("blocked", inputs, refused=BLOCKED, findings=rel.refusal)
    produced, report = release_files(rel, inputs.spec)
    summary = report["summary"]
    record_run(
        session,
        actor,
        "deid.release",
        inputs,
        "released",
        **{k: summary[k] for k in ("primary", "complementary", "derived", "audit_passed")},
    )
    return Outcome("done", inputs, doc=report, files=produced)
