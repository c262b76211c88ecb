"""Sign-in through a department's identity provider: users known by (issuer, subject), the
group-to-role table, and sign-ins waiting for the provider's answer (issue 15, item 7).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 02:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Added columns and a unique index, not a batch copy of app_user: SQLite can add both in
    # place, and copying a table that half the schema references is what batch mode would do.
    op.add_column("app_user", sa.Column("issuer", sa.String(length=300), nullable=True))
    op.add_column("app_user", sa.Column("subject", sa.String(length=255), nullable=True))
    op.create_index("uq_app_user_issuer_subject", "app_user", ["issuer", "subject"], unique=True)

    op.create_table(
        "group_role",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("group_name", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_role")),
        sa.UniqueConstraint(
            "provider", "group_name", "role", name=op.f("uq_group_role_provider")
        ),
    )
    op.create_index("ix_group_role_provider", "group_role", ["provider"], unique=False)

    op.create_table(
        "sign_in_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("nonce", sa.String(length=128), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("next_path", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_attempt")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_sign_in_attempt_state_hash")),
    )
    op.create_index(
        "ix_sign_in_attempt_created_at", "sign_in_attempt", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_sign_in_attempt_created_at", table_name="sign_in_attempt")
    op.drop_table("sign_in_attempt")
    op.drop_index("ix_group_role_provider", table_name="group_role")
    op.drop_table("group_role")
    op.drop_index("uq_app_user_issuer_subject", table_name="app_user")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("subject")
        batch_op.drop_column("issuer")
