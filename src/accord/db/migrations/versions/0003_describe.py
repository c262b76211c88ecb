"""Describe workflow (assignment, review, publish) and classification suggestions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 02:40:07.561669
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_field_work",
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("steward_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("statute_checked", sa.Boolean(), nullable=False),
        sa.Column("submitted_by", sa.String(length=64), nullable=False),
        sa.Column("review_note", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["catalog_field.id"],
            name=op.f("fk_catalog_field_work_field_id_catalog_field"),
        ),
        sa.ForeignKeyConstraint(
            ["steward_id"], ["app_user.id"], name=op.f("fk_catalog_field_work_steward_id_app_user")
        ),
        sa.PrimaryKeyConstraint("field_id", name=op.f("pk_catalog_field_work")),
    )
    with op.batch_alter_table("catalog_field_work", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_field_work_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_catalog_field_work_steward_id"), ["steward_id"], unique=False
        )

    op.create_table(
        "catalog_suggestion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=64), nullable=False),
        sa.Column("confidence", sa.Double(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["catalog_field.id"],
            name=op.f("fk_catalog_suggestion_field_id_catalog_field"),
        ),
        sa.ForeignKeyConstraint(
            ["label"],
            ["catalog_classification.code"],
            name=op.f("fk_catalog_suggestion_label_catalog_classification"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_suggestion")),
        sa.UniqueConstraint("field_id", "label", name=op.f("uq_catalog_suggestion_field_id")),
    )
    with op.batch_alter_table("catalog_suggestion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_suggestion_field_id"), ["field_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_catalog_suggestion_status"), ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("catalog_suggestion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_suggestion_status"))
        batch_op.drop_index(batch_op.f("ix_catalog_suggestion_field_id"))

    op.drop_table("catalog_suggestion")
    with op.batch_alter_table("catalog_field_work", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_field_work_steward_id"))
        batch_op.drop_index(batch_op.f("ix_catalog_field_work_status"))

    op.drop_table("catalog_field_work")
