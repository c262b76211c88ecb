"""Fixtures shared by the suite.

The application database is chosen by ACCORD_TEST_DB: ``sqlite`` (default; a fresh file per
test) or ``postgresql`` (a throw-away database created for the run on the server named by
ACCORD_TEST_PG_URL, dropped at the end, with tables emptied between tests). In the PostgreSQL
pass only tests that use the database run.
"""

from __future__ import annotations

import importlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import accord
from accord.config import Settings
from accord.db.base import Base
from accord.db.engine import get_engine
from accord.db.migrate import upgrade_database

# Every capability's tables on the metadata. accord.db imports no capability: only the
# migrations' env.py lists the model modules, and tests/db/test_migrations.py checks that it
# names each one found here.
SRC = Path(accord.__file__).parent
MODEL_MODULES = sorted(
    ".".join(("accord", *path.relative_to(SRC).with_suffix("").parts))
    for path in SRC.rglob("models.py")
)
for _module in MODEL_MODULES:
    importlib.import_module(_module)

# the same examples on every run: a property test that fails in CI fails on every machine
hypothesis_settings.register_profile("accord", derandomize=True, deadline=None)
hypothesis_settings.load_profile("accord")


@pytest.fixture(scope="session", autouse=True)
def compiled_deid_search() -> None:
    """Compile (or load from the on-disk cache) the de-identification search once, before any
    test, so that a server started by a browser test finds it cached."""
    from accord.deid.warmup import warm_up

    warm_up()

BACKEND = os.environ.get("ACCORD_TEST_DB", "sqlite")
PG_SERVER = os.environ.get(
    "ACCORD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SEEDED_BY_MIGRATIONS = {"catalog_classification"}
DB_FIXTURES = {"settings", "db_url", "app_client", "server", "seeded", "world", "stage"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep, drop = [], []
    for item in items:
        uses_db = bool(DB_FIXTURES & set(getattr(item, "fixturenames", ())))
        if uses_db:
            item.add_marker(pytest.mark.db)
        (keep if uses_db or BACKEND == "sqlite" else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    server = make_url(PG_SERVER)
    name = f"accord_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    upgrade_database(url)
    try:
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def _fast_argon2() -> None:
    """Real argon2id, with the cheapest parameters: the suite creates hundreds of users."""
    from argon2 import PasswordHasher

    from accord.auth import passwords

    passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once; each test gets a copy (fresh state without re-running migrations)."""
    path = tmp_path_factory.mktemp("template") / "accord.sqlite"
    url = f"sqlite:///{path}"
    upgrade_database(url)
    get_engine(url).dispose()
    return path


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if BACKEND == "sqlite":
        path = tmp_path / "accord.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
        yield url
        get_engine(url).dispose()
        return
    url = request.getfixturevalue("pg_database")
    yield url
    # Fresh state for the next test: empty every table (the audit trigger blocks DELETE only)
    # except the vocabularies that migrations seed.
    tables = ", ".join(
        f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name not in SEEDED_BY_MIGRATIONS
    )
    with get_engine(url).begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_url,
        data_dir=tmp_path / "data",
        secret_key="test-secret-key-" + "x" * 32,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
def app_client(settings: Settings) -> Iterator[TestClient]:
    from accord.web.app import create_app

    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client
