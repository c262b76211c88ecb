"""Plans, runs, packages and deliveries as the API shows them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from accord.fulfillment.models import Delivery, DeliverySchedule, Destination, FulfillmentRun
from accord.fulfillment.plan import Rule
from accord.fulfillment.planning import PlannedField
from accord.jobs.models import Job

RuleName = Literal["keep", "drop", "month", "year", "zip3", "age_band", "pseudonymise"]


class PlannedFieldPublic(BaseModel):
    dataset: str
    field: str
    classifications: dict[str, str] = Field(description="Code → label, as approved.")
    rule: RuleName
    default: RuleName
    choices: list[RuleName] = Field(description="The rules this field may be given.")
    missing: bool = Field(description="The catalog no longer has this field.")

    @classmethod
    def of(cls, f: PlannedField) -> PlannedFieldPublic:
        return cls(
            dataset=f.dataset,
            field=f.field,
            classifications=f.classifications,
            rule=f.rule.value,
            default=f.default.value,
            choices=[r.value for r in f.choices],
            missing=f.missing,
        )


class PlanPublic(BaseModel):
    proposal_id: int
    agreement_id: int
    release: str = Field(description="none | record_level | aggregate, as the agreement says.")
    format: Literal["parquet", "csv"]
    fields: list[PlannedFieldPublic]
    recipient_key: str = Field(
        description="The public key packages are encrypted for (age or OpenSSH); empty: none."
    )
    records_from: date | None = Field(description="The agreement covers records from this day.")
    records_to: date | None = Field(description="... up to this day (inclusive).")
    periods: dict[str, str] = Field(
        description='Dataset → the date field the records period is applied to ("": all its '
        "records, they are not dated); a dataset not listed has not been chosen yet."
    )


class PlanUpdate(BaseModel):
    rules: dict[str, RuleName] = Field(
        default_factory=dict,
        description='"dataset.field" → rule; fields not named keep their default.',
        max_length=5000,
    )
    format: Literal["parquet", "csv"] = "parquet"
    periods: dict[str, str] | None = Field(
        default=None,
        max_length=500,
        description='Dataset → date field ("": all its records, they are not dated), when the '
        "agreement covers a records period; omitted: the choices stand.",
    )


class EncryptionUpdate(BaseModel):
    recipient_key: str = Field(
        max_length=20_000,
        description="age1… or ssh-ed25519/ssh-rsa …; empty to stop encrypting.",
    )


class RunPublic(BaseModel):
    id: int
    agreement_id: int
    status: str = Field(description="queued | running | succeeded | failed | cancelled")
    done: int
    total: int
    message: str
    created_by: str
    created_at: datetime
    package: str = Field(description="The package's name; empty until it is complete.")
    sha256: str = Field(description="SHA-256 of the file delivered (.zip, or .zip.age).")
    size: int
    encrypted_for: str = Field(description="The recipient's public key; empty: not encrypted.")
    zip_sha256: str = Field(description="SHA-256 of the .zip (inside the .age when encrypted).")
    rows: dict[str, int]
    fields: list[str] = Field(description='"dataset.field" delivered, after the plan.')

    @classmethod
    def of(cls, run: FulfillmentRun, job: Job) -> RunPublic:
        fields = [
            f"{d['name']}.{f['name']}"
            for d in run.plan["datasets"]
            for f in d["fields"]
            if f["rule"] != Rule.DROP.value
        ]
        return cls(
            id=run.id,
            agreement_id=run.agreement_id,
            status=job.status,
            done=job.done,
            total=job.total,
            message=job.message,
            created_by=run.created_by,
            created_at=run.created_at,
            package=run.package,
            sha256=run.sha256,
            size=run.size,
            encrypted_for=run.encrypted_for,
            zip_sha256=run.zip_sha256,
            rows=run.rows,
            fields=fields,
        )


class DeliveryPublic(BaseModel):
    id: int
    run_id: int
    method: str = Field(description="sftp | link | api")
    recipient: str
    status: str = Field(description="sending | sent | failed | offered | revoked")
    message: str
    sha256: str
    size: int
    fields: list[str]
    rows: dict[str, int]
    remote_path: str
    created_by: str
    created_at: datetime
    sent_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    downloads: int
    acknowledged_at: datetime | None
    acknowledged_by: str

    @classmethod
    def of(cls, d: Delivery) -> DeliveryPublic:
        return cls.model_validate(d, from_attributes=True)


class LinkCreate(BaseModel):
    days: int = Field(default=7, ge=1, le=30, description="Days the link works.")


class LinkPublic(BaseModel):
    delivery: DeliveryPublic
    url: str = Field(description="The download link; shown once, never again.")


class SftpSend(BaseModel):
    destination_id: int = Field(ge=1, le=2**31 - 1)


class ScheduleSet(BaseModel):
    destination_id: int = Field(ge=1, le=2**31 - 1, description="An SFTP destination's number.")
    first_due: date | None = Field(
        default=None, description="The first delivery; by default today or the agreement's start."
    )


class SchedulePublic(BaseModel):
    """Recurring deliveries of an agreement, at the agreement's own frequency."""

    destination_id: int
    first_due: date
    next_due: date
    active: bool = Field(description="False once stopped, or ended with the agreement.")
    last_outcome: str
    last_at: datetime | None
    set_by: str
    set_at: datetime
    stopped_at: datetime | None
    stopped_by: str

    @classmethod
    def of(cls, s: DeliverySchedule) -> SchedulePublic:
        return cls.model_validate(
            {"active": s.stopped_at is None}
            | {name: getattr(s, name) for name in cls.model_fields if name != "active"}
        )


class DestinationCreate(BaseModel):
    """A recipient's SFTP server; Accord signs in and writes a probe file before saving it."""

    name: str = Field(min_length=1, max_length=100)
    host: str = Field(min_length=1, max_length=255)
    port: int = Field(default=22, ge=1, le=65535)
    username: str = Field(min_length=1, max_length=100)
    remote_dir: str = Field(default=".", max_length=500)
    host_key: str = Field(
        min_length=1, max_length=20_000, description="The server's public host key, one line."
    )
    password: str = Field(default="", max_length=1_000, description="Or a private key.")
    private_key: str = Field(default="", max_length=20_000, description="OpenSSH, no passphrase.")


class DestinationPublic(BaseModel):
    """A destination as anyone party to the agreement sees it: never its password or key."""

    id: int
    name: str
    host: str
    port: int
    username: str
    remote_dir: str
    host_key: str
    auth: str = Field(description="password | key: which one is kept, encrypted")
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, d: Destination) -> DestinationPublic:
        return cls.model_validate(d, from_attributes=True)
