"""Recurring deliveries, encrypted packages and records periods (issue 17): for an agreement
delivered on a schedule, where each package goes, from which date the due dates are counted,
and what happened last; the recipient's public key on the plan, and on each run the key it was
encrypted for and the checksum of the .zip inside; the period of records an agreement covers,
and on the plan the date field of each dataset it applies to.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 20:10:28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fulfillment_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("destination_id", sa.Integer(), nullable=False),
        sa.Column("first_due", sa.Date(), nullable=False),
        sa.Column("next_due", sa.Date(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("last_outcome", sa.Text(), nullable=False),
        sa.Column("last_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stopped_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
            name=op.f("fk_fulfillment_schedule_agreement_id_agreement"),
        ),
        sa.ForeignKeyConstraint(
            ["destination_id"],
            ["fulfillment_destination.id"],
            name=op.f("fk_fulfillment_schedule_destination_id_fulfillment_destination"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["fulfillment_run.id"],
            name=op.f("fk_fulfillment_schedule_run_id_fulfillment_run"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfillment_schedule")),
        sa.UniqueConstraint("agreement_id", name=op.f("uq_fulfillment_schedule_agreement_id")),
    )
    with op.batch_alter_table("fulfillment_schedule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fulfillment_schedule_next_due"), ["next_due"], unique=False
        )

    with op.batch_alter_table("fulfillment_plan", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recipient_key", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("period_fields", sa.JSON(), nullable=False, server_default="{}")
        )
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.add_column(sa.Column("records_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("records_to", sa.Date(), nullable=True))
    with op.batch_alter_table("fulfillment_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("encrypted_for", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("zip_sha256", sa.String(length=64), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("fulfillment_run", schema=None) as batch_op:
        batch_op.drop_column("zip_sha256")
        batch_op.drop_column("encrypted_for")
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.drop_column("records_to")
        batch_op.drop_column("records_from")
    with op.batch_alter_table("fulfillment_plan", schema=None) as batch_op:
        batch_op.drop_column("period_fields")
        batch_op.drop_column("recipient_key")
    with op.batch_alter_table("fulfillment_schedule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fulfillment_schedule_next_due"))

    op.drop_table("fulfillment_schedule")
