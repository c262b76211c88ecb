"""The append-only, tamper-evident audit log.

Each entry's hash is an HMAC (keyed with the installation's secret key) over its own content
and the previous entry's hash. Editing a row breaks its own hash; deleting one breaks the next
entry's link; cutting the tail disagrees with the head row; and without the key nobody can
rewrite the chain consistently.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.models import AuditEntry, AuditHead
from accord.auth.permissions import Action, check
from accord.db.base import utcnow

GENESIS = "0" * 64
KEY_INFO = "audit_key"


def canonical(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(key: bytes, entry: AuditEntry) -> str:
    material = json.dumps(
        [
            entry.seq,
            entry.at.isoformat(timespec="microseconds"),
            entry.actor_id,
            entry.actor,
            entry.action,
            entry.object_type,
            entry.object_id,
            entry.before,
            entry.after,
            entry.request_id,
            entry.prev_hash,
        ],
        separators=(",", ":"),
    )
    return hmac.new(key, material.encode(), hashlib.sha256).hexdigest()


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object,
    *,
    before: Any = None,
    after: Any = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction: the change and its record commit together."""
    key: bytes = session.info[KEY_INFO]
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        session.add(head)
    entry = AuditEntry(
        seq=head.seq + 1,
        at=utcnow(),
        actor_id=actor.user_id,
        actor=actor.username,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=canonical(before),
        after=canonical(after),
        request_id=actor.request_id,
        prev_hash=head.hash,
    )
    entry.hash = entry_hash(key, entry)
    session.add(entry)
    head.seq, head.hash = entry.seq, entry.hash
    session.flush()
    return entry


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def verify(session: Session, actor: Actor, key: bytes, batch: int = 5000) -> Verification:
    """Walk the chain in order and report the first broken link."""
    check(actor, Action.VERIFY_AUDIT)
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    for entry in _entries(session, batch):
        if entry.seq != expected_seq:
            return Verification(False, checked, expected_seq, f"entry {expected_seq} is missing")
        if entry.prev_hash != expected_prev:
            return Verification(
                False,
                checked,
                entry.seq,
                "link to the previous entry is broken (deleted or edited)",
            )
        if not hmac.compare_digest(entry.hash, entry_hash(key, entry)):
            return Verification(False, checked, entry.seq, "entry content does not match its hash")
        expected_prev, expected_seq, checked = entry.hash, entry.seq + 1, checked + 1
    head = session.get(AuditHead, 1)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != checked or head_hash != expected_prev:
        return Verification(
            False, checked, checked + 1, f"the log ends at {checked} but its head says {head_seq}"
        )
    return Verification(True, checked)


def _entries(session: Session, batch: int) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


def count_since(session: Session, actor: Actor, since: date) -> int:
    """How many changes were recorded from ``since`` (a UTC day) on."""
    check(actor, Action.VIEW_AUDIT)
    start = datetime.combine(since, time.min, tzinfo=UTC)
    return int(
        session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.at >= start))
        or 0
    )


def list_entries(
    session: Session, actor: Actor, *, before: int | None = None, limit: int = 50
) -> list[AuditEntry]:
    """Newest first, paged by sequence number."""
    check(actor, Action.VIEW_AUDIT)
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(min(max(limit, 1), 500))
    if before is not None:
        query = query.where(AuditEntry.seq < before)
    return list(session.scalars(query))
