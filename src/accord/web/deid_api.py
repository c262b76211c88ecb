"""De-identification of aggregate tables under /api/v1/deid: the `accord deid` commands over
HTTP, answering with the same JSON.

A table and its SPEC arrive as a multipart upload, with any hierarchy files the SPEC names.
They are read by ``deid_uploads``, the code path the web pages share: nothing of the data is
kept, and the audit log records only counts and the outcome. Bad input answers 422 with every
finding, and nothing is produced.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, UploadFile
from fastapi.responses import JSONResponse

from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.deid.files import audit_document, score_document
from accord.deid.findings import Finding
from accord.errors import Problem
from accord.web.deid_uploads import (
    NOT_READ,
    assess_uploads,
    blocking,
    load_uploads,
    record_run,
    release_uploads,
)
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


def _refused(findings: list[Finding], message: str) -> JSONResponse:
    """422 in the API's one error shape; `findings` carries each one in full (for a blocked
    release, the aggregation proposals too: `details.recode` / `drop` are the SPEC to add)."""
    problems = [Problem(f.rule, str(f)) for f in findings]
    body = error_body("validation_failed", message, problems)
    body["error"]["findings"] = [f.to_dict() for f in findings]
    return JSONResponse(body, status_code=422)


# --- Routes ------------------------------------------------------------------------------------


@router.post("/assess", response_model=None)
def api_assess(
    actor: Runner, table: TableFile, spec: SpecFile, files: ExtraFiles = None
) -> dict[str, Any] | JSONResponse:
    """Steps 2–3: the numerator/denominator condition, the publication score and whether to
    mask; the same JSON as `accord deid assess`."""
    out = assess_uploads(table, spec, files)
    if out.doc is None:
        return _refused(out.findings, out.refused)
    return out.doc


@router.post("/release", response_model=None)
def api_release(
    session: DbSession, actor: Runner, table: TableFile, spec: SpecFile, files: ExtraFiles = None
) -> dict[str, Any] | JSONResponse:
    """Step 4: suppress and audit; return the report, the machine-readable CSV, the human
    table (Markdown) and the metadata note. A release the audit blocks answers 422."""
    out = release_uploads(session, actor, table, spec, files)
    if out.doc is None:
        return _refused(out.findings, out.refused)
    return {
        "report": out.doc,
        "table_csv": out.files["table.csv"],
        "table_markdown": out.files["table.md"],
        "metadata": out.files["metadata.txt"],
    }


@router.post("/audit", response_model=None)
def api_audit(
    session: DbSession, actor: Runner, table: TableFile, spec: SpecFile, files: ExtraFiles = None
) -> dict[str, Any] | JSONResponse:
    """Audit a published table (blank = suppressed) against the attacker model of §10.5; the
    same JSON as `accord deid audit` (a failed audit is an answer, `passed: false`)."""
    inputs = load_uploads(table, spec, files, published=True)
    if inputs.loaded is None or inputs.spec is None:
        record_run(session, actor, "deid.audit", inputs, "invalid")
        return _refused(blocking(inputs.findings), NOT_READ)
    doc = audit_document(inputs.loaded, inputs.spec)
    record_run(
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
        return _refused(blocking(problems), "The ScoringUnit cannot be scored.")
    return doc
