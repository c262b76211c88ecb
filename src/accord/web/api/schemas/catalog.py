"""The catalog under /api/v1: sources, harvests, datasets, fields, statutes, glossary."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from accord.catalog.models import HarvestRun
from accord.web.deps import BodyId


class SourceIn(BaseModel):
    name: str
    location: str = Field(description="Database URL, folder of files, or OpenAPI document path.")
    kind: Literal["", "database", "files", "openapi"] = ""
    password_env: str = Field("", description="Read the password from this variable instead.")
    description: str = ""


class SourceOut(BaseModel):
    name: str
    kind: str
    location: str
    password: str
    last_harvest_at: datetime | None


class RunOut(BaseModel):
    id: int
    status: str
    done: int
    total: int
    message: str
    started_at: datetime
    finished_at: datetime | None
    report: dict[str, Any] | None = None

    @classmethod
    def of(cls, run: HarvestRun) -> RunOut:
        return cls(
            id=run.id,
            status=run.status,
            done=run.done,
            total=run.total,
            message=run.message,
            started_at=run.started_at,
            finished_at=run.finished_at,
            report=json.loads(run.report) if run.report else None,
        )


class DatasetOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    kind: str
    title: str
    description: str
    program: str
    system: str
    owner: str
    lifecycle: str
    retention_months: int | None
    listed_publicly: bool
    row_count: int | None
    removed_at: datetime | None


class FieldOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    position: int
    data_type: str
    nullable: bool
    primary_key: bool
    label: str
    definition: str
    standard_element: str
    tags: str
    drift: str
    drift_note: str
    review_needed: bool
    removed_at: datetime | None
    classifications: list[str] = []
    statutes: list[str] = []


class DatasetDetail(DatasetOut):
    fields: list[FieldOut]


class InventoryIn(BaseModel):
    title: str | None = None
    description: str | None = None
    program: str | None = None
    system: str | None = None
    vendor_managed: bool | None = None
    owner: str | None = None
    contacts: str | None = None
    related_programs: str | None = None
    objectives: str | None = None
    lifecycle: str | None = None
    lifecycle_since: date | None = None
    retention_months: int | None = None
    listed_publicly: bool | None = None


class DescriptionIn(BaseModel):
    label: str | None = None
    definition: str | None = None
    valid_values: list[tuple[str, str]] | None = None
    standard_element: str | None = None
    tags: list[str] | None = None


class CodesIn(BaseModel):
    codes: list[str]


class CitationsIn(BaseModel):
    citations: list[str]


class StatuteIn(BaseModel):
    citation: str
    title: str = ""
    url: str = ""


class TermIn(BaseModel):
    term: str
    definition: str
    acronym: str = ""


class RollupIn(BaseModel):
    field_ids: list[BodyId]


class ConfirmIn(BaseModel):
    digest: str
