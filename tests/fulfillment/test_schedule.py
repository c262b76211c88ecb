"""Recurring deliveries: due dates, a schedule run by the worker's periodic call to a real SFTP
server, catch-up after a stopped worker, refusals, an agreement that is suspended or ends, and
two workers calling at once."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from accord.db.engine import transaction
from accord.errors import Conflict, PermissionDenied, ValidationFailed
from accord.fulfillment import schedule as schedule_module
from accord.fulfillment.models import DeliverySchedule, FulfillmentRun
from accord.fulfillment.schedule import (
    due_date,
    next_due_after,
    run_due,
    set_schedule,
    stop_schedule,
)
from accord.jobs import registry
from accord.jobs.worker import run_pending, run_periodic
from accord.proposals.drafting import transition
from accord.proposals.models import Agreement
from tests.cli.test_cli import cli_env, run  # noqa: F401 - cli_env is a fixture
from tests.fulfillment.agreements import filed_agreement, fulfil_world, sftp_destination
from tests.fulfillment.conftest import UPLOAD_DIR
from tests.proposals import stages
from tests.proposals.conftest import World
from tests.sftp_server import SftpTestServer


@pytest.mark.parametrize(
    ("first", "frequency", "n", "due"),
    [
        (date(2027, 1, 31), "monthly", 1, date(2027, 2, 28)),
        (date(2027, 1, 31), "monthly", 2, date(2027, 3, 31)),  # back to the 31st
        (date(2027, 11, 30), "quarterly", 1, date(2028, 2, 29)),  # a leap year
        (date(2028, 2, 29), "yearly", 1, date(2029, 2, 28)),
        (date(2027, 1, 1), "weekly", 3, date(2027, 1, 22)),
        (date(2027, 12, 31), "daily", 1, date(2028, 1, 1)),
    ],
)
def test_due_dates_count_from_the_first(first: date, frequency: str, n: int, due: date) -> None:
    assert due_date(first, frequency, n) == due


def test_the_next_due_date_is_the_first_after_the_day() -> None:
    first = date(2027, 1, 31)
    assert next_due_after(first, "monthly", date(2026, 5, 1)) == first
    assert next_due_after(first, "monthly", first) == date(2027, 2, 28)
    assert next_due_after(first, "monthly", date(2027, 7, 30)) == date(2027, 7, 31)
    assert next_due_after(first, "monthly", date(2029, 4, 30)) == date(2029, 5, 31)
    assert next_due_after(first, "daily", date(2027, 3, 1)) == date(2027, 3, 2)


pytestmark = pytest.mark.db


@pytest.fixture
def w(settings, tmp_path: Path) -> World:
    return fulfil_world(settings, tmp_path)


def _schedule(w: World, pid: int) -> DeliverySchedule:
    with transaction(w.settings) as session:
        found = session.scalar(
            select(DeliverySchedule)
            .join(Agreement, Agreement.id == DeliverySchedule.agreement_id)
            .where(Agreement.proposal_id == pid)
        )
        assert found is not None
        session.expunge(found)
        return found


def _delivered(server: SftpTestServer) -> list[str]:
    """The run each package on the server came from ("run-1.zip", ...)."""
    return sorted(
        p.name.rsplit("-", 2)[-2] + "-" + p.name.rsplit("-", 1)[-1]
        for p in (server.root / UPLOAD_DIR).iterdir()
    )


def _runs(w: World) -> int:
    with transaction(w.settings) as session:
        return session.scalar(select(func.count()).select_from(FulfillmentRun)) or 0


def test_each_due_date_gets_a_fresh_package_sent_and_a_stopped_worker_catches_up_once(
    w: World, monkeypatch: pytest.MonkeyPatch, sftp_server: SftpTestServer
) -> None:
    today = date.today()  # per test: a run can cross midnight
    pid = filed_agreement(w, monkeypatch)  # quarterly
    destination = sftp_destination(w, pid, sftp_server)
    with transaction(w.settings) as session:
        set_schedule(session, w.cdw["data_coordinator"], pid, destination)

    assert run_due(w.settings) == [
        f"Proposal {pid}: Run 1 started for the delivery due on {today:%d %B %Y}."
    ]
    assert run_due(w.settings) == []  # the run is not finished: nothing to send yet
    run_pending(w.settings)  # the worker makes the package
    (sent,) = run_due(w.settings)
    assert "Sending the package of run 1" in sent
    run_pending(w.settings)  # ... and sends it
    assert _delivered(sftp_server) == ["run-1.zip"]
    schedule = _schedule(w, pid)
    assert schedule.next_due == due_date(today, "quarterly", 1)
    assert run_due(w.settings) == []  # nothing due until then

    # the worker was stopped for two quarters and more: one delivery makes up for them
    later = due_date(today, "quarterly", 2) + timedelta(days=3)
    assert len(run_due(w.settings, later)) == 1
    assert run_due(w.settings, later) == []
    assert _schedule(w, pid).next_due == due_date(today, "quarterly", 3)
    run_pending(w.settings)
    run_due(w.settings, later)
    run_pending(w.settings)
    assert _delivered(sftp_server) == ["run-1.zip", "run-2.zip"]


def test_who_may_schedule_and_what_is_refused(
    w: World, monkeypatch: pytest.MonkeyPatch, sftp_server: SftpTestServer
) -> None:
    today = date.today()  # per test: a run can cross midnight
    pid = filed_agreement(w, monkeypatch)
    other = filed_agreement(w, monkeypatch)
    destination = sftp_destination(w, pid, sftp_server)
    coordinator = w.cdw["data_coordinator"]
    with transaction(w.settings) as session:
        with pytest.raises(PermissionDenied):  # the recipient cannot push data to itself
            set_schedule(session, w.dcs["data_coordinator"], pid, destination)
        with pytest.raises(ValidationFailed) as refused:
            set_schedule(
                session, coordinator, other, destination, first_due=today - timedelta(days=1)
            )
        fields = {p.field for p in refused.value.problems}
        assert fields == {"destination_id", "first_due"}  # all problems at once
        with pytest.raises(Conflict, match="no scheduled deliveries"):
            stop_schedule(session, coordinator, pid)
    with transaction(w.settings) as session:
        session.execute(
            Agreement.__table__.update()
            .where(Agreement.proposal_id == other)
            .values(frequency="one_time")
        )
    with transaction(w.settings) as session, pytest.raises(Conflict, match="one-time"):
        set_schedule(session, coordinator, other, destination)
    with transaction(w.settings) as session:
        assert session.scalar(select(func.count()).select_from(DeliverySchedule)) == 0


def test_a_suspended_agreement_skips_its_due_date_with_the_reason_and_a_stop_is_final(
    w: World, monkeypatch: pytest.MonkeyPatch, sftp_server: SftpTestServer
) -> None:
    today = date.today()  # per test: a run can cross midnight
    pid = filed_agreement(w, monkeypatch)
    destination = sftp_destination(w, pid, sftp_server)
    coordinator = w.cdw["data_coordinator"]
    with transaction(w.settings) as session:
        set_schedule(session, coordinator, pid, destination)
    stages.run(w, transition, coordinator, pid, "suspend", "Suspected breach")

    (skipped,) = run_due(w.settings)
    assert "was not made" in skipped and "suspended" in skipped
    assert _runs(w) == 0
    assert _schedule(w, pid).next_due > today  # skipped, not retried every minute

    stages.run(w, transition, coordinator, pid, "resume", "Resolved")
    with transaction(w.settings) as session:
        stop_schedule(session, coordinator, pid)
    assert run_due(w.settings, today + timedelta(days=400)) == []
    assert _runs(w) == 0


def test_the_schedule_ends_with_the_agreement(
    w: World, monkeypatch: pytest.MonkeyPatch, sftp_server: SftpTestServer
) -> None:
    today = date.today()  # per test: a run can cross midnight
    pid = filed_agreement(w, monkeypatch)
    destination = sftp_destination(w, pid, sftp_server)
    with transaction(w.settings) as session:
        agreement = session.scalar(select(Agreement).where(Agreement.proposal_id == pid))
        assert agreement is not None
        agreement.end_date = today + timedelta(days=30)  # before the next quarter
        set_schedule(session, w.cdw["data_coordinator"], pid, destination)
    (line,) = run_due(w.settings)
    assert "no more are due" in line
    assert _schedule(w, pid).stopped_at is not None
    run_pending(w.settings)
    run_due(w.settings)  # the last package still goes
    run_pending(w.settings)
    assert len(_delivered(sftp_server)) == 1


def test_workers_calling_at_once_start_one_run(
    w: World, monkeypatch: pytest.MonkeyPatch, sftp_server: SftpTestServer
) -> None:
    pid = filed_agreement(w, monkeypatch)
    destination = sftp_destination(w, pid, sftp_server)
    with transaction(w.settings) as session:
        set_schedule(session, w.cdw["data_coordinator"], pid, destination)
    lines: list[list[str]] = []
    start = threading.Barrier(4)

    def call() -> None:
        start.wait()
        lines.append(run_due(w.settings))

    workers = [threading.Thread(target=call) for _ in range(4)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert sorted(len(x) for x in lines) == [0, 0, 0, 1]
    assert _runs(w) == 1


def test_a_failing_periodic_task_is_logged_and_the_others_still_run(
    w: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(_settings: object) -> list[str]:
        raise RuntimeError("boom")

    monkeypatch.setattr(
        registry,
        "_PERIODIC",
        {"broken": broken, "fine": lambda _settings: ["fine ran"]},
    )
    said: list[str] = []
    run_periodic(w.settings, said.append)
    assert said == ["fine ran"]
    assert "periodic task 'broken' failed" in caplog.text


def test_the_commands_schedule_show_and_stop(
    w: World,
    monkeypatch: pytest.MonkeyPatch,
    cli_env: object,  # noqa: F811
    sftp_server: SftpTestServer,
) -> None:
    today = date.today()  # per test: a run can cross midnight
    pid = filed_agreement(w, monkeypatch)
    destination = str(sftp_destination(w, pid, sftp_server))
    code, out = run("delivery", "destinations", str(pid), "--as", "cdw_data_engineer")
    assert code == 0
    assert f"{destination}  DCS research enclave: sftp://{sftp_server.username}@" in out
    code, out = run("delivery", "schedule", str(pid), destination, "--as", "dcs_data_coordinator")
    assert code == 3 and "Only the department providing the data" in out
    code, out = run(
        "delivery",
        "schedule",
        str(pid),
        destination,
        "--first",
        "tomorrow",
        "--as",
        "cdw_data_coordinator",
    )
    assert code != 0 and "tomorrow" in out
    code, out = run("delivery", "schedule", str(pid), destination, "--as", "cdw_data_coordinator")
    assert code == 0, out
    assert f"Delivered every quarter; the next delivery is due on {today:%d %B %Y}." in out
    code, out = run("delivery", "list", str(pid), "--as", "dcs_data_coordinator")
    assert code == 0 and "every quarter" in out
    code, out = run("delivery", "unschedule", str(pid), "--as", "cdw_data_coordinator")
    assert code == 0 and "stopped" in out
    code, out = run("delivery", "unschedule", str(pid), "--as", "cdw_data_coordinator")
    assert code != 0 and "no scheduled deliveries" in out


def test_one_schedule_in_trouble_does_not_stop_the_others(
    w: World, monkeypatch: pytest.MonkeyPatch, sftp_server: SftpTestServer
) -> None:
    first, second = filed_agreement(w, monkeypatch), filed_agreement(w, monkeypatch)
    for pid in (first, second):
        destination = sftp_destination(w, pid, sftp_server)
        with transaction(w.settings) as session:
            set_schedule(session, w.cdw["data_coordinator"], pid, destination)
    advance = schedule_module._advance

    def troubled(session: object, settings: object, schedule_id: int, today: date) -> str:
        if schedule_id == _schedule(w, first).id:
            raise RuntimeError("a key that cannot be decrypted")
        return advance(session, settings, schedule_id, today)  # type: ignore[arg-type]

    monkeypatch.setattr(schedule_module, "_advance", troubled)
    lines = run_due(w.settings)
    assert len(lines) == 2 and "Run 1 started" in lines[1]
    assert "could not handle" in _schedule(w, first).last_outcome
    assert _runs(w) == 1
