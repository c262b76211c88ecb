"""De-identified releases kept as records (issue 12).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 13:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deid_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("table_name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("spec_text", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["app_user.id"], name=op.f("fk_deid_release_created_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_deid_release_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["catalog_dataset.id"],
            name=op.f("fk_deid_release_dataset_id_catalog_dataset"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deid_release")),
    )
    with op.batch_alter_table("deid_release", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deid_release_created_at"), ["created_at"])
        batch_op.create_index(batch_op.f("ix_deid_release_department_id"), ["department_id"])
        batch_op.create_index(batch_op.f("ix_deid_release_dataset_id"), ["dataset_id"])


def downgrade() -> None:
    with op.batch_alter_table("deid_release", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deid_release_dataset_id"))
        batch_op.drop_index(batch_op.f("ix_deid_release_department_id"))
        batch_op.drop_index(batch_op.f("ix_deid_release_created_at"))
    op.drop_table("deid_release")
