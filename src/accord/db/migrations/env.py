"""Alembic environment: the connection comes from accord.db.migrate, never from a .ini file.

The one place in `accord.db` that knows the capabilities: autogenerate must see every table, so
each capability's models are imported here (and nowhere else in `accord.db`; import-linter's
contract in pyproject.toml allows exactly these imports).
"""

from __future__ import annotations

from alembic import context

from accord.auth import models as auth_models
from accord.catalog import models as catalog_models
from accord.db.base import Base
from accord.db.migrate import include_object
from accord.fulfillment import models as fulfillment_models
from accord.jobs import models as job_models
from accord.lifecycle import models as lifecycle_models
from accord.proposals import models as proposal_models
from accord.releases import models as release_models

# every model module, so that Base.metadata holds every table (tests/db checks the list)
MODEL_MODULES = (
    auth_models,
    catalog_models,
    fulfillment_models,
    job_models,
    lifecycle_models,
    proposal_models,
    release_models,
)

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
