"""Catalog: sources, datasets, fields, classifications, statutes, glossary, harvests, search.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 02:26:09.826297
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_classification",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("parent_code", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_catalog_classification")),
    )
    op.create_table(
        "catalog_glossary_term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("acronym", sa.String(length=32), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_glossary_term")),
        sa.UniqueConstraint("term", name=op.f("uq_catalog_glossary_term_term")),
    )
    with op.batch_alter_table("catalog_glossary_term", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_glossary_term_acronym"), ["acronym"], unique=False
        )

    op.create_table(
        "catalog_search_doc",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
        sa.Column("program", sa.String(length=200), nullable=False),
        sa.Column("lifecycle", sa.String(length=32), nullable=False),
        sa.Column("classifications", sa.Text(), nullable=False),
        sa.Column("statutes", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_search_doc")),
        sa.UniqueConstraint("kind", "ref_id", name=op.f("uq_catalog_search_doc_kind")),
    )
    with op.batch_alter_table("catalog_search_doc", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_search_doc_dataset_id"), ["dataset_id"], unique=False
        )

    op.create_table(
        "catalog_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("location", sa.Text(), nullable=False),
        sa.Column("secret_env", sa.String(length=128), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_harvest_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_source")),
        sa.UniqueConstraint("name", name=op.f("uq_catalog_source_name")),
    )
    op.create_table(
        "catalog_statute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("section", sa.String(length=32), nullable=False),
        sa.Column("subdivision", sa.String(length=32), nullable=False),
        sa.Column("paragraph", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_statute")),
        sa.UniqueConstraint(
            "code", "section", "subdivision", "paragraph", name=op.f("uq_catalog_statute_code")
        ),
    )
    op.create_table(
        "catalog_dataset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("schema_name", sa.String(length=128), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("source_comment", sa.Text(), nullable=False),
        sa.Column("program", sa.String(length=200), nullable=False),
        sa.Column("system", sa.String(length=200), nullable=False),
        sa.Column("vendor_managed", sa.Boolean(), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("contacts", sa.Text(), nullable=False),
        sa.Column("related_programs", sa.Text(), nullable=False),
        sa.Column("objectives", sa.Text(), nullable=False),
        sa.Column("lifecycle", sa.String(length=32), nullable=False),
        sa.Column("lifecycle_since", sa.Date(), nullable=True),
        sa.Column("retention_months", sa.Integer(), nullable=True),
        sa.Column("row_count", sa.BigInteger(), nullable=True),
        sa.Column("harvested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["catalog_source.id"],
            name=op.f("fk_catalog_dataset_source_id_catalog_source"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_dataset")),
        sa.UniqueConstraint("source_id", "name", name=op.f("uq_catalog_dataset_source_id")),
    )
    with op.batch_alter_table("catalog_dataset", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_dataset_lifecycle"), ["lifecycle"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_catalog_dataset_program"), ["program"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_catalog_dataset_source_id"), ["source_id"], unique=False
        )

    op.create_table(
        "catalog_harvest_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["catalog_source.id"],
            name=op.f("fk_catalog_harvest_run_source_id_catalog_source"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_harvest_run")),
    )
    with op.batch_alter_table("catalog_harvest_run", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_harvest_run_source_id"), ["source_id"], unique=False
        )

    op.create_table(
        "catalog_field",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("data_type", sa.String(length=128), nullable=False),
        sa.Column("nullable", sa.Boolean(), nullable=False),
        sa.Column("primary_key", sa.Boolean(), nullable=False),
        sa.Column("foreign_key", sa.String(length=300), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("source_comment", sa.Text(), nullable=False),
        sa.Column("valid_values", sa.Text(), nullable=False),
        sa.Column("standard_element", sa.String(length=200), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.Column("drift", sa.String(length=16), nullable=False),
        sa.Column("drift_note", sa.Text(), nullable=False),
        sa.Column("review_needed", sa.Boolean(), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["catalog_dataset.id"],
            name=op.f("fk_catalog_field_dataset_id_catalog_dataset"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_field")),
        sa.UniqueConstraint("dataset_id", "name", name=op.f("uq_catalog_field_dataset_id")),
    )
    with op.batch_alter_table("catalog_field", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_field_dataset_id"), ["dataset_id"], unique=False
        )

    op.create_table(
        "catalog_field_classification",
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["code"],
            ["catalog_classification.code"],
            name=op.f("fk_catalog_field_classification_code_catalog_classification"),
        ),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["catalog_field.id"],
            name=op.f("fk_catalog_field_classification_field_id_catalog_field"),
        ),
        sa.PrimaryKeyConstraint("field_id", "code", name=op.f("pk_catalog_field_classification")),
    )
    op.create_table(
        "catalog_field_statute",
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("statute_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["catalog_field.id"],
            name=op.f("fk_catalog_field_statute_field_id_catalog_field"),
        ),
        sa.ForeignKeyConstraint(
            ["statute_id"],
            ["catalog_statute.id"],
            name=op.f("fk_catalog_field_statute_statute_id_catalog_statute"),
        ),
        sa.PrimaryKeyConstraint("field_id", "statute_id", name=op.f("pk_catalog_field_statute")),
    )
    op.create_table(
        "catalog_field_term",
        sa.Column("field_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["field_id"],
            ["catalog_field.id"],
            name=op.f("fk_catalog_field_term_field_id_catalog_field"),
        ),
        sa.ForeignKeyConstraint(
            ["term_id"],
            ["catalog_glossary_term.id"],
            name=op.f("fk_catalog_field_term_term_id_catalog_glossary_term"),
        ),
        sa.PrimaryKeyConstraint("field_id", "term_id", name=op.f("pk_catalog_field_term")),
    )

    _create_search_index()
    op.bulk_insert(
        sa.table(
            "catalog_classification",
            sa.column("code", sa.String),
            sa.column("label", sa.String),
            sa.column("parent_code", sa.String),
            sa.column("description", sa.String),
        ),
        [
            {
                "code": code,
                "label": label,
                "parent_code": code.split(":")[0] if ":" in code else "",
                "description": "",
            }
            for code, label in VOCABULARY
        ],
    )


# The initial vocabulary; departments edit it afterwards. Sub-types of PII are the HIPAA
# Safe Harbor identifier kinds (45 CFR 164.514(b)(2)).
VOCABULARY = [
    ("PUBLIC", "Public"),
    ("PII", "Personally identifiable information"),
    ("PII:name", "Name"),
    ("PII:geography", "Address or geography smaller than a state"),
    ("PII:date", "Date tied to a person (except year)"),
    ("PII:phone", "Telephone number"),
    ("PII:fax", "Fax number"),
    ("PII:email", "E-mail address"),
    ("PII:ssn", "Social Security number"),
    ("PII:medical_record", "Medical record number"),
    ("PII:health_plan", "Health plan beneficiary number (e.g. Medi-Cal CIN, Medicare MBI)"),
    ("PII:account", "Account number"),
    ("PII:license", "Certificate or licence number"),
    ("PII:vehicle", "Vehicle identifier or licence plate"),
    ("PII:device", "Device identifier or serial number"),
    ("PII:url", "Web address (URL)"),
    ("PII:ip", "IP address"),
    ("PII:biometric", "Biometric identifier"),
    ("PII:photo", "Full-face photograph or comparable image"),
    ("PII:other_id", "Other unique identifying number or code"),
    ("PHI", "Protected health information"),
    ("PHI:diagnosis", "Diagnosis (e.g. ICD-10 code)"),
    ("PHI:procedure", "Procedure (e.g. CPT code)"),
    ("PHI:medication", "Medication"),
    ("PHI:lab", "Laboratory result"),
    ("PHI:condition", "Health condition"),
    ("SENSITIVE", "Other sensitive information"),
    ("SENSITIVE:race_ethnicity", "Race or ethnicity"),
    ("SENSITIVE:sogi", "Sexual orientation or gender identity"),
    ("SENSITIVE:immigration", "Immigration status"),
    ("SENSITIVE:income", "Income"),
    ("SENSITIVE:benefits", "Public benefits received"),
]


def _create_search_index() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE catalog_search_doc ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('english', coalesce(body, '')), 'B')) STORED"
        )
        op.execute("CREATE INDEX ix_catalog_search_doc_tsv ON catalog_search_doc USING gin (tsv)")
        # Names and titles alone, for the first, most relevant search pass.
        op.execute(
            "ALTER TABLE catalog_search_doc ADD COLUMN title_tsv tsvector GENERATED ALWAYS AS ("
            "to_tsvector('english', coalesce(title, ''))) STORED"
        )
        op.execute(
            "CREATE INDEX ix_catalog_search_doc_title_tsv ON catalog_search_doc "
            "USING gin (title_tsv)"
        )
        return
    op.execute(
        "CREATE VIRTUAL TABLE catalog_search_fts USING fts5(title, body, "
        "content='catalog_search_doc', content_rowid='id', tokenize='porter unicode61')"
    )
    # No triggers: accord.catalog.search keeps the index in step in bulk, which is several
    # times faster than a trigger per row when a harvest indexes 50,000 fields at once.


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE catalog_search_fts")
    op.drop_table("catalog_field_term")
    op.drop_table("catalog_field_statute")
    op.drop_table("catalog_field_classification")
    with op.batch_alter_table("catalog_field", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_field_dataset_id"))

    op.drop_table("catalog_field")
    with op.batch_alter_table("catalog_harvest_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_harvest_run_source_id"))

    op.drop_table("catalog_harvest_run")
    with op.batch_alter_table("catalog_dataset", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_dataset_source_id"))
        batch_op.drop_index(batch_op.f("ix_catalog_dataset_program"))
        batch_op.drop_index(batch_op.f("ix_catalog_dataset_lifecycle"))

    op.drop_table("catalog_dataset")
    op.drop_table("catalog_statute")
    op.drop_table("catalog_source")
    with op.batch_alter_table("catalog_search_doc", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_search_doc_dataset_id"))

    op.drop_table("catalog_search_doc")
    with op.batch_alter_table("catalog_glossary_term", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_glossary_term_acronym"))

    op.drop_table("catalog_glossary_term")
    op.drop_table("catalog_classification")
