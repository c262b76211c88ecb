"""A change through the API lets go of the database's write lock before its reply is built.

Under load, every trip through the thread pool waits behind the queued readers; a writer that
made that trip while holding the lock made every other writer wait with it (bench/load_bench.py:
writes took 2 s at the median). The probe below runs at each of FastAPI's trips into the
thread pool and asks a second connection whether it could write now.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import routing
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from accord.catalog.datasets import register_dataset
from accord.config import Settings
from accord.db.engine import transaction
from accord.web.api import catalog as catalog_api
from accord.web.api.routing import _committing
from tests.factories import make_user
from tests.web.test_api import _token


def _lock_is_free(url: str) -> Callable[[], bool]:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":

        def sqlite_free() -> bool:
            probe = sqlite3.connect(str(parsed.database), timeout=0, isolation_level=None)
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
                return True
            except sqlite3.OperationalError:
                return False
            finally:
                probe.close()

        return sqlite_free
    # PostgreSQL: every audited change updates the audit head's one row and holds it.
    engine = create_engine(url)

    def postgresql_free() -> bool:
        with engine.connect() as probe:
            try:
                probe.execute(text("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE NOWAIT"))
                return True
            except OperationalError:
                return False
            finally:
                probe.rollback()

    return postgresql_free


@pytest.fixture
def shared(settings: Settings) -> tuple[str, dict[str, str]]:
    """A dataset's API path, and the headers of a coordinator who may change it."""
    secret = _token(settings, "cody", "data_coordinator")
    registrar = make_user(settings, "reg", "data_coordinator")
    with transaction(settings) as session:
        dataset = register_dataset(session, registrar, name="Shared", kind="report").id
    return f"/api/v1/datasets/{dataset}", {"Authorization": f"Bearer {secret}"}


def test_a_change_commits_before_fastapi_builds_its_reply(
    settings: Settings,
    app_client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    shared: tuple[str, dict[str, str]],
) -> None:
    path, headers = shared
    lock_is_free = _lock_is_free(settings.resolved_database_url)
    seen: list[bool] = []
    real = routing.run_in_threadpool

    async def probed(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        seen.append(lock_is_free())
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(routing, "run_in_threadpool", probed)
    answer = app_client.patch(path, json={"description": "Shared weekly"}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["description"] == "Shared weekly"
    # The handler's trip, then the reply's against DatasetOut: free at both.
    assert seen and all(seen), seen
    assert app_client.get(path, headers=headers).json()["description"] == "Shared weekly"


def test_a_change_whose_answer_cannot_be_built_is_said_to_be_saved(
    app_client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    shared: tuple[str, dict[str, str]],
) -> None:
    # It committed before its answer was checked: "nothing was changed" would be untrue, and
    # a client believing it would make the change twice.
    path, headers = shared
    monkeypatch.setattr(catalog_api.DatasetOut, "model_validate", lambda _: {"id": "not one"})
    answer = app_client.patch(path, json={"description": "Shared weekly"}, headers=headers)
    assert answer.status_code == 500
    assert answer.json()["error"]["message"].startswith("The change was saved, but Accord")
    monkeypatch.undo()
    assert app_client.get(path, headers=headers).json()["description"] == "Shared weekly"


def test_a_route_wrapped_twice_commits_once(settings: Settings) -> None:
    # FastAPI releases whose include_router rebuilds routes wrap an endpoint again
    twice = _committing(_committing(lambda session: "answer"))
    with transaction(settings) as session:
        session.execute(text("SELECT 1"))
        assert twice(session=session) == "answer"
