"""The audit head anchored outside the database (``DATA_DIR/audit-head.log``).

The attack these tests are about: someone with write access to the database, but not to the
data directory or the key, deletes the newest entries and rewinds the ``audit_head`` row. The
chain in the database alone stays valid (see ``test_without_the_file_a_rewind_goes_unseen``).
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.audit_head import append_head, format_line, head_key, read_heads
from accord.auth.models import AuditEntry
from accord.config import Settings
from accord.db.engine import get_engine, transaction
from tests.conftest import BACKEND
from tests.factories import make_user, tamper_with_audit_log
from tests.web.helpers import sign_in


def _fill(settings: Settings, n: int) -> None:
    for i in range(n):
        with transaction(settings) as session:
            audit.record(session, Actor.system(), "test.event", "thing", i, after={"i": i})


def _verify(settings: Settings) -> audit.Verification:
    with transaction(settings) as session:
        return audit.verify(session, Actor.system(), settings)


def _lines(settings: Settings) -> list[str]:
    return settings.audit_head_file.read_text().splitlines()


def _cut_and_rewind(settings: Settings, keep: int) -> None:
    """Delete every entry after ``keep`` and point the head row at entry ``keep``."""
    with transaction(settings) as session:
        kept = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == keep))
    tamper_with_audit_log(settings, f"DELETE FROM audit_entry WHERE seq > {keep}")
    with get_engine(settings.resolved_database_url).begin() as conn:  # the row is not guarded
        conn.execute(text(f"UPDATE audit_head SET seq = {keep}, hash = '{kept}'"))


def test_each_commit_anchors_its_head(settings: Settings) -> None:
    _fill(settings, 3)
    with transaction(settings) as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    anchors = list(read_heads(settings.audit_head_file, head_key(settings.key)))
    assert [(a.seq, a.hash) for a in anchors] == [(e.seq, e.hash) for e in entries]
    assert settings.audit_head_file.stat().st_mode & 0o777 == 0o600
    result = _verify(settings)
    assert result.ok and result.checked == result.anchored == 3 and not result.warning


def test_tail_cut_and_rewind_is_detected(settings: Settings) -> None:
    _fill(settings, 5)
    _cut_and_rewind(settings, keep=3)
    result = _verify(settings)
    assert not result.ok and result.checked == 3 and result.broken_seq == 4, result
    assert "anchored entry 5" in result.reason and "cut from the end" in result.reason


def test_without_the_file_a_rewind_goes_unseen(settings: Settings) -> None:
    """What the file adds: the same tampering passes the database's own checks."""
    _fill(settings, 5)
    _cut_and_rewind(settings, keep=3)
    settings.audit_head_file.unlink()
    result = _verify(settings)
    assert result.ok and result.checked == 3 and "was missing" in result.warning


def test_rewind_then_new_entries_is_detected(settings: Settings) -> None:
    """Cut, rewind, and let the application write on: the new entry 4 is not the anchored one."""
    _fill(settings, 5)
    _cut_and_rewind(settings, keep=3)
    _fill(settings, 3)
    result = _verify(settings)
    assert not result.ok and result.broken_seq == 4 and "cut and rewritten" in result.reason


def test_forged_line_is_detected(settings: Settings) -> None:
    """A line MACed with the raw secret key (or any other key) is refused, and so is an edit."""
    _fill(settings, 2)
    with settings.audit_head_file.open("ab") as handle:
        handle.write(format_line(settings.key, 3, "a" * 64, datetime.now(UTC)))
    result = _verify(settings)
    assert not result.ok and result.broken_seq is None
    assert result.reason.startswith("line 3 ") and "MAC" in result.reason


def test_edited_line_is_detected(settings: Settings) -> None:
    _fill(settings, 3)
    lines = _lines(settings)
    seq, _, at, mac = lines[1].split(" ")
    lines[1] = " ".join((seq, "b" * 64, at, mac))
    settings.audit_head_file.write_text("\n".join(lines) + "\n")
    result = _verify(settings)
    assert not result.ok and result.reason.startswith("line 2 ") and "MAC" in result.reason


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        (b"1 " + b"c" * 64, "incomplete"),  # a write cut short: no newline
        (b"not a head line\n", "not a head line"),
    ],
)
def test_malformed_line_is_detected(settings: Settings, extra: bytes, problem: str) -> None:
    _fill(settings, 2)
    with settings.audit_head_file.open("ab") as handle:
        handle.write(extra)
    result = _verify(settings)
    assert not result.ok and result.reason.startswith("line 3 ") and problem in result.reason


def test_lines_going_backwards_are_detected(settings: Settings) -> None:
    _fill(settings, 3)
    key = head_key(settings.key)
    with transaction(settings) as session:
        first = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == 1))
    assert first is not None
    with settings.audit_head_file.open("ab") as handle:  # correctly MACed, but backwards
        handle.write(format_line(key, 1, first, datetime.now(UTC)))
    result = _verify(settings)
    assert not result.ok and "goes backwards (entry 1 after entry 3)" in result.reason


def test_fresh_install_verifies_without_a_file(settings: Settings) -> None:
    result = _verify(settings)
    assert result.ok and result.checked == 0 and not result.warning
    assert not settings.audit_head_file.exists()
    make_user(settings, "ana", "admin")  # through the real services
    result = _verify(settings)
    assert result.ok and result.checked == result.anchored == 2 and not result.warning


def test_missing_file_with_entries_warns_and_anchors_from_now_on(settings: Settings) -> None:
    """An installation upgraded from before the head file, or whose file was lost."""
    _fill(settings, 4)
    settings.audit_head_file.unlink()
    result = _verify(settings)
    assert result.ok and result.anchored == 4
    assert "was missing" in result.warning and "anchored from entry 4 on" in result.warning
    assert len(_lines(settings)) == 1
    again = _verify(settings)
    assert again.ok and not again.warning
    _cut_and_rewind(settings, keep=2)  # and from now on a rewind shows
    assert not _verify(settings).ok


def test_rolled_back_savepoint_is_not_anchored(settings: Settings) -> None:
    """A refused form rolls back its savepoint: its entry must not be anchored."""
    with transaction(settings) as session:
        audit.record(session, Actor.system(), "test.kept", "thing", 1)
        with pytest.raises(RuntimeError), session.begin_nested():
            audit.record(session, Actor.system(), "test.refused", "thing", 2)
            raise RuntimeError("refused")
    assert [line.split(" ")[0] for line in _lines(settings)] == ["1"]
    assert _verify(settings).ok


def test_rolled_back_transaction_is_not_anchored(settings: Settings) -> None:
    _fill(settings, 1)
    with pytest.raises(RuntimeError), transaction(settings) as session:
        audit.record(session, Actor.system(), "test.lost", "thing", 2)
        raise RuntimeError("failed")
    assert len(_lines(settings)) == 1 and _verify(settings).ok


def test_commit_during_verify_is_not_taken_for_a_cut(settings: Settings) -> None:
    """The file may anchor an entry committed after the verifying session's snapshot."""
    _fill(settings, 2)
    with transaction(settings, read_only=True) as session:
        session.execute(text("SELECT count(*) FROM audit_entry")).scalar()  # snapshot taken
        _fill(settings, 1)
        result = audit.verify(session, Actor.system(), settings)
    # SQLite reads one snapshot (entries 1-2); PostgreSQL's READ COMMITTED sees entry 3 too
    assert result.ok and result.anchored == (3 if BACKEND == "postgresql" else 2), result


def test_unwritable_file_does_not_fail_the_change(settings: Settings) -> None:
    settings.audit_head_file.mkdir(parents=True)  # a directory where the file should be
    _fill(settings, 1)  # committed; the failure is logged
    with transaction(settings) as session:
        assert session.scalar(select(AuditEntry.seq)) == 1


def _append_many(path: str, key: bytes, start: int, step: int, count: int) -> int:
    return sum(append_head(Path(path), key, seq, "d" * 64) for seq in range(start, count, step))


def _audited_changes(url: str, data_dir: str, secret: str, count: int) -> None:
    settings = Settings(
        database_url=url,
        data_dir=Path(data_dir),
        secret_key=secret,
        _env_file=None,  # type: ignore[call-arg]
    )
    _fill(settings, count)


def test_concurrent_appends_from_processes_keep_whole_increasing_lines(tmp_path: Path) -> None:
    """Four processes append interleaved heads at once: no line is torn or interleaved, every
    written line is kept, the file only goes forward and ends at the highest head."""
    path, key, writers, total = tmp_path / "audit-head.log", head_key(b"k" * 32), 4, 2000
    context = multiprocessing.get_context("spawn")
    with context.Pool(writers) as pool:
        written = pool.starmap(
            _append_many, [(str(path), key, w + 1, writers, total + 1) for w in range(writers)]
        )
    anchors = list(read_heads(path, key))  # raises on a torn, forged or backward line
    assert len(anchors) == sum(written) == len(path.read_bytes().splitlines())
    assert anchors[-1].seq == total


def test_concurrent_audited_changes_from_processes_verify(settings: Settings) -> None:
    """Several processes (server workers, the job worker) committing audited changes at once."""
    writers, each = 3, 15
    context = multiprocessing.get_context("spawn")
    secret = settings.secret_key.get_secret_value()
    args = (settings.resolved_database_url, str(settings.data_dir), secret, each)
    with context.Pool(writers) as pool:
        pool.starmap(_audited_changes, [args] * writers)
    result = _verify(settings)
    assert result.ok and result.checked == result.anchored == writers * each, result
    seqs = [int(line.split(" ")[0]) for line in _lines(settings)]
    assert seqs == sorted(set(seqs)) and seqs[-1] == writers * each


def test_audit_page_shows_the_anchor_the_warning_and_the_cut(
    settings: Settings, app_client: TestClient
) -> None:
    make_user(settings, "ana", "admin")
    sign_in(app_client, "ana")  # its own audited change: entry 3
    page = app_client.get("/audit/verify").text
    assert "3 entries checked, anchored outside the database up to entry 3" in page
    settings.audit_head_file.unlink()
    page = app_client.get("/audit/verify").text
    assert 'class="warning"' in page and "was missing" in page
    _cut_and_rewind(settings, keep=2)
    page = app_client.get("/audit/verify").text
    assert "broken at entry 3" in page and "cut from the end" in page


def test_two_first_audited_changes_at_once_are_numbered_one_after_the_other(
    settings: Settings,
) -> None:
    """Before the first entry there is no head row to lock: the second change must wait for
    the first, not number its entry 1 too (it did, on PostgreSQL: a unique violation)."""

    def second_change() -> int:
        with transaction(settings) as session:
            return audit.record(session, Actor.system(), "test.event", "thing", 2).seq

    with ThreadPoolExecutor(1) as pool:
        with transaction(settings) as first:
            assert first.scalar(select(func.count()).select_from(AuditEntry)) == 0
            assert audit.record(first, Actor.system(), "test.event", "thing", 1).seq == 1
            second = pool.submit(second_change)
            _until_the_second_waits(settings)
        # the first has committed
        assert second.result(timeout=60) == 2
    assert _verify(settings).ok


def _until_the_second_waits(settings: Settings) -> None:
    """Return once another transaction waits for a lock (PostgreSQL's lock table); SQLite,
    where the second waits for the write lock at BEGIN, gives it a moment to get there."""
    if BACKEND != "postgresql":
        time.sleep(0.3)
        return
    deadline = time.monotonic() + 30
    with get_engine(settings.resolved_database_url).connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted"))
            conn.rollback()
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the second change never waited for the first")
