"""Engines and sessions. One engine per database URL per process."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from accord.config import Settings


@lru_cache(maxsize=8)
def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **POOL)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, **POOL)


# A request holds one connection for its whole life, and FastAPI runs up to 40 requests at
# once in its thread pool: the pool must give each its own instead of failing after 15. A
# web server process sizes it to its share of the connections (``size_pool``).
POOL = {"pool_size": 10, "max_overflow": 30, "pool_timeout": 60}


def size_pool(connections: int) -> None:
    """Give engines created from now on in this process ``connections`` connections, plus a
    few for the moments a request's dependencies hold a second one (the CSRF check). Call it
    before the first engine is made: those already made keep their pool."""
    POOL.update(pool_size=connections, max_overflow=max(2, connections // 4))


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    # WAL lets the web server read while the CLI writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
    # Let SQLAlchemy, not the driver, open transactions, so that DDL is transactional too
    # (a failed migration then leaves the database as it was).
    dbapi_connection.isolation_level = None  # type: ignore[attr-defined]


def _sqlite_begin(connection: Connection) -> None:
    # A transaction that may write takes the write lock when it begins (IMMEDIATE), so a
    # read-then-write waits its turn (busy_timeout) instead of failing with "database is
    # locked" when another writer committed after its read. Readers begin DEFERRED: under
    # WAL they never wait for a writer.
    reading = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")


READ_ONLY = "accord_read_only"


@lru_cache(maxsize=16)
def get_sessionmaker(url: str, read_only: bool = False) -> sessionmaker[Session]:
    engine = get_engine(url)
    bind = engine.execution_options(**{READ_ONLY: True}) if read_only else engine
    return sessionmaker(bind, expire_on_commit=False)


@contextmanager
def transaction(settings: Settings, *, read_only: bool = False) -> Iterator[Session]:
    """One unit of work: committed if the block finishes, rolled back if it raises.

    ``read_only`` is a promise that the block does not write: on SQLite it then does not queue
    behind writers. The session carries the audit key and the head file so that services can
    append to the audit log and anchor its head after the commit.
    """
    maker = get_sessionmaker(settings.resolved_database_url, read_only)
    with maker() as session, session.begin():
        session.info["audit_key"] = settings.key
        session.info["audit_head_file"] = settings.audit_head_file
        yield session
