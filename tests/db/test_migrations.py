"""Migrations apply from scratch, and a failing one leaves the database as it was."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest
from sqlalchemy import inspect

from accord.db.base import Base
from accord.db.engine import get_engine
from accord.db.migrate import upgrade_database
from accord.db.revisions import MIGRATIONS, current_revisions, head_revisions, pending_revisions
from tests.conftest import MODEL_MODULES

BROKEN = """
from alembic import op
import sqlalchemy as sa

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
    op.add_column("department", sa.Column("extra", sa.String(10)))
    raise RuntimeError("migration failed half-way")


def downgrade() -> None:
    pass
"""


def test_models_match_migrations(db_url: str) -> None:
    assert not pending_revisions(db_url)
    tables = set(inspect(get_engine(db_url)).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_revisions_are_read_as_alembic_reads_them(db_url: str, tmp_path: Path) -> None:
    """The CLI's quick check (no Alembic import) agrees with Alembic: on these migrations, on
    two branches, on their merge (a tuple), and on a line it leaves to Alembic."""
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    def alembic_heads(location: Path) -> set[str]:
        config = Config()
        config.set_main_option("script_location", str(location))
        return set(ScriptDirectory.from_config(config).get_heads())

    assert head_revisions() == alembic_heads(MIGRATIONS) != set()
    with get_engine(db_url).connect() as connection:
        assert current_revisions(connection) == set(
            MigrationContext.configure(connection).get_current_heads()
        )
    versions = tmp_path / "versions"
    versions.mkdir()
    for revision, down in (("a", None), ("b", "a"), ("c", "a")):
        (versions / f"{revision}_x.py").write_text(
            f"revision: str = {revision!r}\ndown_revision: str | None = {down!r}\n"
        )
    assert head_revisions(tmp_path) == alembic_heads(tmp_path) == {"b", "c"}
    (versions / "d_merge.py").write_text('revision = "d"  # merge\ndown_revision = ("b", "c")\n')
    assert head_revisions(tmp_path) == alembic_heads(tmp_path) == {"d"}
    # a tuple over several lines is not read here: Alembic answers
    (versions / "e_x.py").write_text('revision = "e"\ndown_revision = (\n    "d",\n)\n')
    assert head_revisions(tmp_path) == alembic_heads(tmp_path) == {"e"}


def test_a_database_behind_the_migrations_is_pending(db_url: str, tmp_path: Path) -> None:
    (head,) = head_revisions()
    try:
        with get_engine(db_url).begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
        assert pending_revisions(db_url)
    finally:  # the PostgreSQL test database is shared by the next tests
        with get_engine(db_url).begin() as connection:
            connection.exec_driver_sql(f"UPDATE alembic_version SET version_num = '{head}'")
    never_migrated = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    assert pending_revisions(never_migrated)
    get_engine(never_migrated).dispose()


def test_migrations_env_imports_every_model_module() -> None:
    """Autogenerate sees only the tables of the modules env.py imports: a capability whose
    models.py it forgot would have its tables dropped by the next generated migration."""
    tree = ast.parse((MIGRATIONS / "env.py").read_text())
    imported = {
        f"{node.module}.{alias.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }
    assert MODEL_MODULES
    assert set(MODEL_MODULES) <= imported


def test_failed_migration_changes_nothing(db_url: str, tmp_path: Path) -> None:
    scripts = tmp_path / "migrations"
    (scripts / "versions").mkdir(parents=True)
    for name in ("env.py", "script.py.mako"):
        (scripts / name).write_text((MIGRATIONS / name).read_text())
    heads = []
    for version in (MIGRATIONS / "versions").glob("*.py"):
        (scripts / "versions" / version.name).write_text(version.read_text())
        heads.append(version.stem.split("_")[0])
    (scripts / "versions" / "9999_broken.py").write_text(BROKEN.format(head=max(heads)))
    before = inspect(get_engine(db_url))
    columns_before = [c["name"] for c in before.get_columns("department")]
    with pytest.raises(RuntimeError, match="half-way"):
        upgrade_database(db_url, script_location=scripts)
    get_engine(db_url).dispose()
    after = inspect(get_engine(db_url))
    assert "half_done" not in after.get_table_names()
    assert [c["name"] for c in after.get_columns("department")] == columns_before
    assert not pending_revisions(db_url)


def test_no_difference_between_models_and_migrated_schema(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from accord.db.migrate import include_object

    with get_engine(db_url).connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": include_object, "compare_type": True}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_dataset_titles_migration_keeps_written_titles_and_suggests_the_others(
    tmp_path: Path,
) -> None:
    """The titles migration: a title someone wrote is the steward's; the others get Accord's
    suggestion, and search finds them by it at once."""
    from sqlalchemy import text

    [script] = (MIGRATIONS / "versions").glob("*_dataset_titles.py")
    spec = importlib.util.spec_from_file_location("dataset_titles", script)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    url = f"sqlite:///{tmp_path / 'before.sqlite'}"
    upgrade_database(url, migration.down_revision)  # the revision before titles
    columns = (
        "name, kind, schema_name, title, description, source_comment, program, system, owner,"
        " contacts, related_programs, objectives, lifecycle"
    )
    with get_engine(url).begin() as conn:
        for name, title, program in (
            ("main.person", "", "Walk 2 Work"),
            ("main.visit", "Clinic visits", ""),
        ):
            conn.execute(
                text(
                    f"INSERT INTO catalog_dataset ({columns}) VALUES (:name, 'table', '', :title,"
                    " '', '', :program, '', '', '', '', '', 'active')"
                ),
                {"name": name, "title": title, "program": program},
            )
        conn.execute(
            text(
                "INSERT INTO catalog_search_doc (kind, ref_id, dataset_id, program, lifecycle,"
                " classifications, statutes, title, body) SELECT 'dataset', id, id, program,"
                " lifecycle, '||', '||', trim(title || ' ' || name), '' FROM catalog_dataset"
            )
        )
        conn.execute(
            text(
                "INSERT INTO catalog_search_fts(rowid, title, body) "
                "SELECT id, title, body FROM catalog_search_doc"
            )
        )
    get_engine(url).dispose()
    upgrade_database(url)
    with get_engine(url).connect() as conn:
        rows = conn.execute(
            text("SELECT name, title, title_source FROM catalog_dataset ORDER BY name")
        ).all()
        found = conn.execute(
            text("SELECT rowid FROM catalog_search_fts WHERE catalog_search_fts MATCH 'walk'")
        ).all()
    assert [tuple(r) for r in rows] == [
        ("main.person", "Person — Walk 2 Work", "suggested"),
        ("main.visit", "Clinic visits", "steward"),
    ]
    assert len(found) == 1


def test_agreement_record_migration_marks_only_untouched_catalog_answers_as_generated(
    tmp_path: Path,
) -> None:
    """A proposal's Volumes and Data categories still as its start wrote them follow its fields
    after the upgrade; an answer a person rewrote stays theirs."""
    import json

    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'before.sqlite'}"
    upgrade_database(url, "0009")
    volumes = "main.client: 2 field(s) of 1,200 rows\nmain.visit: 1 field(s) of 0 rows"
    categories = "Classified in the catalog as: PHI, PII."
    with get_engine(url).begin() as conn:
        for pid, answers in (
            (1, {"volumes": volumes, "data_categories": categories}),
            (2, {"volumes": "About 1,200 clients.", "data_categories": categories}),
        ):
            conn.execute(
                text(
                    "INSERT INTO proposal (id, path, state, state_since, version, answers,"
                    " created_at, updated_at) VALUES (:id, 'idea', 'draft', '2026-01-01',"
                    " 1, :answers, '2026-01-01', '2026-01-01')"
                ),
                {"id": pid, "answers": json.dumps(answers)},
            )
            for field_id, (dataset, rows, classes) in enumerate(
                (
                    ("main.client", 1200, "PII:ssn"),
                    ("main.client", 1200, "PUBLIC"),
                    ("main.visit", 0, "PHI"),
                )
            ):
                conn.execute(
                    text(
                        "INSERT INTO proposal_element (proposal_id, dataset_id, field_id,"
                        " dataset_name, field_name, label, definition, data_type, valid_values,"
                        " classifications, statutes, row_count, removed, not_needed,"
                        " not_needed_by, justification) VALUES (:p, 1, :f, :d, :n, '', '', '',"
                        " '', :c, '', :r, 0, '', '', '')"
                    ),
                    {
                        "p": pid,
                        "f": field_id,
                        "d": dataset,
                        "n": f"f{field_id}",
                        "c": classes,
                        "r": rows,
                    },
                )
    get_engine(url).dispose()
    upgrade_database(url)
    with get_engine(url).connect() as conn:
        filled = dict(conn.execute(text("SELECT id, prefilled FROM proposal")).all())
    assert json.loads(filled[1]) == {"volumes": volumes, "data_categories": categories}
    assert json.loads(filled[2]) == {"data_categories": categories}


def test_published_descriptions_migration_indexes_as_a_reindex_would(tmp_path: Path) -> None:
    """A description published before the migration stays what other departments read;
    drafts become the home department's, and the split index is the one a reindex builds."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from accord.catalog.search import reindex_datasets

    [script] = (MIGRATIONS / "versions").glob("*_published_descriptions.py")
    spec = importlib.util.spec_from_file_location("published_descriptions", script)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    url = f"sqlite:///{tmp_path / 'before.sqlite'}"
    upgrade_database(url, migration.down_revision)
    with get_engine(url).begin() as conn:
        conn.execute(
            text(
                "INSERT INTO catalog_dataset (id, name, kind, schema_name, title, title_source,"
                " description, source_comment, program, system, owner, contacts,"
                " related_programs, objectives, lifecycle) VALUES (1, 'main.person', 'table', '',"
                " 'Person', 'steward', '', '', 'Walk 2 Work', '', '', '', '', '', 'active')"
            )
        )
        for i, name, label, definition, status in (
            (1, "ssn", "SSN", "Number issued by the SSA.", "published"),
            (2, "dob", "Birth", "Draft wording, unreviewed.", "draft"),
            (3, "zip", "", "", None),
        ):
            conn.execute(
                text(
                    "INSERT INTO catalog_field (id, dataset_id, name, position, data_type,"
                    " nullable, primary_key, foreign_key, label, definition, source_comment,"
                    " valid_values, standard_element, tags, drift, drift_note, review_needed)"
                    " VALUES (:i, 1, :name, :i, 'TEXT', 1, 0, '', :label, :definition, '', '',"
                    " '', '', '', '', 0)"
                ),
                {"i": i, "name": name, "label": label, "definition": definition},
            )
            if status:
                conn.execute(
                    text(
                        "INSERT INTO catalog_field_work (field_id, status, statute_checked,"
                        " submitted_by, review_note, updated_at)"
                        " VALUES (:i, :status, 0, 'sam', '', '2026-12-01 10:00:00')"
                    ),
                    {"i": i, "status": status},
                )
        conn.execute(
            text(
                "INSERT INTO catalog_search_doc (kind, ref_id, dataset_id, program, lifecycle,"
                " classifications, statutes, title, body) SELECT 'field', id, dataset_id,"
                " 'Walk 2 Work', 'active', '||', '||', trim(name || ' ' || label), definition"
                " FROM catalog_field"
            )
        )
        conn.execute(
            text(
                "INSERT INTO catalog_search_fts(rowid, title, body) "
                "SELECT id, title, body FROM catalog_search_doc"
            )
        )
    get_engine(url).dispose()
    upgrade_database(url)
    def others_match(conn: object, word: str) -> list[int]:
        return list(
            conn.scalars(  # type: ignore[attr-defined]
                text(
                    "SELECT d.ref_id FROM catalog_search_fts f JOIN catalog_search_doc d"
                    " ON d.id = f.rowid WHERE catalog_search_fts MATCH :w"
                    " AND d.audience IN ('all', 'others')"
                ),
                {"w": word},
            )
        )

    others = "SELECT ref_id, title, body FROM catalog_search_doc WHERE audience = 'others'"
    audiences = "SELECT ref_id, audience FROM catalog_search_doc WHERE kind = 'field'"
    with get_engine(url).connect() as conn:
        published = conn.execute(
            text("SELECT field_id, label, definition FROM catalog_field_published")
        ).all()
        assert sorted(conn.execute(text(audiences)).all()) == [
            (1, "all"), (2, "home"), (2, "others"), (3, "all")]
        migrated = [tuple(r) for r in conn.execute(text(others))]
        assert others_match(conn, "ssa") == [1] and others_match(conn, "unreviewed") == []
        assert others_match(conn, "dob") == [2]
    assert [tuple(r) for r in published] == [(1, "SSN", "Number issued by the SSA.")]
    with Session(get_engine(url)) as session, session.begin():
        reindex_datasets(session, [1])
    with get_engine(url).connect() as conn:
        rebuilt = [tuple(r) for r in conn.execute(text(others))]
        assert sorted(conn.execute(text(audiences)).all()) == [
            (1, "all"), (2, "home"), (2, "others"), (3, "all")]
    assert migrated == rebuilt == [(2, "dob", "\nPerson\nTEXT\n\n")]
