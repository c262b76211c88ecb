from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.auth.world import (
    World,
    build_world,
    drop_database,
    make_source_database,
    module_settings,
)
from tests.conftest import PG_SERVER


@pytest.fixture(scope="module")
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """A department with a user for every role and something of every kind to act on."""
    folder = tmp_path_factory.mktemp("world")
    settings = module_settings(request, folder, "world")
    url = settings.database_url
    source_url = make_source_database(PG_SERVER)
    try:
        yield build_world(settings, source_url, folder)
    finally:
        drop_database(url)
        drop_database(source_url)
