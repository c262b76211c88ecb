"""Agreements past their end date expire by themselves, once, whatever state they were in
(filed, in fulfillment, active, suspended); others are left alone."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from accord.db.engine import transaction
from accord.lifecycle.models import StateChange
from accord.proposals.drafting import transition
from accord.proposals.expiry import expire_ended
from accord.proposals.models import Agreement, Proposal
from tests.fulfillment.agreements import filed_agreement, fulfil_world
from tests.proposals import stages
from tests.proposals.conftest import World

pytestmark = pytest.mark.db


@pytest.fixture
def w(settings, tmp_path: Path) -> World:
    return fulfil_world(settings, tmp_path)


def _ending(w: World, pid: int, end: date) -> None:
    with transaction(w.settings) as session:
        agreement = session.scalar(select(Agreement).where(Agreement.proposal_id == pid))
        assert agreement is not None
        agreement.end_date = end


def _state(w: World, pid: int) -> str:
    with transaction(w.settings, read_only=True) as session:
        proposal = session.get(Proposal, pid)
        assert proposal is not None
        return proposal.state


def test_ended_agreements_expire_once_and_others_stay(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = date.today()  # per test: a run can cross midnight
    ended, suspended, current = (filed_agreement(w, monkeypatch) for _ in range(3))
    _ending(w, ended, today - timedelta(days=1))
    _ending(w, suspended, today - timedelta(days=1))
    _ending(w, current, today)  # its last day: still in force
    stages.run(w, transition, w.cdw["data_coordinator"], suspended, "suspend", "Breach")

    moved = expire_ended(w.settings)
    assert [line.split(":")[0] for line in moved] == [f"Proposal {ended}", f"Proposal {suspended}"]
    assert (_state(w, ended), _state(w, suspended), _state(w, current)) == (
        "expired",
        "expired",
        "filed",
    )
    assert expire_ended(w.settings) == []
    with transaction(w.settings, read_only=True) as session:
        change = session.scalar(
            select(StateChange).where(
                StateChange.subject_id == str(ended), StateChange.verb == "expire"
            )
        )
        assert change is not None and change.actor == "system"
        assert "ended on" in change.note


def test_workers_calling_at_once_expire_it_once(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    today = date.today()  # per test: a run can cross midnight
    pid = filed_agreement(w, monkeypatch)
    _ending(w, pid, today - timedelta(days=1))
    said: list[list[str]] = []
    start = threading.Barrier(3)

    def call() -> None:
        start.wait()
        said.append(expire_ended(w.settings))

    workers = [threading.Thread(target=call) for _ in range(3)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert sorted(len(lines) for lines in said) == [0, 0, 1]
    with transaction(w.settings, read_only=True) as session:
        moves = session.scalars(
            select(StateChange).where(
                StateChange.subject_id == str(pid), StateChange.verb == "expire"
            )
        ).all()
    assert len(moves) == 1
