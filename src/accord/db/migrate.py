"""Apply Alembic migrations from the installed package (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from accord.db.engine import get_engine
from accord.db.revisions import MIGRATIONS


def include_object(
    obj: object, name: str | None, kind: str, reflected: bool, compare_to: object
) -> bool:
    """Leave the backend-specific search index (FTS5 tables, the tsvector) out of comparisons."""
    return not (name or "").startswith("catalog_search_fts") and name not in (
        "tsv",
        "ix_catalog_search_doc_tsv",
        "title_tsv",
        "ix_catalog_search_doc_title_tsv",
    )


def _config(script_location: Path) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    return config


def upgrade_database(url: str, revision: str = "head", script_location: Path = MIGRATIONS) -> None:
    """Migrate to ``revision`` in one transaction: all of it applies, or none of it."""
    config = _config(script_location)
    with get_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def make_revision(url: str, message: str) -> None:
    """Developer helper: autogenerate a migration from the models."""
    config = _config(MIGRATIONS)
    with get_engine(url).begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)
