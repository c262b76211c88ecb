"""Fulfillment (issue 17): the plan of each agreement (rules chosen per field, format, the
pseudonym key encrypted), each run that made a package, the recipients' SFTP destinations and
every delivery, so what was sent where is known when disposal comes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 06:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fulfillment_destination",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("remote_dir", sa.String(length=500), nullable=False),
        sa.Column("host_key", sa.Text(), nullable=False),
        sa.Column("auth", sa.String(length=16), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
            name=op.f("fk_fulfillment_destination_agreement_id_agreement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfillment_destination")),
    )
    with op.batch_alter_table("fulfillment_destination", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fulfillment_destination_agreement_id"), ["agreement_id"], unique=False
        )

    op.create_table(
        "fulfillment_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("key_encrypted", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
            name=op.f("fk_fulfillment_plan_agreement_id_agreement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfillment_plan")),
        sa.UniqueConstraint("agreement_id", name=op.f("uq_fulfillment_plan_agreement_id")),
    )
    op.create_table(
        "fulfillment_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("package", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("assessment", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
            name=op.f("fk_fulfillment_run_agreement_id_agreement"),
        ),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"], name=op.f("fk_fulfillment_run_job_id_job")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfillment_run")),
    )
    with op.batch_alter_table("fulfillment_run", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fulfillment_run_agreement_id"), ["agreement_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_fulfillment_run_job_id"), ["job_id"], unique=False)

    op.create_table(
        "fulfillment_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("destination_id", sa.Integer(), nullable=True),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("remote_path", sa.String(length=800), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(length=64), nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
            name=op.f("fk_fulfillment_delivery_agreement_id_agreement"),
        ),
        sa.ForeignKeyConstraint(
            ["destination_id"],
            ["fulfillment_destination.id"],
            name=op.f("fk_fulfillment_delivery_destination_id_fulfillment_destination"),
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["job.id"], name=op.f("fk_fulfillment_delivery_job_id_job")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["fulfillment_run.id"],
            name=op.f("fk_fulfillment_delivery_run_id_fulfillment_run"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfillment_delivery")),
    )
    with op.batch_alter_table("fulfillment_delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fulfillment_delivery_agreement_id"), ["agreement_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fulfillment_delivery_run_id"), ["run_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fulfillment_delivery_token_sha256"), ["token_sha256"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("fulfillment_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fulfillment_delivery_token_sha256"))
        batch_op.drop_index(batch_op.f("ix_fulfillment_delivery_run_id"))
        batch_op.drop_index(batch_op.f("ix_fulfillment_delivery_agreement_id"))

    op.drop_table("fulfillment_delivery")
    with op.batch_alter_table("fulfillment_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fulfillment_run_job_id"))
        batch_op.drop_index(batch_op.f("ix_fulfillment_run_agreement_id"))

    op.drop_table("fulfillment_run")
    op.drop_table("fulfillment_plan")
    with op.batch_alter_table("fulfillment_destination", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fulfillment_destination_agreement_id"))

    op.drop_table("fulfillment_destination")
