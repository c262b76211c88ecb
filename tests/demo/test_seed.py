"""The demo department seeds a living platform, once, with every step on the audit log."""

from __future__ import annotations

from sqlalchemy import func, select

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.models import User
from accord.auth.roles import Role
from accord.catalog.models import Dataset, FieldClassification, FieldStatute, Source
from accord.config import Settings
from accord.db.engine import transaction
from accord.demo.seed import DEMO_USERS, seed_demo


def count(settings: Settings, model: type) -> int:
    with transaction(settings) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_seed_once_with_users_catalog_and_decisions(settings: Settings) -> None:
    sources = seed_demo(settings, Actor.system(), events=500)
    assert [s.program for s in sources] == ["Walk 2 Work", "Healthy Habits", "Your Environment"]
    with transaction(settings) as session:
        roles = {r for u in session.scalars(select(User)) for r in u.role_names}
        assert roles == {r.value for r in Role}
        programs = set(session.scalars(select(Dataset.program)))
        assert programs == {"Walk 2 Work", "Healthy Habits", "Your Environment"}
        assert session.scalar(select(func.count()).select_from(Source)) == 3
    assert count(settings, FieldClassification) > 10
    assert count(settings, FieldStatute) > 5
    users, datasets = count(settings, User), count(settings, Dataset)
    seed_demo(settings, Actor.system(), events=500)
    assert (count(settings, User), count(settings, Dataset)) == (users, datasets)
    assert users == len(DEMO_USERS)
    with transaction(settings) as session:
        assert audit.verify(session, Actor.system(), settings).ok
