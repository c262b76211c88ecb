"""Alembic environment: the connection comes from accord.db.migrate, never from a .ini file."""

from __future__ import annotations

from alembic import context

from accord.db.migrate import include_object
from accord.db.models import Base

connection = context.config.attributes["connection"]


context.configure(
    connection=connection,
    include_object=include_object,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
