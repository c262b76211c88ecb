"""De-identification of aggregate tables under /api/v1/deid: the `accord deid` commands over
HTTP, answering with the same JSON.

A table and its SPEC arrive as a multipart upload, with any hierarchy files the SPEC names.
They are saved under their own names into a temporary folder that is removed before the
response is sent; nothing of the data is kept, and the audit log records only counts and the
outcome. Bad input answers 422 with every finding, and nothing is produced.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, UploadFile
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.deid.files import (
    assess_document,
    audit_document,
    load_release_inputs,
    release_files,
    safe_file_name,
    score_document,
)
from accord.deid.findings import Finding, errors, has_errors
from accord.deid.release import release_loaded
from accord.deid.spec import TableSpec
from accord.deid.tables import LoadedTable
from accord.errors import Problem
from accord.web.deps import DbSession, csrf_protect, require
from accord.web.errors import error_body

router = APIRouter(prefix="/api/v1/deid", dependencies=[Depends(csrf_protect)], tags=["deid"])

Runner = Annotated[Actor, Depends(require(Action.DEID_RUN))]
TableFile = Annotated[UploadFile, File(description="Long-format table, CSV or Parquet.")]
SpecFile = Annotated[UploadFile, File(description="YAML SPEC describing the table.")]
ExtraFiles = Annotated[
    list[UploadFile] | None,
    File(description="Hierarchy files the SPEC names (by plain file name)."),
]

TABLE_SUFFIXES = {".csv", ".parquet", ".pq"}
MAX_EXTRA_FILES = 20


# --- Uploads -----------------------------------------------------------------------------------


@dataclasses.dataclass
class Inputs:
    """What the shared loader made of one upload; ``name`` is the table's file name."""

    name: str
    loaded: LoadedTable | None
    spec: TableSpec | None
    findings: list[Finding]


def _upload_problems(table: UploadFile, spec: UploadFile, extras: list[UploadFile]) -> list[str]:
    problems = []
    if len(extras) > MAX_EXTRA_FILES:
        problems.append(f"at most {MAX_EXTRA_FILES} hierarchy files may accompany a SPEC")
    names: list[str] = []
    for role, upload in [("table", table), ("spec", spec)] + [("files", u) for u in extras]:
        name = upload.filename or ""
        if safe_file_name(name) is None:
            problems.append(f"{role}: {name[:80]!r} is not a plain file name (no folders, no '..')")
        elif name in names:
            problems.append(f"{role}: {name!r} was uploaded twice")
        names.append(name)
    if Path(table.filename or "").suffix.lower() not in TABLE_SUFFIXES:
        problems.append("table: upload a .csv or .parquet file")
    return problems


def _load(
    table: UploadFile, spec: UploadFile, extras: list[UploadFile] | None, published: bool = False
) -> Inputs:
    """Save the uploads into a temporary folder and read them with the CLI's loader."""
    extras = extras or []
    name = (table.filename or "")[:64]
    refused = _upload_problems(table, spec, extras)
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


def _refused(findings: list[Finding], message: str) -> JSONResponse:
    """422 in the API's one error shape; `findings` carries each one in full."""
    blocking = errors(findings) or findings
    problems = [Problem(f.rule, str(f)) for f in blocking]
    body = error_body("validation_failed", message, problems)
    body["error"]["findings"] = [f.to_dict() for f in blocking]
    return JSONResponse(body, status_code=422)


def _record(
    session: Session, actor: Actor, action: str, inputs: Inputs, outcome: str, **counts: Any
) -> None:
    """One audit entry per release or audit call: the table's name, counts and the outcome."""
    after: dict[str, Any] = {"outcome": outcome, "problems": len(errors(inputs.findings))}
    if inputs.spec is not None:
        after["title"] = inputs.spec.title
    if inputs.loaded is not None:
        after["rows"] = inputs.loaded.table.n_rows
    after.update(counts)
    audit.record(session, actor, action, "deid_table", inputs.name or "(unnamed)", after=after)


# --- Routes ------------------------------------------------------------------------------------

NOT_READ = "The table and SPEC could not be read; nothing was produced."


@router.post("/assess", response_model=None)
def api_assess(
    actor: Runner, table: TableFile, spec: SpecFile, files: ExtraFiles = None
) -> dict[str, Any] | JSONResponse:
    """Steps 2–3: the numerator/denominator condition, the publication score and whether to
    mask; the same JSON as `accord deid assess`."""
    inputs = _load(table, spec, files)
    if inputs.loaded is None or inputs.spec is None:
        return _refused(inputs.findings, NOT_READ)
    doc, findings = assess_document(inputs.loaded, inputs.spec)
    if has_errors(findings):
        return _refused(findings, "The table cannot be assessed; see the findings.")
    return doc


@router.post("/release", response_model=None)
def api_release(
    session: DbSession, actor: Runner, table: TableFile, spec: SpecFile, files: ExtraFiles = None
) -> dict[str, Any] | JSONResponse:
    """Step 4: suppress and audit; return the report, the machine-readable CSV, the human
    table (Markdown) and the metadata note. A release the audit blocks answers 422."""
    inputs = _load(table, spec, files)
    if inputs.loaded is None or inputs.spec is None:
        _record(session, actor, "deid.release", inputs, "invalid")
        return _refused(inputs.findings, NOT_READ)
    rel = release_loaded(inputs.loaded, inputs.spec)
    if rel.blocked:
        _record(session, actor, "deid.release", inputs, "blocked")
        return _refused(rel.findings, "The release is blocked; nothing was produced.")
    produced, report = release_files(rel, inputs.spec)
    summary = report["summary"]
    _record(
        session,
        actor,
        "deid.release",
        inputs,
        "released",
        **{k: summary[k] for k in ("primary", "complementary", "derived", "audit_passed")},
    )
    return {
        "report": report,
        "table_csv": produced["table.csv"],
        "table_markdown": produced["table.md"],
        "metadata": produced["metadata.txt"],
    }


@router.post("/audit", response_model=None)
def api_audit(
    session: DbSession, actor: Runner, table: TableFile, spec: SpecFile, files: ExtraFiles = None
) -> dict[str, Any] | JSONResponse:
    """Audit a published table (blank = suppressed) against the attacker model of §10.5; the
    same JSON as `accord deid audit` (a failed audit is an answer, `passed: false`)."""
    inputs = _load(table, spec, files, published=True)
    if inputs.loaded is None or inputs.spec is None:
        _record(session, actor, "deid.audit", inputs, "invalid")
        return _refused(inputs.findings, NOT_READ)
    doc = audit_document(inputs.loaded, inputs.spec)
    _record(
        session,
        actor,
        "deid.audit",
        inputs,
        "passed" if doc["passed"] else "failed",
        cells=len(doc["intervals"]),
    )
    return doc


@router.post("/score", response_model=None)
def api_score(
    actor: Runner,
    unit: Annotated[dict[str, Any], Body(description="A ScoringUnit (DDG.md §7.10).")],
) -> dict[str, Any] | JSONResponse:
    """Score a ScoringUnit; the same JSON as `accord deid score`."""
    doc, problems = score_document(unit)
    if doc is None:
        return _refused(problems, "The ScoringUnit cannot be scored.")
    return doc
