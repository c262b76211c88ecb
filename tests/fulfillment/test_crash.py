"""kill -9 in the middle of a run: no package is ever visible, the job is marked failed by the
next sweep, and a retry succeeds and clears what the killed run left behind."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from accord.auth import audit
from accord.db.engine import transaction
from accord.fulfillment.models import FulfillmentRun
from accord.fulfillment.runs import fulfill_now, packages_root
from accord.fulfillment.verify import verify_package
from accord.jobs.models import Job
from accord.jobs.service import sweep_stale
from tests.fulfillment.agreements import filed_agreement, fulfil_world

pytestmark = [pytest.mark.db, pytest.mark.slow]
VISITS = 1_500_000


def _grow(source: Path) -> None:
    """Enough visits that a run takes seconds, so it can be killed in the middle."""
    with sqlite3.connect(source) as conn:
        conn.executemany(
            "INSERT INTO visit (visit_id, client_id, visit_date, diagnosis_code) "
            "VALUES (?, 1, '2024-03-05', 'E11.9')",
            ((i,) for i in range(10, 10 + VISITS)),
        )


def _visible(root: Path) -> list[str]:
    if not root.exists():
        return []
    return sorted(p.name for p in root.iterdir() if not p.name.startswith("."))


def test_a_run_killed_mid_way_leaves_nothing_and_a_retry_succeeds(
    settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = fulfil_world(settings, tmp_path)
    pid = filed_agreement(w, monkeypatch)
    _grow(tmp_path / "program.sqlite")
    env = {
        **os.environ,
        "ACCORD_DATABASE_URL": settings.database_url,
        "ACCORD_DATA_DIR": str(settings.data_dir),
        "ACCORD_SECRET_KEY": settings.secret_key.get_secret_value(),
    }
    child = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "fulfill", str(pid), "--as", "cdw_data_engineer"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # until the run has written some rows
            with transaction(settings, read_only=True) as session:
                done = session.scalar(select(Job.done).where(Job.kind == "fulfillment"))
            if done or child.poll() is not None:
                break
            time.sleep(0.05)
        assert child.poll() is None, "the run ended before it could be killed"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    root = packages_root(settings)
    assert _visible(root) == []
    assert sweep_stale(settings, stale_seconds=0)
    with transaction(settings, read_only=True) as session:
        job = session.scalar(select(Job).where(Job.kind == "fulfillment"))
        assert job is not None and job.status == "failed"
        assert "Interrupted" in job.message
        assert session.scalar(select(FulfillmentRun.package)) == ""
    run = fulfill_now(settings, w.cdw["data_engineer"], pid)
    assert _visible(root) == [run.package, f"{run.package}.zip"]
    assert not list(root.glob(".*")), "the killed run's temporary files were not cleared"
    assert verify_package(root / f"{run.package}.zip").problems == ()
    assert run.rows["main.visit"] == VISITS


class _Killed(BaseException):
    """The process dying where no handler can run (kill -9), as far as this process can tell."""


def test_a_package_moved_into_place_but_never_recorded_is_removed_by_the_next_run(
    settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = fulfil_world(settings, tmp_path)
    pid = filed_agreement(w, monkeypatch)
    root = packages_root(settings)

    record = audit.record

    def killed(session: object, actor: object, action: str, *args: object, **kw: object) -> None:
        if action == "fulfillment.package":
            raise _Killed()
        record(session, actor, action, *args, **kw)  # type: ignore[arg-type]

    # killed after the package was moved into place, before the record of it was written
    with monkeypatch.context() as patch:
        patch.setattr("accord.fulfillment.runs.audit.record", killed)
        with pytest.raises(_Killed):
            fulfill_now(settings, w.cdw["data_engineer"], pid)
    orphan = _visible(root)
    assert len(orphan) == 2 and orphan[1] == f"{orphan[0]}.zip"
    with transaction(settings, read_only=True) as session:
        assert session.scalar(select(FulfillmentRun.package)) == ""  # no record knows it
    run = fulfill_now(settings, w.cdw["data_engineer"], pid)
    assert _visible(root) == [run.package, f"{run.package}.zip"]
    again = fulfill_now(settings, w.cdw["data_engineer"], pid)
    assert _visible(root) == sorted(
        [run.package, f"{run.package}.zip", again.package, f"{again.package}.zip"]
    )
