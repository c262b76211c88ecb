"""Whether the database is behind the newest migration, answered without loading Alembic.

Every CLI command asks this before it opens a transaction; importing Alembic (its dialect
implementations, Mako, Pygments) took about a fifth of `accord user list`'s time, so the
newest revisions are read from the migration files' ``revision`` and ``down_revision`` lines
and the database's from Alembic's version table. A line this cannot read (a merge's tuple
spread over several lines) is left to Alembic. tests/db/test_migrations.py checks that the
answers are Alembic's own.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sqlalchemy import Connection, column, inspect, select, table

from accord.db.engine import get_engine

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"  # Alembic's default; env.py does not rename it

# a module-level assignment, annotated or not: `revision: str = "0012"`, `down_revision = None`
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\b[^=\n]*=\s*(.+?)\s*(?:#.*)?$", re.MULTILINE)
# the files Alembic reads as revisions (it skips __init__ and editors' lock files)
_REVISION_FILE = re.compile(r"^(?!\.#|__init__).*\.py$")


def head_revisions(script_location: Path = MIGRATIONS) -> set[str]:
    """The revisions no other revision builds on: Alembic's ``ScriptDirectory.get_heads()``."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (script_location / "versions").iterdir():
        if not _REVISION_FILE.match(path.name):
            continue
        try:
            found = {m[1]: ast.literal_eval(m[2]) for m in _ASSIGNMENT.finditer(path.read_text())}
        except (ValueError, SyntaxError):
            return _alembic_heads(script_location)
        if "revision" not in found:
            continue
        revisions.add(found["revision"])
        down = found.get("down_revision")
        parents.update([down] if isinstance(down, str) else down or ())
    return revisions - parents


def _alembic_heads(script_location: Path) -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(script_location))
    return set(ScriptDirectory.from_config(config).get_heads())


def current_revisions(connection: Connection) -> set[str]:
    """The revisions the database is at; none before the first migration."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return set()
    version = table(VERSION_TABLE, column("version_num"))
    return set(connection.scalars(select(version.c.version_num)))


def pending_revisions(url: str, script_location: Path = MIGRATIONS) -> bool:
    """True if the database is behind the newest migration."""
    with get_engine(url).connect() as connection:
        current = current_revisions(connection)
    return current != head_revisions(script_location)
