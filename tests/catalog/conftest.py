from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from accord.auth.actor import Actor
from accord.catalog.models import Source
from accord.catalog.sources import add_source
from accord.config import Settings
from accord.db.engine import transaction
from tests.factories import make_user


@pytest.fixture
def people(settings: Settings) -> dict[str, Actor]:
    return {
        "engineer": make_user(settings, "eli", "data_engineer"),
        "steward": make_user(settings, "sam", "steward"),
        "security": make_user(settings, "sky", "security_officer"),
        "coordinator": make_user(settings, "cas", "data_coordinator"),
        "auditor": make_user(settings, "ava", "auditor"),
    }


@pytest.fixture
def source(settings: Settings, people: dict[str, Actor]) -> Source:
    with transaction(settings) as session:
        return add_source(
            session,
            people["engineer"],
            settings.key,
            name="hr",
            location="postgresql+psycopg://reader:s3cret@db.example/hr",
        )


# Throw-away *source* databases on the real PostgreSQL and MariaDB servers (not Accord's own
# database): each test module gets its own, created with AUTOCOMMIT and dropped at the end.
PG_SERVER = os.environ.get(
    "ACCORD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
MARIADB_SERVER = os.environ.get("ACCORD_TEST_MARIADB_URL", "mysql+pymysql://root@127.0.0.1:3306/")

RunSql = Callable[[str], None]


def _run(url: str) -> RunSql:
    def run(sql: str) -> None:
        engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for statement in filter(str.strip, sql.split(";\n")):
                conn.exec_driver_sql(statement)
        engine.dispose()

    return run


@pytest.fixture(scope="module")
def pg_source() -> Iterator[tuple[str, RunSql]]:
    """(url, run) for a fresh PostgreSQL database; ``run`` executes ;-newline separated SQL."""
    server = make_url(PG_SERVER)
    name = f"accord_h_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        yield url, _run(url)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="module")
def mariadb_source() -> Iterator[tuple[str, RunSql]]:
    """(url, run) for a fresh MariaDB database (a MariaDB schema)."""
    server = make_url(MARIADB_SERVER)
    name = f"accord_h_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        yield url, _run(url)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS `{name}`")
        admin.dispose()
