from __future__ import annotations

import pytest

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
