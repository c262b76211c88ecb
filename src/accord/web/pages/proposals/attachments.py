"""Files on a proposal's page: attaching one (to the proposal, or to the person's
department's registered opinion), downloading one, and the provider's data dictionary of the
requested fields in the catalog's formats.

An attachment refused (its name, type, content or size) shows the page again with the
problems at the upload form and nothing stored. A download checks, in the service, that the
person may read the file (404 otherwise) and an opinion's file is written to the audit log as
every restricted read is, before the bytes are sent.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import Response

from accord.auth.actor import Actor
from accord.auth.permissions import Action
from accord.catalog.dictionary import FORMATS
from accord.errors import AccordError, Problem, ValidationFailed
from accord.proposals.attachments import (
    MAX_BYTES,
    add_attachment,
    attachment_reads,
    open_attachment,
    requested_dictionary,
)
from accord.proposals.models import Attachment
from accord.web.deps import DbSession, RowId, csrf_protect, get_settings, require
from accord.web.downloads import download
from accord.web.forms import submit
from accord.web.pages.catalog.forms import download_name
from accord.web.pages.proposals.forms import done
from accord.web.pages.proposals.page import show
from accord.web.pages.proposals.views import audit_reads

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)

Viewer = Annotated[Actor, Depends(require(Action.VIEW_PROPOSALS))]
Commenter = Annotated[Actor, Depends(require(Action.COMMENT_PROPOSALS))]
ANCHOR = "attachments"


def _opinion_id(posted: str) -> int | None:
    """The select's value: "" for the proposal itself, else an opinion's id."""
    if not posted:
        return None
    if not posted.isdigit() or not 0 < int(posted) < 2**31:
        raise ValidationFailed([Problem("opinion_id", "Choose where to attach the file.")])
    return int(posted)


@router.post("/proposals/{proposal_id:int}/attachments")
def attach(
    request: Request,
    session: DbSession,
    actor: Commenter,
    proposal_id: RowId,
    file: Annotated[UploadFile | None, File()] = None,
    opinion_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    def change() -> Attachment:
        if file is None or not file.filename:
            raise ValidationFailed([Problem("file", "Choose a file to attach.")])
        data = file.file.read(MAX_BYTES + 1)  # enough to tell it is too large, never more
        return add_attachment(
            session,
            actor,
            get_settings(request).data_dir,
            proposal_id,
            file.filename,
            data,
            opinion_id=_opinion_id(opinion_id),
        )

    def again(exc: AccordError) -> Response:
        return show(
            request,
            session,
            actor,
            proposal_id,
            status=exc.status,
            failed=ANCHOR,
            problems=exc.listed(),
            posted={"opinion_id": opinion_id},
        )

    return submit(
        session,
        change,
        done=lambda _: done(f"/proposals/{proposal_id}", "attached", ANCHOR),
        again=again,
    )


@router.get("/proposals/{proposal_id:int}/attachments/{attachment_id:int}")
def attachment_file(
    request: Request, session: DbSession, actor: Viewer, proposal_id: RowId, attachment_id: RowId
) -> Response:
    found, data = open_attachment(
        session, actor, get_settings(request).data_dir, proposal_id, attachment_id
    )
    audit_reads(request, session, actor, proposal_id, attachment_reads([found]))
    return download(data, found.media_type, found.filename)


@router.get("/proposals/{proposal_id:int}/dictionaries/{dataset_id:int}.{fmt}")
def requested_dictionary_file(
    session: DbSession, actor: Viewer, proposal_id: RowId, dataset_id: RowId, fmt: str
) -> Response:
    """The provider's data dictionary of one requested dataset, cut to the requested fields."""
    if fmt not in FORMATS:
        raise ValidationFailed([Problem("format", f"Choose one of: {', '.join(FORMATS)}.")])
    render, media_type, extension = FORMATS[fmt]
    dictionary = requested_dictionary(session, actor, proposal_id, dataset_id)
    name = download_name(f"proposal-{proposal_id}-{dictionary.dataset.name}", extension)
    return download(render(dictionary), media_type, name)
