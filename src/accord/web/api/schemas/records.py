"""What the API shows of a proposal's outcome and of the caller's work: the tasks waiting,
the agreement record an approved proposal creates, and the release under the Public Records
Act (split from ``schemas.proposals``, which holds the proposal and the inputs of each step)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from accord.web.api.schemas.proposals import Orm


class TaskPublic(Orm):
    proposal_id: int
    title: str
    detail: str


class TaskGroup(BaseModel):
    kind: str
    label: str
    tasks: list[TaskPublic]


class AgreementStatutePublic(BaseModel):
    citation: str
    title: str = Field(description="The statute library's title at approval; may be empty.")


class AgreementElementPublic(Orm):
    dataset_id: int
    field_id: int
    dataset_name: str
    field_name: str
    classifications: str = Field(description="Classification codes, '; '-separated.")
    classification_labels: dict[str, str] = Field(
        description="Classification code -> its label in words, as at approval."
    )
    statutes: list[AgreementStatutePublic] = Field(
        description="The statutes that govern the field, as at approval."
    )


class AgreementPublic(Orm):
    id: int
    proposal_id: int
    path: str
    approved_at: datetime
    use_case_name: str
    use: str
    authorised_users: str
    start_date: date | None
    end_date: date | None = Field(description="None: open-ended.")
    frequency: str
    recurring: bool
    transfer_method: str
    format: str
    deidentification: str
    destruction_return: str
    derived_products: str
    redisclosure: str
    version: int = Field(description="The proposal version approved.")
    filed_with: str = Field(description="Whom the governance path has the proposal filed with.")
    filed_at: datetime | None = Field(description="None: not filed yet.")
    filed_by: str = Field(description="Username of the data coordinator who filed it.")
    filed_by_department: str
    elements: list[AgreementElementPublic]


class RecordAnswer(BaseModel):
    question: str
    answer: str


class RecordParty(BaseModel):
    department: str
    side: str
    program: str


class RecordElement(BaseModel):
    dataset: str
    field: str
    label: str
    classifications: str
    statutes: str


class RecordAuthority(BaseModel):
    governs: list[str]
    statements: str


class RecordSignature(BaseModel):
    department: str
    kind: str
    name: str
    title: str
    date: str


class RecordMove(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    date: str
    from_: str = Field(alias="from")
    to: str


class PublicRecord(BaseModel):
    """What the department discloses under the Public Records Act: restricted content is
    never read into it (BUCP.md §1.3)."""

    proposal: int
    title: str
    governance: str
    state: str
    parties: list[RecordParty]
    sections: dict[str, list[RecordAnswer]]
    data_elements: list[RecordElement]
    legal_authority: RecordAuthority
    signatures: list[RecordSignature]
    history: list[RecordMove]
    withheld: str
