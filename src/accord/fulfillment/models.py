"""What fulfillment keeps: the plan of each agreement, each run that made a package, each
destination a recipient named, and each delivery (what was sent where, so disposal knows
exactly what must be destroyed)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord.db.base import Base, UtcDateTime, utcnow


class FulfillmentPlanRecord(Base):
    """The choices a data engineer made on top of the agreement: a rule per field where it
    differs from the default, the file format, and the agreement's pseudonym key (encrypted
    with the installation's key; it never leaves Accord, so pseudonyms cannot be reversed by
    anyone holding a package)."""

    __tablename__ = "fulfillment_plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), unique=True)
    rules: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # "dataset.field" -> rule
    format: Mapped[str] = mapped_column(String(16), default="parquet")
    key_encrypted: Mapped[str] = mapped_column(Text)
    # the recipient's public key (age "age1..." or OpenSSH): when set, packages are encrypted
    recipient_key: Mapped[str] = mapped_column(Text, default="")
    # dataset name -> the date field the agreement's records period is applied to
    period_fields: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class FulfillmentRun(Base):
    """One extraction into one package; status and progress live on its job."""

    __tablename__ = "fulfillment_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id"), index=True)
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)  # the plan as it ran
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # written once, when the package is complete and in place
    package: Mapped[str] = mapped_column(String(200), default="")  # folder and .zip name
    sha256: Mapped[str] = mapped_column(String(64), default="")  # of the file delivered
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    # encrypted for the recipient's key (the file delivered is <package>.zip.age): the key as
    # it was when the run started, and the .zip's own checksum, to check after decrypting
    encrypted_for: Mapped[str] = mapped_column(Text, default="")
    zip_sha256: Mapped[str] = mapped_column(String(64), default="")
    rows: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # per dataset
    files: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # path -> sha256
    assessment: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # aggregate: DDG


class Destination(Base):
    """A recipient's SFTP server, its host key pinned; the password or private key is kept
    encrypted and never shown again."""

    __tablename__ = "fulfillment_destination"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer, default=22)
    username: Mapped[str] = mapped_column(String(100))
    remote_dir: Mapped[str] = mapped_column(String(500), default=".")
    host_key: Mapped[str] = mapped_column(Text)
    auth: Mapped[str] = mapped_column(String(16))  # password | key
    secret_encrypted: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Delivery(Base):
    """A package sent (SFTP) or offered (a download link): when, what, to whom, checksum,
    acknowledged or not. The fields and rows are copied from the run, so the record stands
    even if the package files are later removed."""

    __tablename__ = "fulfillment_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("fulfillment_run.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))  # sftp | link
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id"))  # an SFTP upload's job
    destination_id: Mapped[int | None] = mapped_column(ForeignKey("fulfillment_destination.id"))
    recipient: Mapped[str] = mapped_column(String(300))  # in words: where it went
    status: Mapped[str] = mapped_column(String(16))  # sending | sent | failed | offered | revoked
    message: Mapped[str] = mapped_column(Text, default="")
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)  # "dataset.field" delivered
    rows: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    remote_path: Mapped[str] = mapped_column(String(800), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # a download link: only the token's SHA-256 is kept
    token_sha256: Mapped[str] = mapped_column(String(64), default="", index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_by: Mapped[str] = mapped_column(String(64), default="")
    downloads: Mapped[int] = mapped_column(Integer, default=0)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acknowledged_by: Mapped[str] = mapped_column(String(64), default="")


class DeliverySchedule(Base):
    """Recurring deliveries of an agreement: on each due date a worker runs the current plan
    and sends the package to one SFTP destination. The frequency is the agreement's own; the
    schedule records only where to, from when, what happened last, and who set it up (the
    runs are made as that person, so they stop when that person may no longer run them)."""

    __tablename__ = "fulfillment_schedule"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreement.id"), unique=True)
    destination_id: Mapped[int] = mapped_column(ForeignKey("fulfillment_destination.id"))
    first_due: Mapped[date] = mapped_column(Date)  # every due date is counted from it
    next_due: Mapped[date] = mapped_column(Date, index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("fulfillment_run.id"))  # to send
    last_outcome: Mapped[str] = mapped_column(Text, default="")
    last_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    set_by: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    stopped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    stopped_by: Mapped[str] = mapped_column(String(64), default="")  # "" and a date: it ended
