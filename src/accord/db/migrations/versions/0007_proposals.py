"""The BUCP: proposals, their parties, elements, versions, conversation, reviews, signatures,
the request basket and the agreement record (issue 14).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 19:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("state_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_proposal_created_by_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal")),
    )
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.create_index("ix_proposal_state", ["state"], unique=False)

    op.create_table(
        "agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=16), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("use_case_name", sa.String(length=300), nullable=False),
        sa.Column("use", sa.Text(), nullable=False),
        sa.Column("authorised_users", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("transfer_method", sa.String(length=32), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("deidentification", sa.String(length=16), nullable=False),
        sa.Column("destruction_return", sa.Text(), nullable=False),
        sa.Column("derived_products", sa.Text(), nullable=False),
        sa.Column("redisclosure", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_agreement_proposal_id_proposal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement")),
        sa.UniqueConstraint("proposal_id", name=op.f("uq_agreement_proposal_id")),
    )
    op.create_table(
        "basket_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["field_id"], ["catalog_field.id"], name=op.f("fk_basket_item_field_id_catalog_field")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_basket_item_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_basket_item")),
        sa.UniqueConstraint("user_id", "field_id", name=op.f("uq_basket_item_user_id")),
    )
    with op.batch_alter_table("basket_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_basket_item_user_id"), ["user_id"], unique=False)

    op.create_table(
        "proposal_authority",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("governs", sa.String(length=100), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("stated_by", sa.String(length=64), nullable=False),
        sa.Column("stated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
            name=op.f("fk_proposal_authority_proposal_id_proposal"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_authority")),
        sa.UniqueConstraint(
            "proposal_id", "governs", name=op.f("uq_proposal_authority_proposal_id")
        ),
    )
    with op.batch_alter_table("proposal_authority", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proposal_authority_proposal_id"), ["proposal_id"], unique=False
        )

    op.create_table(
        "proposal_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("proposed", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_proposal_change_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_proposal_change_proposal_id_proposal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_change")),
    )
    with op.batch_alter_table("proposal_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proposal_change_proposal_id"), ["proposal_id"], unique=False
        )

    op.create_table(
        "proposal_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=64), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["app_user.id"], name=op.f("fk_proposal_comment_author_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_proposal_comment_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["proposal_comment.id"],
            name=op.f("fk_proposal_comment_parent_id_proposal_comment"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_proposal_comment_proposal_id_proposal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_comment")),
    )
    with op.batch_alter_table("proposal_comment", schema=None) as batch_op:
        batch_op.create_index("ix_proposal_comment_proposal", ["proposal_id", "id"], unique=False)

    op.create_table(
        "proposal_concern",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("raised_by", sa.String(length=64), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.String(length=64), nullable=False),
        sa.Column("resolved_by", sa.String(length=64), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_proposal_concern_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_proposal_concern_proposal_id_proposal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_concern")),
    )
    with op.batch_alter_table("proposal_concern", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proposal_concern_proposal_id"), ["proposal_id"], unique=False
        )

    op.create_table(
        "proposal_element",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("dataset_name", sa.String(length=300), nullable=False),
        sa.Column("field_name", sa.String(length=200), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("data_type", sa.String(length=128), nullable=False),
        sa.Column("valid_values", sa.Text(), nullable=False),
        sa.Column("classifications", sa.Text(), nullable=False),
        sa.Column("statutes", sa.Text(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=True),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.Column("not_needed", sa.Text(), nullable=False),
        sa.Column("not_needed_by", sa.String(length=64), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_proposal_element_proposal_id_proposal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_element")),
        sa.UniqueConstraint(
            "proposal_id", "field_id", name=op.f("uq_proposal_element_proposal_id")
        ),
    )
    with op.batch_alter_table("proposal_element", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proposal_element_proposal_id"), ["proposal_id"], unique=False
        )

    op.create_table(
        "proposal_opinion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_proposal_opinion_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_proposal_opinion_proposal_id_proposal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_opinion")),
        sa.UniqueConstraint(
            "proposal_id", "department_id", "area", name=op.f("uq_proposal_opinion_proposal_id")
        ),
    )
    with op.batch_alter_table("proposal_opinion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proposal_opinion_proposal_id"), ["proposal_id"], unique=False
        )

    op.create_table(
        "proposal_party",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=16), nullable=False),
        sa.Column("program", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_proposal_party_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_proposal_party_proposal_id_proposal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_party")),
        sa.UniqueConstraint(
            "proposal_id", "department_id", name=op.f("uq_proposal_party_proposal_id")
        ),
    )
    with op.batch_alter_table("proposal_party", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proposal_party_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_proposal_party_proposal_id"), ["proposal_id"], unique=False
        )

    op.create_table(
        "proposal_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("attestation", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_proposal_signature_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
            name=op.f("fk_proposal_signature_proposal_id_proposal"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_proposal_signature_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_signature")),
        sa.UniqueConstraint(
            "proposal_id", "department_id", "kind", name=op.f("uq_proposal_signature_proposal_id")
        ),
    )
    with op.batch_alter_table("proposal_signature", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proposal_signature_proposal_id"), ["proposal_id"], unique=False
        )

    op.create_table(
        "proposal_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("elements", sa.JSON(), nullable=False),
        sa.Column("saved_by", sa.String(length=64), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_proposal_version_proposal_id_proposal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_version")),
        sa.UniqueConstraint("proposal_id", "number", name=op.f("uq_proposal_version_proposal_id")),
    )
    op.create_table(
        "agreement_element",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("dataset_name", sa.String(length=300), nullable=False),
        sa.Column("field_name", sa.String(length=200), nullable=False),
        sa.Column("classifications", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreement.id"],
            name=op.f("fk_agreement_element_agreement_id_agreement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agreement_element")),
    )
    with op.batch_alter_table("agreement_element", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreement_element_agreement_id"), ["agreement_id"], unique=False
        )

    op.create_table(
        "proposal_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("opinion_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("stored_as", sa.String(length=300), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["opinion_id"],
            ["proposal_opinion.id"],
            name=op.f("fk_proposal_attachment_opinion_id_proposal_opinion"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
            name=op.f("fk_proposal_attachment_proposal_id_proposal"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_attachment")),
    )
    with op.batch_alter_table("proposal_attachment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_proposal_attachment_proposal_id"), ["proposal_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("proposal_attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_attachment_proposal_id"))

    op.drop_table("proposal_attachment")
    with op.batch_alter_table("agreement_element", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_element_agreement_id"))

    op.drop_table("agreement_element")
    op.drop_table("proposal_version")
    with op.batch_alter_table("proposal_signature", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_signature_proposal_id"))

    op.drop_table("proposal_signature")
    with op.batch_alter_table("proposal_party", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_party_proposal_id"))
        batch_op.drop_index(batch_op.f("ix_proposal_party_department_id"))

    op.drop_table("proposal_party")
    with op.batch_alter_table("proposal_opinion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_opinion_proposal_id"))

    op.drop_table("proposal_opinion")
    with op.batch_alter_table("proposal_element", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_element_proposal_id"))

    op.drop_table("proposal_element")
    with op.batch_alter_table("proposal_concern", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_concern_proposal_id"))

    op.drop_table("proposal_concern")
    with op.batch_alter_table("proposal_comment", schema=None) as batch_op:
        batch_op.drop_index("ix_proposal_comment_proposal")

    op.drop_table("proposal_comment")
    with op.batch_alter_table("proposal_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_change_proposal_id"))

    op.drop_table("proposal_change")
    with op.batch_alter_table("proposal_authority", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_authority_proposal_id"))

    op.drop_table("proposal_authority")
    with op.batch_alter_table("basket_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_basket_item_user_id"))

    op.drop_table("basket_item")
    op.drop_table("agreement")
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_index("ix_proposal_state")

    op.drop_table("proposal")
