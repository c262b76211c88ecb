from __future__ import annotations

from collections.abc import Iterator

import pytest

from accord.config import Settings
from tests.auth.world import (
    World,
    backend_database,
    build_world,
    drop_database,
    make_source_database,
)
from tests.conftest import BACKEND, PG_SERVER


@pytest.fixture(scope="module")
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """A department with a user for every role and something of every kind to act on."""
    folder = tmp_path_factory.mktemp("world")
    template = request.getfixturevalue("sqlite_template") if BACKEND == "sqlite" else None
    url = backend_database(folder, BACKEND, PG_SERVER, template)
    source_url = make_source_database(PG_SERVER)
    settings = Settings(
        database_url=url,
        data_dir=folder / "data",
        secret_key="world-secret-key-" + "y" * 32,
        _env_file=None,  # type: ignore[call-arg]
    )
    try:
        yield build_world(settings, source_url, folder)
    finally:
        drop_database(url)
        drop_database(source_url)
