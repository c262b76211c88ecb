"""One small, real department shared by the permission and audit tests of a module.

Built once per module through the real services: a user for every role, a PostgreSQL source
database harvested into the catalog (write-back needs a dialect that stores column comments),
open classification suggestions, a description waiting for review, a glossary term linked to a
field, a registered dataset, a stored de-identified release and an API token of another user.
Tests act on it in a session that is always rolled back (``scratch``), so each sees the same
world; the few services that open their own transactions are run against it directly.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from accord.auth.actor import Actor, actor_for
from accord.auth.models import User
from accord.auth.roles import Role
from accord.auth.tokens import create_token
from accord.catalog.datasets import Inventory, register_dataset
from accord.catalog.describing import submit_for_review
from accord.catalog.fields import Description, describe_field
from accord.catalog.glossary import link_term, save_term
from accord.catalog.harvest.runs import harvest_now
from accord.catalog.models import CatalogField, ClassificationSuggestion
from accord.catalog.sources import add_source
from accord.catalog.suggestions import suggest
from accord.config import Settings
from accord.db.base import Base
from accord.db.engine import get_engine, get_sessionmaker, transaction
from accord.db.migrate import upgrade_database
from accord.releases.service import release_table
from tests.factories import make_user

SOURCE = "clients"
SOURCE_SQL = """
CREATE TABLE client (
    client_id integer PRIMARY KEY,
    full_name text NOT NULL,
    ssn char(11),
    birth_date date,
    county text
);
INSERT INTO client VALUES (1, 'Ana Example', '900-11-2222', '1980-01-02', 'Yolo'),
                          (2, 'Bo Example', '900-33-4444', '1975-05-06', 'Napa')
"""
# a small aggregate table that the de-identification engine publishes (one cell suppressed)
TABLE_CSV = "county,age,n\nA,young,3\nA,old,40\nB,young,25\nB,old,30\nC,young,12\nC,old,9\n"
SPEC = "title: Clients by county\ndimensions: [county, age]\ncount: n\nscore: 14\n"


def username(role: Role) -> str:
    return f"as.{role.value}"


@dataclass
class World:
    settings: Settings
    source_url: str
    actors: dict[Role, Actor]
    author: Actor  # a second steward: wrote the description waiting for review
    fields: dict[str, int]  # field name -> id, of the harvested client table
    dataset_id: int  # the registered (not harvested) dataset
    term_id: int
    suggestion_ids: list[int]
    release_id: int
    victim_token_id: int
    table: Path
    spec: Path
    extra: dict[str, object] = field(default_factory=dict)


@contextmanager
def scratch(settings: Settings) -> Iterator[Session]:
    """A session like ``transaction``'s whose work is always rolled back."""
    with get_sessionmaker(settings.resolved_database_url)() as session:
        session.info["audit_key"] = settings.key
        session.begin()
        try:
            yield session
        finally:
            session.rollback()


def snapshot(session: Session) -> str:
    """A digest of every row of every table: equal before and after means nothing changed."""
    digest = hashlib.sha256()
    for table in Base.metadata.sorted_tables:
        rows = sorted(repr(tuple(row)) for row in session.execute(select(table)))
        digest.update(f"{table.name}:{len(rows)}:{rows}".encode())
    return digest.hexdigest()


def module_settings(request: pytest.FixtureRequest, folder: Path, name: str) -> Settings:
    """Settings over a migrated database of a test module's own (``backend_database``: the
    SQLite template copied, or a scratch PostgreSQL database), for a module-scoped world.
    Drop it with ``drop_database(settings.database_url)``."""
    from tests.conftest import BACKEND, PG_SERVER

    template = request.getfixturevalue("sqlite_template") if BACKEND == "sqlite" else None
    return Settings(
        database_url=backend_database(folder, BACKEND, PG_SERVER, template),
        data_dir=folder / "data",
        secret_key=f"{name}-secret-key-" + "k" * 32,
        _env_file=None,  # type: ignore[call-arg]
    )


def backend_database(tmp: Path, backend: str, pg_server: str, template: Path | None) -> str:
    """A migrated application database of its own, for one module."""
    if backend == "sqlite":
        path = tmp / "accord.sqlite"
        if template is not None:
            shutil.copyfile(template, path)
            return f"sqlite:///{path}"
        url = f"sqlite:///{path}"
        upgrade_database(url)
        return url
    server = make_url(pg_server)
    name = f"accord_w_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = server.set(database=name).render_as_string(hide_password=False)
    upgrade_database(url)
    return url


def drop_database(url: str) -> None:
    get_engine(url).dispose()
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = create_engine(
        parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
    admin.dispose()


def make_source_database(pg_server: str) -> str:
    server = make_url(pg_server)
    name = f"accord_src_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url, poolclass=NullPool)
    with engine.begin() as conn:
        for statement in filter(str.strip, SOURCE_SQL.split(";\n")):
            conn.execute(text(statement))
    engine.dispose()
    return url


def build_world(settings: Settings, source_url: str, folder: Path) -> World:
    actors = {role: make_user(settings, username(role), role.value) for role in Role}
    author = make_user(settings, "author", Role.STEWARD.value)
    make_user(settings, "victim", Role.REQUESTER.value)
    engineer = actors[Role.DATA_ENGINEER]
    with transaction(settings) as session:
        add_source(session, engineer, settings.key, name=SOURCE, location=source_url)
    harvest_now(settings, engineer, SOURCE)
    suggest(settings, actors[Role.SECURITY_OFFICER], SOURCE, sample_size=5)
    table, spec = folder / "clients.csv", folder / "spec.yaml"
    table.write_text(TABLE_CSV)
    spec.write_text(SPEC)
    with transaction(settings) as session:
        fields = {f.name: f.id for f in session.scalars(select(CatalogField))}
        # a definition that differs from the source's comment: write-back has work to do
        describe_field(session, author, fields["full_name"], Description(definition="Legal name."))
        submit_for_review(session, author, [fields["full_name"]])
        term = save_term(
            session, actors[Role.STEWARD], term="Client", definition="A person served."
        )
        link_term(session, actors[Role.STEWARD], fields["client_id"], term.id)
        dataset = register_dataset(
            session,
            actors[Role.DATA_COORDINATOR],
            name="Quarterly report",
            kind="report",
            change=Inventory(title="Quarterly report"),
        )
        victim = session.scalar(select(User).where(User.username == "victim"))
        assert victim is not None
        token, _ = create_token(session, actor_for(victim), victim, name="script", days=30)
        suggestion_ids = list(
            session.scalars(
                select(ClassificationSuggestion.id).where(ClassificationSuggestion.status == "open")
            )
        )
        release = release_table(
            session, actors[Role.DATA_COORDINATOR], settings, table, spec, name="clients.csv"
        )
        assert release.record is not None and release.status == "released", release.findings
        assert len(suggestion_ids) >= 3, "the classifier proposed too little to decide on"
        return World(
            settings=settings,
            source_url=source_url,
            actors=actors,
            author=author,
            fields=fields,
            dataset_id=dataset.id,
            term_id=term.id,
            suggestion_ids=suggestion_ids,
            release_id=release.record.id,
            victim_token_id=token.id,
            table=table,
            spec=spec,
        )
