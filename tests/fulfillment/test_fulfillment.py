"""Fulfillment end to end through the services: the plan from the agreement, a run into a
package, pseudonyms that link within an agreement and not across agreements, refusals, and
download links that expire, are revoked and are audited."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import select, update

from accord.auth.models import AuditEntry
from accord.catalog.describing import review_description, submit_for_review
from accord.catalog.fields import Description, classify_field, describe_field
from accord.catalog.models import ClassificationSuggestion
from accord.db.base import utcnow
from accord.db.engine import transaction
from accord.errors import AccordError, Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.fulfillment import deliveries
from accord.fulfillment.access import agreement_for
from accord.fulfillment.models import Delivery
from accord.fulfillment.plan import Rule
from accord.fulfillment.planning import plan_record, planned_fields, save_plan
from accord.fulfillment.runs import fulfill_now, packages_root, start_run
from accord.fulfillment.verify import verify_package
from accord.jobs.models import Job
from accord.jobs.worker import run_pending
from accord.proposals.drafting import transition
from accord.proposals.models import Proposal
from tests.fulfillment.agreements import filed_agreement, fulfil_world, sftp_destination
from tests.fulfillment.conftest import UPLOAD_DIR
from tests.proposals import stages
from tests.proposals.conftest import World
from tests.sftp_server import SftpTestServer

pytestmark = pytest.mark.db


@pytest.fixture
def w(settings, tmp_path: Path) -> World:
    return fulfil_world(settings, tmp_path)


def _rules(w: World, pid: int) -> dict[str, Rule]:
    with transaction(w.settings) as session:
        _, agreement = agreement_for(session, w.cdw["data_engineer"], pid)
        record = plan_record(session, w.settings, agreement)
        return {f.key: f.rule for f in planned_fields(session, agreement, record)}


def _table(path: Path, member: str) -> dict[str, list[object]]:
    with zipfile.ZipFile(path) as z:
        return pq.read_table(io.BytesIO(z.read(member))).to_pydict()


def _member(path: Path, dataset_suffix: str) -> str:
    with zipfile.ZipFile(path) as z:
        return next(n for n in z.namelist() if n.endswith(f"{dataset_suffix}.parquet"))


def test_the_plan_follows_the_classification(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    pid = filed_agreement(w, monkeypatch)
    rules = _rules(w, pid)
    assert rules["main.client.ssn"] is Rule.DROP
    assert rules["main.client.full_name"] is Rule.DROP
    assert rules["main.client.client_id"] is Rule.PSEUDONYMISE
    assert rules["main.visit.client_id"] is Rule.PSEUDONYMISE
    assert rules["main.client.birth_date"] is Rule.YEAR
    assert rules["main.visit.visit_date"] is Rule.MONTH
    assert rules["main.visit.diagnosis_code"] is Rule.KEEP


def test_an_open_suggestion_counts_until_a_person_decides_it(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = filed_agreement(w, monkeypatch)
    assert _rules(w, pid)["main.client.county"] is Rule.KEEP
    with transaction(w.settings) as session:  # the classifier thinks county names a person
        session.add(ClassificationSuggestion(field_id=w.fields["client.county"], label="PII:name"))
    assert _rules(w, pid)["main.client.county"] is Rule.DROP  # not delivered unreviewed
    with transaction(w.settings) as session:
        suggestion = session.scalar(select(ClassificationSuggestion))
        assert suggestion is not None
        suggestion.status = "rejected"
    assert _rules(w, pid)["main.client.county"] is Rule.KEEP
    with transaction(w.settings) as session:  # ... and a classification given since approval
        classify_field(session, w.cdw["security_officer"], w.fields["client.county"], ["PII:name"])
    assert _rules(w, pid)["main.client.county"] is Rule.DROP


def test_a_rule_the_field_has_outgrown_stops_the_run(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = filed_agreement(w, monkeypatch)
    engineer = w.cdw["data_engineer"]
    with transaction(w.settings) as session:
        proposal, agreement = agreement_for(session, engineer, pid)
        save_plan(
            session,
            engineer,
            w.settings,
            proposal,
            agreement,
            {"main.client.county": "zip3"},
            "parquet",
        )
        classify_field(session, w.cdw["security_officer"], w.fields["client.county"], ["PII:name"])
    with transaction(w.settings) as session, pytest.raises(ValidationFailed) as refused:
        start_run(session, engineer, w.settings, pid)
    (problem,) = refused.value.problems
    assert problem.field == "main.client.county" and "choose its rule again" in problem.message


def test_a_plan_cannot_name_a_field_outside_the_agreement_or_release_an_identifier(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = filed_agreement(w, monkeypatch)
    with transaction(w.settings) as session:
        proposal, agreement = agreement_for(session, w.cdw["data_engineer"], pid)
        with pytest.raises(ValidationFailed) as refused:
            save_plan(
                session,
                w.cdw["data_engineer"],
                w.settings,
                proposal,
                agreement,
                {"main.client.ssn": "keep", "main.client.phone": "keep"},
                "parquet",
            )
    text = " ".join(p.message for p in refused.value.problems)
    assert "does not authorise main.client.phone" in text
    assert "main.client.ssn may only be" in text
    assert _rules(w, pid)["main.client.ssn"] is Rule.DROP


def test_a_run_packages_exactly_the_plan(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    pid = filed_agreement(w, monkeypatch)
    run = fulfill_now(w.settings, w.cdw["data_engineer"], pid)
    zip_path = packages_root(w.settings) / f"{run.package}.zip"
    assert verify_package(zip_path).problems == ()
    clients = _table(zip_path, _member(zip_path, "client"))
    assert set(clients) == {"client_id", "birth_date", "county"}  # name and SSN never leave
    assert clients["birth_date"] == [1980]
    assert clients["county"] == ["Yolo"]
    (pseudonym,) = clients["client_id"]
    assert isinstance(pseudonym, str) and len(pseudonym) == 32 and pseudonym != "1"
    with transaction(w.settings) as session:
        proposal = session.get(Proposal, pid)
        assert proposal is not None and proposal.state == "in_fulfillment"


def test_pseudonyms_link_deliveries_of_one_agreement_and_not_of_another(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = filed_agreement(w, monkeypatch)
    second = filed_agreement(w, monkeypatch)
    engineer = w.cdw["data_engineer"]
    ids = []
    for pid in (first, first, second):
        run = fulfill_now(w.settings, engineer, pid)
        path = packages_root(w.settings) / f"{run.package}.zip"
        ids.append(_table(path, _member(path, "client"))["client_id"])
    assert ids[0] == ids[1]
    assert ids[0] != ids[2]


def test_only_the_provider_runs_and_strangers_do_not_learn_it_exists(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = filed_agreement(w, monkeypatch)
    with transaction(w.settings) as session:
        with pytest.raises(PermissionDenied):
            start_run(session, w.dcs["data_engineer"], w.settings, pid)
        with pytest.raises(NotFound):
            start_run(session, w.other, w.settings, pid)


def test_a_suspended_agreement_stops_a_queued_run_and_refuses_new_ones(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = filed_agreement(w, monkeypatch)
    with transaction(w.settings) as session:
        run = start_run(session, w.cdw["data_engineer"], w.settings, pid)
        job_id = run.job_id
    stages.run(w, transition, w.cdw["data_coordinator"], pid, "suspend", "Suspected breach")
    run_pending(w.settings)
    with transaction(w.settings) as session:
        job = session.get(Job, job_id)
        assert job is not None and job.status == "failed"
        assert "suspended" in job.message
        with pytest.raises(Conflict):
            start_run(session, w.cdw["data_engineer"], w.settings, pid)
    root = packages_root(w.settings)
    assert not root.exists() or [p for p in root.iterdir() if not p.name.startswith(".")] == []


def _audited(w: World, action: str) -> list[AuditEntry]:
    with transaction(w.settings) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_a_download_link_works_until_revoked_or_expired_and_every_use_is_audited(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = filed_agreement(w, monkeypatch)
    run = fulfill_now(w.settings, w.cdw["data_engineer"], pid)
    with transaction(w.settings) as session:
        offered = deliveries.offer_link(session, w.cdw["data_engineer"], run.id, days=2)
        token, delivery_id = offered.token, offered.delivery.id
    delivery, path = deliveries.download(w.settings, token, "127.0.0.1")
    assert path.read_bytes()[:2] == b"PK" and delivery.sha256 == run.sha256
    with transaction(w.settings) as session:
        proposal = session.get(Proposal, pid)
        assert proposal is not None and proposal.state == "active"
        deliveries.acknowledge(session, w.dcs["data_coordinator"], delivery_id)
    with pytest.raises(NotFound):
        deliveries.download(w.settings, token + "x", "127.0.0.1")
    with transaction(w.settings) as session:
        deliveries.revoke_link(session, w.cdw["data_engineer"], delivery_id)
    with pytest.raises(Conflict, match="revoked"):
        deliveries.download(w.settings, token, "127.0.0.1")
    with transaction(w.settings) as session:
        second = deliveries.offer_link(session, w.cdw["data_engineer"], run.id, days=1)
        session.execute(
            update(Delivery)
            .where(Delivery.id == second.delivery.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    with pytest.raises(Conflict, match="expired"):
        deliveries.download(w.settings, second.token, "127.0.0.1")
    assert len(_audited(w, "delivery.download")) == 1
    assert len(_audited(w, "delivery.download_refused")) == 3


def test_an_agreement_that_ends_before_its_queued_run_starts_stops_it(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = filed_agreement(w, monkeypatch)
    with transaction(w.settings) as session:
        job_id = start_run(session, w.cdw["data_engineer"], w.settings, pid).job_id
        _, agreement = agreement_for(session, w.cdw["data_engineer"], pid)
        agreement.end_date = date.today() - timedelta(days=1)  # it ended while the run waited
    run_pending(w.settings)
    with transaction(w.settings) as session:
        job = session.get(Job, job_id)
        assert job is not None and job.status == "failed"
        assert "ended on" in job.message
        with pytest.raises(Conflict, match="ended on"):
            start_run(session, w.cdw["data_engineer"], w.settings, pid)
    root = packages_root(w.settings)
    assert not root.exists() or [p for p in root.iterdir() if not p.name.startswith(".")] == []


def test_a_source_lost_before_the_run_fails_it_with_its_reason_and_a_retry_succeeds(
    w: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pid = filed_agreement(w, monkeypatch)
    source = tmp_path / "program.sqlite"
    with transaction(w.settings) as session:
        job_id = start_run(session, w.cdw["data_engineer"], w.settings, pid).job_id
    source.rename(tmp_path / "moved.sqlite")  # the source's server is gone
    run_pending(w.settings)
    with transaction(w.settings) as session:
        job = session.get(Job, job_id)
        assert job is not None and job.status == "failed"
        assert "there is no database file" in job.message and "no package was kept" in job.message
    root = packages_root(w.settings)
    assert not root.exists() or [p for p in root.iterdir() if not p.name.startswith(".")] == []
    (tmp_path / "moved.sqlite").rename(source)
    run = fulfill_now(w.settings, w.cdw["data_engineer"], pid)
    assert verify_package(root / f"{run.package}.zip").problems == ()


def test_a_failed_sftp_delivery_is_recorded_with_its_reason_and_can_be_sent_again(
    w: World, monkeypatch: pytest.MonkeyPatch, sftp_server: SftpTestServer
) -> None:
    pid = filed_agreement(w, monkeypatch)
    destination = sftp_destination(w, pid, sftp_server)
    run = fulfill_now(w.settings, w.cdw["data_engineer"], pid)
    folder = sftp_server.root / UPLOAD_DIR
    folder.rmdir()  # the recipient's folder went away after the destination was checked
    with pytest.raises(AccordError, match="incoming"):
        deliveries.send_now(w.settings, w.cdw["data_engineer"], run.id, destination)
    with transaction(w.settings) as session:
        failed = session.scalars(select(Delivery).where(Delivery.run_id == run.id)).one()
        assert failed.status == "failed" and "incoming" in failed.message
        assert failed.sent_at is None
    folder.mkdir()
    sent = deliveries.send_now(w.settings, w.cdw["data_engineer"], run.id, destination)
    assert sent.status == "sent" and sent.id != failed.id
    assert [p.name for p in folder.iterdir()] == [f"{run.package}.zip"]


def test_a_package_describes_its_fields_as_published_never_as_drafts(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    steward, coordinator = w.cdw["steward"], w.cdw["data_coordinator"]
    with transaction(w.settings) as session:
        for key, words in (("client.county", "Published county"), ("client.birth_date", "Draft")):
            describe_field(session, steward, w.fields[key], Description(definition=words))
        submit_for_review(session, steward, [w.fields["client.county"]])
    with transaction(w.settings) as session:
        review_description(session, coordinator, w.fields["client.county"], approve=True)
    pid = filed_agreement(w, monkeypatch)
    run = fulfill_now(w.settings, w.cdw["data_engineer"], pid)
    with zipfile.ZipFile(packages_root(w.settings) / f"{run.package}.zip") as z:
        name = next(n for n in z.namelist() if "/dictionary/" in n and n.endswith("client.csv"))
        text = z.read(name).decode()
    assert "Published county" in text and "Draft" not in text
