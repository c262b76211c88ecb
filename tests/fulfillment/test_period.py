"""An agreement that covers only the records of a period: the period comes from the proposal's
answers, each dataset's date field is chosen (never guessed), records outside the period never
leave (the last day counted whole, whatever time it carries), and the README says so."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select

from accord.db.engine import transaction
from accord.errors import ValidationFailed
from accord.fulfillment.access import agreement_for
from accord.fulfillment.planning import save_plan
from accord.fulfillment.runs import fulfill_now, packages_root, start_run
from accord.proposals.models import Agreement
from tests.fulfillment.agreements import filed_agreement, fulfil_world
from tests.proposals import stages
from tests.proposals.conftest import World

pytestmark = pytest.mark.db
VISITS = [  # (visit_id, visit_date) as the source keeps them: text
    (20, "2024-02-29"),
    (21, "2024-03-01"),
    (22, "2024-03-31 23:30:00"),  # the last day, late: inside
    (23, "2024-04-01"),
]


@pytest.fixture
def w(settings, tmp_path: Path) -> World:
    world = fulfil_world(settings, tmp_path)
    with sqlite3.connect(tmp_path / "program.sqlite") as conn:
        conn.executemany(
            "INSERT INTO visit (visit_id, client_id, visit_date, diagnosis_code) "
            "VALUES (?, 1, ?, 'E11.9')",
            VISITS,
        )
    return world


def _agreement(w: World, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setitem(stages.REVIEW_ANSWERS, "records_from", "2024-03-01")
    monkeypatch.setitem(stages.REVIEW_ANSWERS, "records_to", "2024-03-31")
    return filed_agreement(w, monkeypatch)


def _plan(w: World, pid: int, periods: dict[str, str] | None) -> None:
    engineer = w.cdw["data_engineer"]
    with transaction(w.settings) as session:
        proposal, agreement = agreement_for(session, engineer, pid)
        save_plan(session, engineer, w.settings, proposal, agreement, {}, "parquet", periods)


def _package(w: World, pid: int) -> tuple[dict[str, list[object]], str]:
    run = fulfill_now(w.settings, w.cdw["data_engineer"], pid)
    path = packages_root(w.settings) / f"{run.package}.zip"
    with zipfile.ZipFile(path) as z:
        member = next(n for n in z.namelist() if n.endswith("visit.parquet"))
        readme = next(n for n in z.namelist() if n.endswith("README.md"))
        return pq.read_table(io.BytesIO(z.read(member))).to_pydict(), z.read(readme).decode()


def test_only_the_records_of_the_period_leave_and_the_readme_says_so(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = _agreement(w, monkeypatch)
    with transaction(w.settings) as session:
        agreement = session.scalar(select(Agreement).where(Agreement.proposal_id == pid))
        assert agreement is not None
        assert (str(agreement.records_from), str(agreement.records_to)) == (
            "2024-03-01",
            "2024-03-31",
        )
    # nothing is guessed: the client's only date is its birth date
    with transaction(w.settings) as session, pytest.raises(ValidationFailed) as refused:
        start_run(session, w.cdw["data_engineer"], w.settings, pid)
    assert {p.field for p in refused.value.problems} == {"period:main.client", "period:main.visit"}

    _plan(w, pid, {"main.client": "", "main.visit": "visit_date"})
    visits, readme = _package(w, pid)
    assert sorted(visits["visit_date"]) == ["2024-03", "2024-03"]  # 21 and 22, generalised
    assert len(visits["visit_id"]) == 2
    assert "visit_date on or after 2024-03-01; visit_date before 2024-04-01" in readme


def test_a_field_that_is_no_date_of_the_dataset_is_refused_and_nothing_changes(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = _agreement(w, monkeypatch)
    _plan(w, pid, {"main.client": "", "main.visit": "visit_date"})
    with pytest.raises(ValidationFailed) as refused:
        _plan(w, pid, {"main.visit": "diagnosis_code", "main.client": "ssn", "main.x": ""})
    assert {p.field for p in refused.value.problems} == {
        "period:main.visit",
        "period:main.client",
        "period:main.x",
    }
    visits, _ = _package(w, pid)  # the earlier choice stands
    assert len(visits["visit_id"]) == 2


def test_an_agreement_without_a_period_delivers_every_record(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = filed_agreement(w, monkeypatch)
    visits, readme = _package(w, pid)
    assert len(visits["visit_id"]) == len(VISITS)
    assert "Only the records" not in readme
