"""The describe-and-classify workflow under /api/v1: suggestions, assignments, review."""

from __future__ import annotations

from pydantic import BaseModel, Field

from accord.web.deps import BodyId


class SuggestIn(BaseModel):
    sample_size: int = Field(50, ge=0, le=1000, description="Values read per column.")


class DecideIn(BaseModel):
    suggestion_ids: list[BodyId]
    accept: bool


class PatternIn(BaseModel):
    pattern: str = Field(description="Field-name pattern, e.g. *_ssn")
    accept: bool
    label: str = ""


class AssignIn(BaseModel):
    steward: str
    field_ids: list[BodyId] = []
    dataset_id: BodyId | None = None


class SubmitIn(BaseModel):
    field_ids: list[BodyId]


class ReviewIn(BaseModel):
    approve: bool
    note: str = ""
    # the description's fingerprint as the reviewer read it (GET …/describe/my-work gives it):
    # publishing is refused if it has changed since
    seen: str = ""
