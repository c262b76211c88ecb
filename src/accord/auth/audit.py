"""The append-only, tamper-evident audit log.

Each entry's hash is an HMAC (keyed with the installation's secret key) over its own content
and the previous entry's hash. Editing a row breaks its own hash; deleting one breaks the next
entry's link; cutting the tail disagrees with the head row; and without the key nobody can
rewrite the chain consistently. Cutting the tail *and* rewinding the head row leaves a valid
but shorter chain: the head is therefore also anchored outside the database after each commit
(``audit_head``), and ``verify`` checks the chain against that file too.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.audit_head import Anchor, HeadFileBroken, append_head, head_key, read_heads
from accord.auth.models import AuditEntry, AuditHead
from accord.auth.permissions import Action, check
from accord.config import Settings
from accord.db.base import utcnow
from accord.db.engine import READ_ONLY

GENESIS = "0" * 64
KEY_INFO = "audit_key"
HEAD_FILE_INFO = "audit_head_file"  # set with KEY_INFO by ``transaction``
_WROTE = "audit_wrote"  # this transaction recorded entries
_TO_ANCHOR = "audit_to_anchor"  # (seq, hash) read just before the commit

log = logging.getLogger(__name__)


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
    head = _locked_head(session)
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
    session.info[_WROTE] = True
    return entry


def _locked_head(session: Session) -> AuditHead:
    """The head row, locked until the commit: entries are numbered one at a time.

    Before the first entry there is no row to lock, so two first changes at once would both
    number theirs 1 (seen on PostgreSQL). The row is made first with an insert that does
    nothing if it exists: the loser of that race waits for the winner's commit, and its lock
    then reads the winner's head. (SQLite runs one writer at a time, so it never races.)
    """
    locking = select(AuditHead).where(AuditHead.id == 1).with_for_update()
    head = session.execute(locking).scalar()
    if head is not None:
        return head
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(AuditHead).values(id=1, seq=0, hash=GENESIS).on_conflict_do_nothing())
    return session.execute(locking.execution_options(populate_existing=True)).scalar_one()


# On the class, once: each listener is a dictionary look-up for sessions that wrote no entry.
@event.listens_for(Session, "before_commit")
def _read_head_to_anchor(session: Session) -> None:
    # Read the head row here, not in ``record``: a savepoint rolled back after ``record`` (a
    # refused form) takes its entry with it, and the row then says what will be committed.
    if session.info.pop(_WROTE, False):
        head = session.get(AuditHead, 1)
        if head is not None:
            session.info[_TO_ANCHOR] = (head.seq, head.hash)


@event.listens_for(Session, "after_commit")
def _anchor_head(session: Session) -> None:
    # After the commit, never before: an anchor for a transaction that then failed would make
    # `verify` report a cut tail that never happened.
    anchor = session.info.pop(_TO_ANCHOR, None)
    if anchor is None:
        return
    try:
        append_head(session.info[HEAD_FILE_INFO], head_key(session.info[KEY_INFO]), *anchor)
    except OSError:
        # The change is committed and must not be reported as failed. A later commit anchors
        # a later head (covering this one); `verify` shows how far the file reaches.
        log.exception(
            "could not anchor audit entry %s in %s", anchor[0], session.info[HEAD_FILE_INFO]
        )


@event.listens_for(Session, "after_rollback")
def _forget_head(session: Session) -> None:
    # A commit that failed after ``before_commit``. ``_WROTE`` stays: if a savepoint's
    # rollback lands here too, the outer transaction's entries must still be anchored.
    session.info.pop(_TO_ANCHOR, None)


@dataclass(frozen=True)
class Verification:
    """``ok`` with ``checked`` entries, or the first problem: ``broken_seq`` names the entry
    (``None`` when the head file itself is broken) and ``reason`` says what is wrong.
    ``anchored`` is the last entry the head file vouches for; ``warning`` is set when the chain
    holds but the file could not vouch for it (missing on an installation with entries)."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""
    anchored: int = 0
    warning: str = ""


def verify(session: Session, actor: Actor, settings: Settings, batch: int = 5000) -> Verification:
    """Walk the chain in order, check it against the head file, report the first problem.

    Refuses a chain shorter than the last anchored entry, or one whose hash at an anchored
    entry differs (cut and rewound, or rewritten), and a head file with a forged, malformed or
    backward line. A missing head file on an installation with entries is not a failure: the
    head is anchored now and a warning says so. Raises ``PermissionDenied``.
    """
    check(actor, Action.VERIFY_AUDIT)
    key, path = settings.key, settings.audit_head_file
    anchors = read_heads(path, head_key(key))
    expected_prev, expected_seq, checked, anchored = GENESIS, 1, 0, 0
    first: Anchor | None = None
    try:
        first = pending = next(anchors, None)
        for entry in _entries(session, batch):
            if entry.seq != expected_seq:
                return Verification(
                    False, checked, expected_seq, f"entry {expected_seq} is missing", anchored
                )
            if entry.prev_hash != expected_prev:
                return Verification(
                    False,
                    checked,
                    entry.seq,
                    "link to the previous entry is broken (deleted or edited)",
                    anchored,
                )
            if not hmac.compare_digest(entry.hash, entry_hash(key, entry)):
                return Verification(
                    False, checked, entry.seq, "entry content does not match its hash", anchored
                )
            if pending is not None and pending.seq == entry.seq:
                if not hmac.compare_digest(pending.hash, entry.hash):
                    return Verification(
                        False,
                        checked,
                        entry.seq,
                        f"entry {entry.seq} is not the one anchored at line {pending.line} of "
                        "the head file (the log was cut and rewritten)",
                        anchored,
                    )
                anchored, pending = entry.seq, next(anchors, None)
            expected_prev, expected_seq, checked = entry.hash, entry.seq + 1, checked + 1
        head = session.get(AuditHead, 1)
        head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
        if head_seq != checked or head_hash != expected_prev:
            return Verification(
                False,
                checked,
                checked + 1,
                f"the log ends at {checked} but its head says {head_seq}",
                anchored,
            )
        if pending is not None:
            last = _last(pending, anchors)
            if not _committed_since(session, last):
                return Verification(
                    False,
                    checked,
                    checked + 1,
                    f"the log ends at {checked} but the head file anchored entry {last.seq} "
                    f"(line {last.line}): entries were cut from the end",
                    anchored,
                )
    except HeadFileBroken as exc:
        return Verification(False, checked, None, str(exc), anchored)
    if checked and first is None:  # no file, or an empty one
        warning = _anchor_now(path, key, checked, expected_prev)
        return Verification(True, checked, anchored=checked, warning=warning)
    return Verification(True, checked, anchored=anchored)


def _last(first: Anchor, rest: Iterator[Anchor]) -> Anchor:
    later = deque(rest, maxlen=1)  # reads, and so checks, every later line; keeps the last
    return later[0] if later else first


def _committed_since(session: Session, anchor: Anchor) -> bool:
    """Whether the anchored entry was committed after this session's snapshot was taken.

    A commit landing while ``verify`` runs anchors a head the session cannot see yet; a fresh
    read-only connection tells that apart from a cut tail.
    """
    with session.get_bind().engine.connect().execution_options(**{READ_ONLY: True}) as fresh:
        found = fresh.scalar(select(AuditEntry.hash).where(AuditEntry.seq == anchor.seq))
    return found is not None and hmac.compare_digest(found, anchor.hash)


def _anchor_now(path: Path, key: bytes, seq: int, entry_hash: str) -> str:
    where = f"the audit head file {path}"
    try:
        append_head(path, head_key(key), seq, entry_hash)
    except OSError as exc:
        return f"{where} is missing and could not be written ({exc.strerror})"
    return (
        f"{where} was missing: entries 1 to {seq} are verified in the database alone (a cut "
        f"before today would not show); the head is anchored from entry {seq} on"
    )


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
