"""Published descriptions (issue 15, item 5): other departments read a field's description as
its reviewer last published it, never a draft.

A description published before this revision is the field's text as it stands (editing one
reopens it as a draft), so those become the published text; every other field has none yet.
The search index gets an audience: a field whose text differs from what was published gets
a second document, with the published text, for other departments.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 15:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PARTS = ("label", "definition", "standard_element", "tags")
# the published text of a field, "" when none (fields as f, published as p)
SHOWN = {part: f"coalesce(p.{part}, '')" for part in PARTS}
SAME = " AND ".join(f"f.{part} = {SHOWN[part]}" for part in PARTS)


def upgrade() -> None:
    op.create_table(
        "catalog_field_published",
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("valid_values", sa.Text(), nullable=False),
        sa.Column("standard_element", sa.String(length=200), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["catalog_field.id"],
            name=op.f("fk_catalog_field_published_field_id_catalog_field"),
        ),
        sa.PrimaryKeyConstraint("field_id", name=op.f("pk_catalog_field_published")),
    )
    with op.batch_alter_table("catalog_search_doc", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("audience", sa.String(length=8), nullable=False, server_default="all")
        )
        batch_op.drop_constraint("uq_catalog_search_doc_kind", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_catalog_search_doc_kind"), ["kind", "ref_id", "audience"]
        )
    bind = op.get_bind()
    bind.execute(
        sa.text(
            "INSERT INTO catalog_field_published (field_id, label, definition, valid_values,"
            " standard_element, tags, published_by, published_at)"
            " SELECT f.id, f.label, f.definition, f.valid_values, f.standard_element, f.tags,"
            " '', w.updated_at FROM catalog_field f JOIN catalog_field_work w"
            " ON w.field_id = f.id WHERE w.status = 'published'"
        )
    )
    _split_field_documents(bind)


def _split_field_documents(bind: sa.Connection) -> None:
    """The document of a field whose text is not what was published becomes the home
    department's, and one with the published text is added (see accord.catalog.search)."""
    differs = (
        "SELECT f.id FROM catalog_field f LEFT JOIN catalog_field_published p"  # noqa: S608
        f" ON p.field_id = f.id WHERE NOT ({SAME})"
    )
    bind.execute(
        sa.text(
            f"UPDATE catalog_search_doc SET audience = 'home'"  # noqa: S608 - fixed text
            f" WHERE kind = 'field' AND ref_id IN ({differs})"
        )
    )
    newline = "char(10)" if bind.dialect.name == "sqlite" else "chr(10)"
    body = f" || {newline} || ".join(
        (
            SHOWN["definition"],
            "coalesce(nullif(s.title, ''), s.name)",
            "f.data_type",
            SHOWN["standard_element"],
            SHOWN["tags"],
        )
    )
    bind.execute(
        sa.text(
            "INSERT INTO catalog_search_doc (kind, ref_id, dataset_id, audience, program,"  # noqa: S608
            " lifecycle, classifications, statutes, title, body)"
            " SELECT 'field', d.ref_id, d.dataset_id, 'others', d.program, d.lifecycle,"
            f" d.classifications, d.statutes, trim(f.name || ' ' || {SHOWN['label']}), {body}"
            " FROM catalog_search_doc d JOIN catalog_field f ON f.id = d.ref_id"
            " JOIN catalog_dataset s ON s.id = f.dataset_id"
            " LEFT JOIN catalog_field_published p ON p.field_id = f.id"
            " WHERE d.kind = 'field' AND d.audience = 'home'"
        )
    )
    if bind.dialect.name == "sqlite":
        bind.execute(
            sa.text(
                "INSERT INTO catalog_search_fts(rowid, title, body)"
                " SELECT id, title, body FROM catalog_search_doc WHERE audience = 'others'"
            )
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        bind.execute(
            sa.text(
                "INSERT INTO catalog_search_fts(catalog_search_fts, rowid, title, body)"
                " SELECT 'delete', id, title, body FROM catalog_search_doc"
                " WHERE audience = 'others'"
            )
        )
    bind.execute(sa.text("DELETE FROM catalog_search_doc WHERE audience = 'others'"))
    with op.batch_alter_table("catalog_search_doc", schema=None) as batch_op:
        batch_op.drop_constraint("uq_catalog_search_doc_kind", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_catalog_search_doc_kind"), ["kind", "ref_id"]
        )
        batch_op.drop_column("audience")
    op.drop_table("catalog_field_published")
