"""A proposal's attachments and the data dictionaries of its requested datasets, as the API
shows them; read from the services' own objects (``Attachment``, ``RequestedDataset``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from accord.catalog.dictionary import FORMATS
from accord.proposals.attachments import MAX_BYTES, TYPES, RequestedDataset
from accord.proposals.models import Attachment

UPLOAD_HELP = (
    f"Accepted types: {', '.join(sorted(TYPES))}, up to {MAX_BYTES // 2**20} MB; the content "
    "must be of the type the name says. A plain name: letters, digits, spaces, dots, hyphens, "
    "brackets."
)


class AttachmentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    filename: str
    media_type: str
    size: int = Field(description="In bytes.")
    sha256: str
    uploaded_by: str
    uploaded_at: datetime
    opinion_id: int | None = Field(
        description="The registered opinion it was added to; none for the proposal's own files."
    )
    restricted: bool = Field(
        description="An opinion's file: listed and downloaded only by who reads opinions, "
        "each download audited."
    )

    @classmethod
    def of(cls, a: Attachment) -> AttachmentPublic:
        return cls(
            id=a.id,
            filename=a.filename,
            media_type=a.media_type,
            size=a.size,
            sha256=a.sha256,
            uploaded_by=a.uploaded_by,
            uploaded_at=a.uploaded_at,
            opinion_id=a.opinion_id,
            restricted=a.opinion_id is not None,
        )


class RequestedDictionaryPublic(BaseModel):
    """A requested dataset whose dictionary, cut to the requested fields, can be downloaded
    from ``.../dictionaries/{dataset_id}?format=``."""

    dataset_id: int
    dataset: str
    fields: list[str] = Field(description="The fields requested of it.")
    formats: list[str] = Field(list(FORMATS), description="The formats it is offered in.")

    @classmethod
    def of(cls, d: RequestedDataset) -> RequestedDictionaryPublic:
        return cls(dataset_id=d.dataset_id, dataset=d.name, fields=list(d.fields))
