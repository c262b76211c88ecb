from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from accord.auth import audit
from accord.auth.actor import Actor
from accord.config import Settings
from accord.db.engine import get_engine, transaction
from accord.errors import PermissionDenied
from tests.factories import make_user, tamper_with_audit_log


def _fill(settings: Settings, n: int) -> None:
    for i in range(n):
        with transaction(settings) as session:
            audit.record(session, Actor.system(), "test.event", "thing", i, after={"i": i})


def _verify(settings: Settings) -> audit.Verification:
    with transaction(settings) as session:
        return audit.verify(session, Actor.system(), settings)


def test_chain_of_real_changes_verifies(settings: Settings) -> None:
    make_user(settings, "ana", "admin")
    make_user(settings, "bo", "steward")
    result = _verify(settings)
    assert result.ok and result.checked == 3  # one department, two users


def test_entry_records_who_what_when_before_after(settings: Settings) -> None:
    _fill(settings, 1)
    with transaction(settings) as session:
        (entry,) = audit.list_entries(session, Actor.system())
    assert (entry.actor, entry.action, entry.object_type, entry.object_id) == (
        "system",
        "test.event",
        "thing",
        "0",
    )
    assert json.loads(entry.after or "") == {"i": 0}
    assert entry.prev_hash == audit.GENESIS and len(entry.hash) == 64 and entry.request_id


def test_database_refuses_update_and_delete(settings: Settings) -> None:
    _fill(settings, 2)
    engine = get_engine(settings.resolved_database_url)
    for sql in ("UPDATE audit_entry SET actor = 'mallory'", "DELETE FROM audit_entry"):
        with pytest.raises(DBAPIError), engine.begin() as conn:
            conn.execute(text(sql))
    assert _verify(settings).ok


def test_edited_row_is_detected(settings: Settings) -> None:
    _fill(settings, 5)
    tamper_with_audit_log(settings, "UPDATE audit_entry SET object_id = '99' WHERE seq = 3")
    result = _verify(settings)
    assert not result.ok and result.broken_seq == 3 and result.checked == 2
    assert "does not match" in result.reason


def test_deleted_row_is_detected(settings: Settings) -> None:
    _fill(settings, 5)
    tamper_with_audit_log(settings, "DELETE FROM audit_entry WHERE seq = 2")
    result = _verify(settings)
    assert not result.ok and result.broken_seq == 2 and "missing" in result.reason


def test_deleted_tail_is_detected(settings: Settings) -> None:
    _fill(settings, 5)
    tamper_with_audit_log(settings, "DELETE FROM audit_entry WHERE seq >= 4")
    result = _verify(settings)
    assert not result.ok and result.broken_seq == 4


def test_rehashed_edit_without_key_is_detected(settings: Settings) -> None:
    """Recomputing a plain hash is not enough: the chain is keyed."""
    _fill(settings, 3)
    with transaction(settings) as session:
        entries = sorted(audit.list_entries(session, Actor.system()), key=lambda e: e.seq)
    forged = entries[-1]
    forged.actor = "mallory"
    fake = audit.entry_hash(b"guessed-key", forged)
    tamper_with_audit_log(
        settings, f"UPDATE audit_entry SET actor='mallory', hash='{fake}' WHERE seq=3"
    )
    assert not _verify(settings).ok


def test_only_auditors_and_admins_verify(settings: Settings) -> None:
    steward = make_user(settings, "sam", "steward")
    with transaction(settings) as session, pytest.raises(PermissionDenied):
        audit.verify(session, steward, settings)
