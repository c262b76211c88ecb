"""Every model module, imported so that the metadata (and Alembic) sees all tables."""

from accord.auth import models as auth_models
from accord.catalog import models as catalog_models
from accord.db.base import Base
from accord.lifecycle import StateChange
from accord.releases import models as release_models

__all__ = ["Base", "StateChange", "auth_models", "catalog_models", "release_models"]
