"""The demo department seeds a living platform, once, with every step on the audit log."""

from __future__ import annotations

from sqlalchemy import event, func, select

from accord.auth import audit
from accord.auth.actor import Actor, actor_for
from accord.auth.models import AuditEntry, User
from accord.auth.roles import Role
from accord.auth.users import get_user
from accord.catalog.harvest.runs import failed_harvests
from accord.catalog.models import (
    Dataset,
    FieldClassification,
    FieldStatute,
    FieldTerm,
    FieldWork,
    Source,
)
from accord.config import Settings
from accord.db.base import utcnow
from accord.db.engine import transaction
from accord.demo import workflow
from accord.demo.seed import DEMO_USERS, seed_demo
from accord.home.waiting import KINDS, what_waits


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
        # the three programs, and the vendor extract whose harvest failed
        assert session.scalar(select(func.count()).select_from(Source)) == 4
    assert count(settings, FieldClassification) > 10
    assert count(settings, FieldStatute) > 5
    users, datasets = count(settings, User), count(settings, Dataset)
    entries = count(settings, AuditEntry)
    seed_demo(settings, Actor.system(), events=500)
    assert (count(settings, User), count(settings, Dataset)) == (users, datasets)
    assert count(settings, AuditEntry) == entries  # the second seeding changed nothing
    assert users == len(DEMO_USERS)
    with transaction(settings) as session:
        assert audit.verify(session, Actor.system(), settings).ok


def test_every_role_finds_work_waiting_on_its_first_screen(settings: Settings) -> None:
    seed_demo(settings, Actor.system(), events=200)
    today = utcnow().date()
    with transaction(settings, read_only=True) as session:

        def waiting(username: str) -> dict[str, int]:
            actor = actor_for(get_user(session, username))
            return {w.kind: w.count for w in what_waits(session, actor, today)}

        statements: list[str] = []
        listen = lambda *args: statements.append(args[2])  # noqa: E731
        connection = session.connection()
        for username in ("admin", "coordinator", "steward"):
            actor = actor_for(get_user(session, username))
            event.listen(connection, "before_cursor_execute", listen)
            what_waits(session, actor, today)
            event.remove(connection, "before_cursor_execute", listen)
            # one query per kind this person may act on, whatever the catalog's size
            kinds = [make for wanted, make in KINDS if wanted(actor)]
            assert len(statements) == len(kinds), statements
            statements.clear()

        security, steward = waiting("security"), waiting("steward")
        coordinator, engineer = waiting("coordinator"), waiting("engineer")
        assert security["suggestions"] > 10
        assert steward["assigned"] == workflow.ASSIGNED - 2  # two were published
        assert coordinator["reviews"] == workflow.SUBMITTED - 3  # two published, one sent back
        assert coordinator["retention"] == len(workflow.RETENTION)
        assert engineer["harvests"] == 1
        (failed,) = failed_harvests(session, actor_for(get_user(session, "engineer")))
        assert "No such file or directory" in failed.message  # in words, not FileNotFoundError
        assert str(settings.data_dir) not in failed.message  # nor where the source lives
        assert waiting("auditor")["audit"] > 100
        linked = session.scalar(select(func.count()).select_from(FieldTerm))
        assert linked and linked >= len(workflow.GLOSSARY)
        assert {w.status for w in session.scalars(select(FieldWork))} == {
            "draft",
            "in_review",
            "published",
        }
