"""The agreement record says when the proposal was filed, by whom and with whom, and for each
authorised field the classification labels and governing statutes as they stood at approval;
a proposal keeps the answers it last filled from the catalog, to tell them from a person's.

A proposal's answers still as Accord wrote them at its start (in the words it then used) are
marked as generated, so they follow its fields from now on; answers a person changed are not.
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
    _mark_generated_answers(op.get_bind())
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


def _prefilled_then(elements: list[tuple[str, int | None, str]]) -> dict[str, str]:
    """The answers the start of a proposal wrote before this revision, from all its elements
    (none were taken out at its start, and nothing rewrote them afterwards)."""
    by_dataset: dict[str, list[int | None]] = {}
    kinds: set[str] = set()
    for name, rows, classifications in elements:
        by_dataset.setdefault(name, []).append(rows)
        kinds |= {c.split(":")[0] for c in classifications.split("; ") if c and c != "PUBLIC"}
    lines = []
    for name in sorted(by_dataset):
        counts = [r for r in by_dataset[name] if r is not None]
        rows_ = max(counts) if counts else None
        lines.append(
            f"{name}: {len(by_dataset[name])} field(s) of "
            + (f"{rows_:,} rows" if rows_ is not None else "an unknown number of rows")
        )
    then = {"volumes": "\n".join(lines)}
    if kinds:
        then["data_categories"] = "Classified in the catalog as: " + ", ".join(sorted(kinds)) + "."
    return then


def _mark_generated_answers(bind: sa.Connection) -> None:
    proposals = sa.table(
        "proposal",
        sa.column("id", sa.Integer()),
        sa.column("answers", sa.JSON()),
        sa.column("prefilled", sa.JSON()),
    )
    update = (
        sa.update(proposals)
        .where(proposals.c.id == sa.bindparam("pid"))
        .values(prefilled=sa.bindparam("filled", type_=sa.JSON()))
    )
    for pid, answers in bind.execute(sa.select(proposals.c.id, proposals.c.answers)).all():
        elements = bind.execute(
            sa.text(
                "SELECT dataset_name, row_count, classifications FROM proposal_element"
                " WHERE proposal_id = :p"
            ),
            {"p": pid},
        ).all()
        if not elements:
            continue
        then = _prefilled_then([(n, r, c) for n, r, c in elements])
        kept = {k: v for k, v in then.items() if (answers or {}).get(k) == v}
        if kept:
            bind.execute(update, {"pid": pid, "filled": kept})


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
