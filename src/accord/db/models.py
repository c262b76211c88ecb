"""Every model module, imported so that the metadata (and Alembic) sees all tables."""

from accord.auth import models as auth_models
from accord.catalog import models as catalog_models
from accord.db.base import Base
from accord.jobs import models as job_models
from accord.releases import models as release_models

__all__ = ["Base", "auth_models", "catalog_models", "job_models", "release_models"]
