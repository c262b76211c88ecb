"""Dataset titles people recognise, and who wrote each (issue 16).

Titles already present were written by a person (by hand or an inventory import) and are
kept as the steward's; every other dataset gets Accord's suggestion, and the search index
learns the new titles.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 03:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from accord.catalog.titles import suggest_title

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("catalog_dataset", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("title_source", sa.String(length=16), nullable=False, server_default="")
        )
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE catalog_dataset SET title_source = 'steward' WHERE title <> ''"))
    untitled = bind.execute(
        sa.text("SELECT id, name, source_comment, program FROM catalog_dataset WHERE title = ''")
    ).all()
    if not untitled:
        return
    bind.execute(
        sa.text(
            "UPDATE catalog_dataset SET title = :title, title_source = 'suggested' WHERE id = :id"
        ),
        [{"id": i, "title": suggest_title(n, c, p)} for i, n, c, p in untitled],
    )
    _reindex_dataset_titles(bind)


def _reindex_dataset_titles(bind: sa.Connection) -> None:
    """A dataset's search document is titled "title name" (see accord.catalog.search)."""
    sqlite = bind.dialect.name == "sqlite"
    fts = (
        "INSERT INTO catalog_search_fts({}) SELECT {} FROM catalog_search_doc"
        " WHERE kind = 'dataset'"
    )
    if sqlite:
        bind.execute(
            sa.text(
                fts.format("catalog_search_fts, rowid, title, body", "'delete', id, title, body")
            )
        )
    bind.execute(
        sa.text(
            "UPDATE catalog_search_doc SET title = (SELECT trim(d.title || ' ' || d.name)"
            " FROM catalog_dataset d WHERE d.id = catalog_search_doc.ref_id)"
            " WHERE kind = 'dataset'"
        )
    )
    if sqlite:
        bind.execute(sa.text(fts.format("rowid, title, body", "id, title, body")))


def downgrade() -> None:
    op.execute("UPDATE catalog_dataset SET title = '' WHERE title_source = 'suggested'")
    with op.batch_alter_table("catalog_dataset", schema=None) as batch_op:
        batch_op.drop_column("title_source")
