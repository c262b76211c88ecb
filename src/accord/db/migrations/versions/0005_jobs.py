"""Persisted jobs (issue 13): the job table; a harvest run keeps its source and drift report
and takes its status, progress, who and cancellation from its job.

Existing runs become jobs with the same id, so run and job numbers of old harvests agree.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 16:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RUN_COLUMNS = ("status", "started_at", "finished_at", "done", "total", "cancel_requested",
               "message", "started_by")


def upgrade() -> None:
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("who", sa.String(length=64), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("worker_id", sa.String(length=128), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job")),
    )
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_job_status"), ["status"], unique=False)

    op.add_column("catalog_harvest_run", sa.Column("job_id", sa.Integer(), nullable=True))
    # Each existing run becomes a job with the same id. A run left "running" keeps its status
    # with its start as the last heartbeat: the first sweep marks it failed.
    op.execute(
        """
        INSERT INTO job (id, kind, subject, status, who, done, total, message, cancel_requested,
                         created_at, started_at, finished_at, worker_id, heartbeat_at)
        SELECT r.id, 'harvest', 'source ' || s.name, r.status, r.started_by, r.done, r.total,
               r.message, r.cancel_requested, r.started_at, r.started_at, r.finished_at, '',
               r.started_at
        FROM catalog_harvest_run r JOIN catalog_source s ON s.id = r.source_id
        """
    )
    op.execute("UPDATE catalog_harvest_run SET job_id = id")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "SELECT setval(pg_get_serial_sequence('job', 'id'), "
            "COALESCE((SELECT MAX(id) FROM job), 0) + 1, false)"
        )
    with op.batch_alter_table("catalog_harvest_run", schema=None) as batch_op:
        batch_op.alter_column("job_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_catalog_harvest_run_job_id"), ["job_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_catalog_harvest_run_job_id_job"), "job", ["job_id"], ["id"]
        )
        for column in RUN_COLUMNS:
            batch_op.drop_column(column)


def downgrade() -> None:
    with op.batch_alter_table("catalog_harvest_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(16), nullable=False,
                                      server_default="failed"))
        batch_op.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("done", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("total", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("cancel_requested", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("message", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("started_by", sa.String(64), nullable=False,
                                      server_default=""))
    op.execute(
        """
        UPDATE catalog_harvest_run SET
          status = (SELECT j.status FROM job j WHERE j.id = catalog_harvest_run.job_id),
          started_at = (SELECT COALESCE(j.started_at, j.created_at) FROM job j
                        WHERE j.id = catalog_harvest_run.job_id),
          finished_at = (SELECT j.finished_at FROM job j WHERE j.id = catalog_harvest_run.job_id),
          done = (SELECT j.done FROM job j WHERE j.id = catalog_harvest_run.job_id),
          total = (SELECT j.total FROM job j WHERE j.id = catalog_harvest_run.job_id),
          cancel_requested = (SELECT j.cancel_requested FROM job j
                              WHERE j.id = catalog_harvest_run.job_id),
          message = (SELECT j.message FROM job j WHERE j.id = catalog_harvest_run.job_id),
          started_by = (SELECT j.who FROM job j WHERE j.id = catalog_harvest_run.job_id)
        """
    )
    with op.batch_alter_table("catalog_harvest_run", schema=None) as batch_op:
        batch_op.alter_column("started_at", existing_type=sa.DateTime(timezone=True),
                              nullable=False)
        batch_op.drop_constraint(batch_op.f("fk_catalog_harvest_run_job_id_job"),
                                 type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("uq_catalog_harvest_run_job_id"), type_="unique")
        batch_op.drop_column("job_id")
    with op.batch_alter_table("job", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_job_status"))
    op.drop_table("job")
