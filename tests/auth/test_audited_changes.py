"""Every service that changes something leaves its audit entry (who, what, which object,
before and after), and every column of an entry is covered by the keyed hash chain."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.models import AuditEntry, User
from accord.auth.password_reset import issue_reset
from accord.auth.roles import Role
from accord.auth.tokens import revoke_token
from accord.auth.users import create_user, disable_user, enable_user, set_roles
from accord.catalog.datasets import Inventory, update_inventory
from accord.catalog.describing import assign_steward, review_description, set_statute_checked
from accord.catalog.fields import Description, classify_field, describe_field
from accord.catalog.glossary import link_term, save_term, unlink_term
from accord.catalog.harvest.writeback import apply_write_back, preview_write_back
from accord.catalog.models import ClassificationSuggestion, Source
from accord.catalog.sources import add_source
from accord.catalog.statutes import set_field_statutes
from accord.catalog.suggestions import decide
from accord.config import Settings
from accord.db.engine import transaction
from accord.releases.service import release_table
from tests.auth.world import SOURCE, World, scratch
from tests.factories import PASSWORD, make_user, tamper_with_audit_log

Change = Callable[[Session, World], tuple[Actor, dict[str, Any]]]


def _entries_after(session: Session, seq: int) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.seq > seq).order_by(AuditEntry.seq)
    return list(session.scalars(query))


def _loads(value: str | None) -> Any:
    return None if value is None else json.loads(value)


def _id(session: Session, model: type, **where: Any) -> int:
    found = session.scalar(select(model.id).filter_by(**where))  # type: ignore[attr-defined]
    assert found is not None
    return int(found)


def classify(s: Session, w: World) -> tuple[Actor, dict[str, Any]]:
    a = w.actors[Role.SECURITY_OFFICER]
    classify_field(s, a, w.fields["ssn"], ["PII:ssn", "PII"])
    return a, {"action": "field.classify", "object": ("field", w.fields["ssn"]),
               "before": [], "after": ["PII", "PII:ssn"]}


def disable(s: Session, w: World) -> tuple[Actor, dict[str, Any]]:
    a = w.actors[Role.ADMIN]
    disable_user(s, a, "victim")
    victim = _id(s, User, username="victim")
    return a, {"action": "user.disable", "object": ("user", victim),
               "before": {"active": True, "username": "victim"},
               "after": {"active": False, "username": "victim"}}


def write_back(s: Session, w: World) -> tuple[Actor, dict[str, Any]]:
    a = w.actors[Role.DATA_ENGINEER]
    plan = preview_write_back(s, a, w.settings.key, SOURCE)
    apply_write_back(s, a, w.settings.key, SOURCE, plan.digest)
    return a, {"action": "source.write_back", "object": ("source", _id(s, Source, name=SOURCE)),
               "before": None, "after": {"statements": plan.statements}}


def describe(s: Session, w: World) -> tuple[Actor, dict[str, Any]]:
    a = w.actors[Role.STEWARD]
    describe_field(s, a, w.fields["ssn"], Description(definition="Social Security number."))
    return a, {"action": "field.describe", "object": ("field", w.fields["ssn"]),
               "before": {"definition": ""},
               "after": {"definition": "Social Security number."}}


def statutes(s: Session, w: World) -> tuple[Actor, dict[str, Any]]:
    a = w.actors[Role.LEGAL]
    set_field_statutes(s, a, w.fields["ssn"], ["WIC 10850"])
    return a, {"action": "field.statutes", "object": ("field", w.fields["ssn"]),
               "before": [], "after": ["WIC § 10850"], "also": ["statute.add"]}


def statute_checked(s: Session, w: World) -> tuple[Actor, dict[str, Any]]:
    a = w.actors[Role.PRIVACY_OFFICER]
    set_statute_checked(s, a, w.fields["county"], True)
    return a, {"action": "describe.statute_check", "object": ("field", w.fields["county"]),
               "before": None, "after": {"statute_checked": True}}


def glossary(s: Session, w: World) -> tuple[Actor, dict[str, Any]]:
    a = w.actors[Role.STEWARD]
    save_term(s, a, term="Client", definition="A person the program serves.", acronym="CL")
    return a, {"action": "glossary.save", "object": ("glossary_term", w.term_id),
               "before": {"acronym": "", "definition": "A person served."},
               "after": {"term": "Client", "acronym": "CL",
                         "definition": "A person the program serves."}}


def link(s: Session, w: World) -> tuple[Actor, dict[str, Any]]:
    a = w.actors[Role.DATA_COORDINATOR]
    link_term(s, a, w.fields["ssn"], w.term_id)
    return a, {"action": "glossary.link", "object": ("field", w.fields["ssn"]),
               "before": None, "after": {"term": w.term_id}}


def unlink(s: Session, w: World) -> tuple[Actor, dict[str, Any]]:
    a = w.actors[Role.DATA_COORDINATOR]
    unlink_term(s, a, w.fields["client_id"], w.term_id)
    return a, {"action": "glossary.unlink", "object": ("field", w.fields["client_id"]),
               "before": {"term": w.term_id}, "after": None}


def inventory(s: Session, w: World) -> tuple[Actor, dict[str, Any]]:
    a = w.actors[Role.PROGRAM_OWNER]
    update_inventory(s, a, w.dataset_id, Inventory(owner="Program office"))
    return a, {"action": "dataset.inventory", "object": ("dataset", w.dataset_id),
               "before": {"owner": "", "title": "Quarterly report"},
               "after": {"owner": "Program office", "title": "Quarterly report"}}


def assign(s: Session, w: World) -> tuple[Actor, dict[str, Any]]:
    a = w.actors[Role.DATA_COORDINATOR]
    assign_steward(s, a, "author", field_ids=[w.fields["ssn"]])
    return a, {"action": "describe.assign", "object": ("user", w.author.user_id),
               "before": None, "after": {"steward": "author", "fields": [w.fields["ssn"]]}}


def review(s: Session, w: World) -> tuple[Actor, dict[str, Any]]:
    a = w.actors[Role.PROGRAM_OWNER]
    review_description(s, a, w.fields["full_name"], approve=False, note="Say whose name.")
    return a, {"action": "describe.review", "object": ("field", w.fields["full_name"]),
               "before": {"status": "in_review"},
               "after": {"status": "draft", "note": "Say whose name."}}


def accept_suggestion(s: Session, w: World) -> tuple[Actor, dict[str, Any]]:
    a = w.actors[Role.PRIVACY_OFFICER]
    chosen = s.get(ClassificationSuggestion, w.suggestion_ids[0])
    assert chosen is not None
    decide(s, a, [chosen.id], accept=True)
    return a, {"action": "suggestion.accept", "object": ("field", chosen.field_id),
               "before": None, "after": {"label": chosen.label}}


def new_source(s: Session, w: World) -> tuple[Actor, dict[str, Any]]:
    a = w.actors[Role.ADMIN]
    source = add_source(s, a, w.settings.key, name="hr",
                        location="postgresql+psycopg://reader:s3cret@db.example/hr")
    return a, {"action": "source.add", "object": ("source", source.id), "before": None,
               "after": {"name": "hr", "password": "encrypted",
                         "location": "postgresql+psycopg://reader@db.example/hr"}}


def new_user(s: Session, w: World) -> tuple[Actor, dict[str, Any]]:
    a = w.actors[Role.ADMIN]
    user = create_user(s, a, username="newcomer", full_name="New Comer", password=PASSWORD,
                       department_code="CDW", roles=["auditor"])
    return a, {"action": "user.create", "object": ("user", user.id), "before": None,
               "after": {"username": "newcomer", "roles": ["auditor"], "active": True}}


def revoke(s: Session, w: World) -> tuple[Actor, dict[str, Any]]:
    a = w.actors[Role.ADMIN]
    token = revoke_token(s, a, w.victim_token_id)
    assert token.revoked_at is not None
    return a, {"action": "token.revoke", "object": ("api_token", w.victim_token_id),
               "before": None, "after": {"revoked_at": token.revoked_at.isoformat()}}


def release(s: Session, w: World) -> tuple[Actor, dict[str, Any]]:
    a = w.actors[Role.STEWARD]
    out = release_table(s, a, w.settings, w.table, w.spec, name="again.csv")
    assert out.record is not None
    return a, {"action": "deid.release", "object": ("deid_release", out.record.id),
               "before": None, "after": {"table": "again.csv", "outcome": "released"}}


def change_roles(s: Session, w: World) -> tuple[Actor, dict[str, Any]]:
    a = w.actors[Role.ADMIN]
    user = set_roles(s, a, "victim", ["legal", "steward"])
    return a, {"action": "user.roles", "object": ("user", user.id),
               "before": {"username": "victim"},
               "after": {"username": "victim", "roles": ["legal", "steward"]}}


def enable(s: Session, w: World) -> tuple[Actor, dict[str, Any]]:
    a = w.actors[Role.ADMIN]
    disable_user(s, a, "victim")
    user = enable_user(s, a, "victim")
    return a, {"action": "user.enable", "object": ("user", user.id), "also": ["user.disable"],
               "before": {"active": False}, "after": {"active": True}}


def reset_link(s: Session, w: World) -> tuple[Actor, dict[str, Any]]:
    a = w.actors[Role.ADMIN]
    link = issue_reset(s, a, "victim")
    return a, {"action": "user.password_reset", "object": ("user", _id(s, User, username="victim")),
               "before": None, "after": {"expires_at": link.expires_at.isoformat()}}


CHANGES: list[Change] = [
    classify, disable, write_back, describe, statutes, statute_checked, glossary, link, unlink,
    inventory, assign, review, accept_suggestion, new_source, new_user, revoke, release,
    change_roles, enable, reset_link,
]


def _contains(actual: Any, expected: Any) -> bool:
    """``expected`` is ``actual`` or, for objects, a subset of its keys with equal values."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        return all(k in actual and _contains(actual[k], v) for k, v in expected.items())
    return bool(actual == expected)


@pytest.mark.parametrize("change", CHANGES, ids=lambda c: c.__name__)
def test_a_change_leaves_its_audit_entry(world: World, change: Change) -> None:
    with scratch(world.settings) as session:
        head = session.scalar(select(func.max(AuditEntry.seq))) or 0
        actor, want = change(session, world)
        entries = _entries_after(session, head)
        assert [e.action for e in entries] == [*want.get("also", []), want["action"]]
        entry = entries[-1]
        assert (entry.actor, entry.actor_id, entry.request_id) == (
            actor.username, actor.user_id, actor.request_id)
        assert (entry.object_type, entry.object_id) == (want["object"][0], str(want["object"][1]))
        assert _contains(_loads(entry.before), want["before"]), entry.before
        assert _contains(_loads(entry.after), want["after"]), entry.after
        assert audit.verify(session, world.actors[Role.AUDITOR], world.settings).ok


# --- every column of an entry is covered by the chain -----------------------------------------
def _three_entries(settings: Settings) -> None:
    """Three real entries whose every column has a value (before and after included)."""
    admin = make_user(settings, "ana", "admin")
    make_user(settings, "bo", "requester")
    with transaction(settings) as session:
        disable_user(session, admin, "bo")


TAMPERED = {
    "seq": 99,
    "at": None,  # set from the row: one microsecond later
    "actor_id": 999,
    "actor": "mallory",
    "action": "user.enable",
    "object_type": "department",
    "object_id": "999",
    "before": '{"active":false}',
    "after": '{"active":true}',
    "request_id": "f" * 32,
    "prev_hash": "1" * 64,
    "hash": "2" * 64,
}
# ``id`` is the row's surrogate key; the chain is ordered and linked by ``seq``.
NOT_HASHED = {"id"}


def test_every_column_is_either_tampered_below_or_declared_unhashed() -> None:
    columns = {c.name for c in AuditEntry.__table__.columns}
    assert columns == set(TAMPERED) | NOT_HASHED


@pytest.mark.parametrize("column", sorted(TAMPERED))
def test_editing_any_column_breaks_the_chain_at_that_entry(
    settings: Settings, column: str
) -> None:
    _three_entries(settings)  # department, ana, bo, then bo disabled: four entries
    target = 4
    with transaction(settings) as session:
        row = session.scalar(select(AuditEntry).where(AuditEntry.seq == target))
        assert row is not None and row.before and row.after and row.actor_id is not None
        value = TAMPERED[column] if column != "at" else row.at + timedelta(microseconds=1)
        assert getattr(row, column) != value
    tamper_with_audit_log(
        settings,
        update(AuditEntry).where(AuditEntry.seq == target).values({column: value}),
    )
    with transaction(settings) as session:
        result = audit.verify(session, Actor.system(), settings)
    assert not result.ok
    assert result.broken_seq == target, result
