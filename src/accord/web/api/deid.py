"""De-identification of aggregate tables under /api/v1/deid: the `accord deid` commands over
HTTP, answering with the same JSON.

A table and its SPEC arrive as a multipart upload, with any hierarchy files the SPEC names.
They are read by ``pages.deid.uploads``, the code path the web pages share: nothing of the data is
kept, and the audit log records only counts and the outcome. Bad input answers 422 with every
finding, and nothing is produced.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Depends, File, Form, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.config import Settings
from accord.deid.findings import Finding
from accord.deid.io.files import score_document
from accord.errors import Problem
from accord.releases.models import TableRelease
from accord.releases.service import get_release, list_releases, release_file
from accord.web.api.routing import api_router
from accord.web.deps import (
    MAX_ID,
    DbSession,
    OptionalQueryId,
    RowId,
    get_settings,
    require,
)
from accord.web.errors import error_body
from accord.web.pages.deid.uploads import (
    assess_uploads,
    audit_uploads,
    blocking,
    engine,
    record_run,
    release_uploads,
)

router = api_router("deid", prefix="/api/v1/deid")

Runner = Annotated[Actor, Depends(require(Action.DEID_RUN))]
Viewer = Annotated[Actor, Depends(require(Action.VIEW_RELEASES))]
AppSettings = Annotated[Settings, Depends(get_settings)]
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
    settings: AppSettings,
    actor: Runner,
    table: TableFile,
    spec: SpecFile,
    files: ExtraFiles = None,
) -> dict[str, Any] | JSONResponse:
    """Steps 2–3: the numerator/denominator condition, the publication score and whether to
    mask; the same JSON as `accord deid assess`."""
    out = assess_uploads(table, spec, files, engine(settings))
    if out.doc is None:
        return _refused(out.findings, out.refused)
    return out.doc


@router.post("/release", response_model=None)
def api_release(
    session: DbSession,
    settings: AppSettings,
    actor: Runner,
    table: TableFile,
    spec: SpecFile,
    files: ExtraFiles = None,
    dataset_id: Annotated[
        int | None, Form(ge=1, le=MAX_ID, description="Catalog dataset the table comes from.")
    ] = None,
) -> dict[str, Any] | JSONResponse:
    """Step 4: suppress, audit and store the release; return its number and address, the
    report, the machine-readable CSV, the human table (Markdown) and the metadata note. A
    release the engine refuses answers 422 and is kept in the history without files."""
    out = release_uploads(session, actor, settings, table, spec, files, dataset_id)
    if out.doc is None or out.release_id is None:
        return _refused(out.findings, out.refused)
    return {
        "release": _release_link(out.release_id),
        "report": out.doc,
        "table_csv": out.files["table.csv"],
        "table_markdown": out.files["table.md"],
        "metadata": out.files["metadata.txt"],
    }


@router.get("/releases")
def api_releases(
    session: DbSession, actor: Viewer, dataset_id: OptionalQueryId = None
) -> list[dict[str, Any]]:
    """The department's releases, newest first (refused ones too, without files)."""
    return [_release_doc(r) for r in list_releases(session, actor, dataset_id=dataset_id)]


@router.get("/releases/{release_id}")
def api_release_record(session: DbSession, actor: Viewer, release_id: RowId) -> dict[str, Any]:
    """One release: who, when, which table and SPEC, the outcome and its files."""
    return _release_doc(get_release(session, actor, release_id))


@router.get("/releases/{release_id}/files/{name}", response_model=None)
def api_release_file(
    session: DbSession, settings: AppSettings, actor: Viewer, release_id: RowId, name: str
) -> FileResponse:
    """One stored file of a release (table.csv, table.md, metadata.txt, report.json,
    report.html), as it was written."""
    record = get_release(session, actor, release_id)
    return FileResponse(release_file(settings, record, name), filename=name)


def _release_link(release_id: int) -> dict[str, Any]:
    return {"id": release_id, "url": f"/deid/releases/{release_id}"}


def _release_doc(r: TableRelease) -> dict[str, Any]:
    return {
        **_release_link(r.id),
        "created_at": r.created_at.isoformat(),
        "created_by": r.created_by,
        "via": r.via,
        "table": r.table_name,
        "title": r.title,
        "spec": r.spec_text,
        "outcome": r.outcome,
        "summary": r.summary,
        "findings": r.findings,
        "dataset_id": r.dataset_id,
        "files": {name: f"/api/v1/deid/releases/{r.id}/files/{name}" for name in r.files},
    }


@router.post("/audit", response_model=None)
def api_audit(
    session: DbSession,
    settings: AppSettings,
    actor: Runner,
    table: TableFile,
    spec: SpecFile,
    files: ExtraFiles = None,
) -> dict[str, Any] | JSONResponse:
    """Audit a published table (blank = suppressed) against the attacker model of §10.5; the
    same JSON as `accord deid audit` (a failed audit is an answer, `passed: false`)."""
    out = audit_uploads(table, spec, files, engine(settings))
    if out.doc is None:
        record_run(session, actor, "deid.audit", out.inputs, "invalid")
        return _refused(out.findings, out.refused)
    doc = out.doc
    record_run(
        session,
        actor,
        "deid.audit",
        out.inputs,
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
