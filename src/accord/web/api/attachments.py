"""A proposal's attachments and the data dictionary of its requested fields under /api/v1:
the same services as the proposal page.

Listing and downloading need only viewing; the services leave out (list) and refuse with 404
(download) an opinion's files for whoever may not read opinions, and answer 404 to a
department that is no party. Uploading is the commenting roles' (403 for others). Each
download of a restricted file is written to the audit log before the bytes leave.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import File, Form, Request, UploadFile
from fastapi.responses import Response

from accord.catalog.dictionary import FORMATS
from accord.proposals.access import load
from accord.proposals.attachments import (
    MAX_BYTES,
    add_attachment,
    attachment_reads,
    attachments,
    open_attachment,
    requested_datasets,
    requested_dictionary,
)
from accord.web.api.proposals import Commenter, Viewer, audit_reads
from accord.web.api.routing import api_router
from accord.web.api.schemas.attachments import (
    UPLOAD_HELP,
    AttachmentPublic,
    RequestedDictionaryPublic,
)
from accord.web.deps import MAX_ID, DbSession, RowId, get_settings
from accord.web.downloads import download

router = api_router("proposals")

FILE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "The file, as a download.", "content": {"*/*": {}}}
}
FormatName = Literal["csv", "xlsx", "table-schema", "json"]


@router.get("/proposals/{proposal_id}/attachments")
def api_attachments(
    proposal_id: RowId, session: DbSession, actor: Viewer
) -> list[AttachmentPublic]:
    """The proposal's files the caller may read: an opinion's only for who reads opinions."""
    found = attachments(session, actor, load(session, actor, proposal_id))
    return [AttachmentPublic.of(a) for a in found]


@router.post("/proposals/{proposal_id}/attachments", status_code=201)
def api_attach(
    proposal_id: RowId,
    request: Request,
    session: DbSession,
    actor: Commenter,
    file: Annotated[UploadFile, File(description=UPLOAD_HELP)],
    opinion_id: Annotated[
        int | None,
        Form(
            ge=1,
            le=MAX_ID,
            description="Add it to this registered opinion of your "
            "department in your area (restricted as the opinion is).",
        ),
    ] = None,
) -> AttachmentPublic:
    """Attach a file (multipart ``file``); 422 listing every problem (name, type, content,
    size), with nothing stored."""
    data = file.file.read(MAX_BYTES + 1)  # enough to tell it is too large, never more
    added = add_attachment(
        session,
        actor,
        get_settings(request).data_dir,
        proposal_id,
        file.filename or "",
        data,
        opinion_id=opinion_id,
    )
    return AttachmentPublic.of(added)


@router.get(
    "/proposals/{proposal_id}/attachments/{attachment_id}",
    response_class=Response,
    responses=FILE_RESPONSE,
)
def api_attachment_file(
    proposal_id: RowId, attachment_id: RowId, request: Request, session: DbSession, actor: Viewer
) -> Response:
    """The file's bytes; 404 for whoever may not read it. A restricted one is audited."""
    found, data = open_attachment(
        session, actor, get_settings(request).data_dir, proposal_id, attachment_id
    )
    audit_reads(request, actor, proposal_id, attachment_reads([found]))
    return download(data, found.media_type, found.filename)


@router.get("/proposals/{proposal_id}/dictionaries")
def api_requested_dictionaries(
    proposal_id: RowId, session: DbSession, actor: Viewer
) -> list[RequestedDictionaryPublic]:
    """The requested datasets still in the catalog, each with the fields requested of it."""
    found = requested_datasets(session, load(session, actor, proposal_id))
    return [RequestedDictionaryPublic.of(d) for d in found]


@router.get(
    "/proposals/{proposal_id}/dictionaries/{dataset_id}",
    response_class=Response,
    responses=FILE_RESPONSE,
)
def api_requested_dictionary(
    proposal_id: RowId,
    dataset_id: RowId,
    session: DbSession,
    actor: Viewer,
    format: FormatName = "json",
) -> Response:
    """The provider's data dictionary of one requested dataset, cut to the requested fields,
    in the catalog's formats; 404 if the proposal requests no field of it."""
    render, media_type, extension = FORMATS[format]
    dictionary = requested_dictionary(session, actor, proposal_id, dataset_id)
    name = f"proposal-{proposal_id}-dictionary-{dataset_id}.{extension}"
    return download(render(dictionary), media_type, name)
