"""A full disk in the middle of a run: the job fails with the system's own reason, nothing is
left in the packages folder (not even hidden), and the retry on a disk with room succeeds.

The packages folder is a real 512 KiB tmpfs (ENOSPC, "No space left on device"), so the test
needs a machine that lets it mount one (root, as CI runs); elsewhere it is skipped and says so.
(A lower file size limit instead would fail Accord's own SQLite writes first.)
"""

from __future__ import annotations

import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from accord.errors import AccordError
from accord.fulfillment.runs import fulfill_now, packages_root
from accord.fulfillment.verify import verify_package
from tests.fulfillment.agreements import filed_agreement, fulfil_world

pytestmark = pytest.mark.db
ROOM = 512 * 1024
VISITS = 40_000  # pseudonymised ids alone make a data file well over ROOM


@contextmanager
def little_room(folder: Path) -> Iterator[str]:
    """``folder`` with ROOM bytes to write in; yields the reason writes then fail with."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={ROOM}", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield "No space left on device"
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def test_a_full_disk_fails_the_run_cleanly_and_the_retry_succeeds(
    settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = fulfil_world(settings, tmp_path)
    pid = filed_agreement(w, monkeypatch)
    with sqlite3.connect(tmp_path / "program.sqlite") as conn:
        conn.executemany(
            "INSERT INTO visit (visit_id, client_id, visit_date, diagnosis_code) "
            "VALUES (?, 1, '2024-03-05', 'E11.9')",
            ((i,) for i in range(10, 10 + VISITS)),
        )
    root = packages_root(w.settings)
    with little_room(root) as reason:
        with pytest.raises(AccordError) as failed:
            fulfill_now(w.settings, w.cdw["data_engineer"], pid)
        assert failed.value.message == (
            f"The package could not be written: {reason}; no package was kept."
        )
        assert list(root.iterdir()) == []  # no package, no hidden part
    run = fulfill_now(w.settings, w.cdw["data_engineer"], pid)
    assert verify_package(root / f"{run.package}.zip").problems == ()
    assert run.rows["main.visit"] == VISITS
