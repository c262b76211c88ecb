"""The agreement record says when the proposal was filed, by whom and with whom, and for each
authorised field the classification labels and governing statutes as they stood at approval;
a proposal keeps the answers it last filled from the catalog, to tell them from a person's.

Agreements approved before this keep empty labels and statutes: what the catalog said at their
approval is not known now, and the record is not rewritten from today's catalog.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Added columns, not batch copies: SQLite and PostgreSQL both add them in place.
    op.add_column(
        "proposal", sa.Column("prefilled", sa.JSON(), nullable=False, server_default="{}")
    )
    op.add_column("agreement", sa.Column("filed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "agreement",
        sa.Column("filed_by", sa.String(length=64), nullable=False, server_default=""),
    )
    op.add_column(
        "agreement",
        sa.Column("filed_by_department", sa.String(length=200), nullable=False, server_default=""),
    )
    op.add_column(
        "agreement",
        sa.Column("filed_with", sa.String(length=200), nullable=False, server_default=""),
    )
    op.add_column(
        "agreement_element",
        sa.Column("classification_labels", sa.JSON(), nullable=False, server_default="{}"),
    )
    op.add_column(
        "agreement_element",
        sa.Column("statutes", sa.JSON(), nullable=False, server_default="[]"),
    )
    # whom an approved proposal is filed with follows from its governance path
    for path, filed_with in (
        ("idea", "the Statewide Chief Data Officer (BUCP Inventory Form)"),
        ("chhs", "the CalHHS Governance Liaison"),
    ):
        op.execute(
            sa.text("UPDATE agreement SET filed_with = :w WHERE path = :p").bindparams(
                w=filed_with, p=path
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("agreement_element", schema=None) as batch_op:
        batch_op.drop_column("statutes")
        batch_op.drop_column("classification_labels")
    with op.batch_alter_table("agreement", schema=None) as batch_op:
        batch_op.drop_column("filed_with")
        batch_op.drop_column("filed_by_department")
        batch_op.drop_column("filed_by")
        batch_op.drop_column("filed_at")
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_column("prefilled")
