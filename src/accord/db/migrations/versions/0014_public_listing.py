"""The public request-data page (MISSION.md, play 7; issue 15, item 5's third audience): a
dataset is listed there only once someone who edits the inventory chooses so.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 22:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A plain ALTER TABLE on both backends: SQLite adds (and, since 3.35, drops) a column in place,
# where a batch operation would copy the table, which other tables' foreign keys refuse.


def upgrade() -> None:
    op.add_column(
        "catalog_dataset",
        sa.Column("listed_publicly", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("catalog_dataset", "listed_publicly")
