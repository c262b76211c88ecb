"""What the proposal and its agreement record carry from the catalog: the technical answers
filled from it, which follow the requested fields until a person rewrites them, and the
record's filing and, per field, classifications in words and governing statutes."""

from __future__ import annotations

from sqlalchemy import select

from accord.auth.actor import Actor
from accord.auth.models import AuditEntry
from accord.catalog.models import Statute
from accord.db.engine import transaction
from accord.proposals.access import load
from accord.proposals.agreements import agreement_of
from accord.proposals.drafting import elements, set_removed, transition
from accord.proposals.models import Agreement
from tests.proposals.conftest import World
from tests.proposals.stages import run, save, start, to_approved

CLIENT_AND_VISIT = "Client (main.client): 2 fields of 1 row\nVisit (main.visit): 1 field of 0 rows"


def _element(w: World, pid: int, name: str) -> int:
    with transaction(w.settings, read_only=True) as session:
        found = elements(session, load(session, w.dcs["requester"], pid))
        return next(e.id for e in found if f"{e.dataset_name}.{e.field_name}" == name)


def _toggle(w: World, actor: Actor, pid: int, name: str, removed: bool) -> None:
    run(w, set_removed, actor, pid, _element(w, pid, name), removed)


def _answers(w: World, pid: int) -> dict[str, str]:
    return dict(run(w, load, w.dcs["requester"], pid).answers)


def test_volumes_name_each_dataset_by_title_and_count_in_good_english(world: World) -> None:
    pid = start(world)
    answers = _answers(world, pid)
    assert answers["volumes"] == CLIENT_AND_VISIT
    assert answers["data_categories"] == "Classified in the catalog as: PHI, PII."


def test_the_catalog_answers_follow_the_fields_taken_out_and_put_back(world: World) -> None:
    pid = start(world)
    requester = world.dcs["requester"]
    _toggle(world, requester, pid, "main.client.county", True)
    assert _answers(world, pid)["volumes"].startswith("Client (main.client): 1 field of 1 row\n")
    _toggle(world, requester, pid, "main.visit.diagnosis_code", True)
    answers = _answers(world, pid)
    assert answers["volumes"] == "Client (main.client): 1 field of 1 row"
    assert answers["data_categories"] == "Classified in the catalog as: PII."  # PHI went
    _toggle(world, requester, pid, "main.client.county", False)
    _toggle(world, requester, pid, "main.visit.diagnosis_code", False)
    assert _answers(world, pid)["volumes"] == CLIENT_AND_VISIT
    # each change is a version that shows the new answer
    with transaction(world.settings, read_only=True) as session:
        assert load(session, requester, pid).version == 5
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "proposal.element")
            .order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None and "volumes" in (entry.after or "")


def test_an_answer_a_person_rewrote_is_not_overwritten_by_the_catalog(world: World) -> None:
    pid = start(world)
    requester = world.dcs["requester"]
    save(world, requester, pid, {"volumes": "About 40,000 clients a year; visits unknown."})
    _toggle(world, requester, pid, "main.client.county", True)
    answers = _answers(world, pid)
    assert answers["volumes"] == "About 40,000 clients a year; visits unknown."
    assert answers["data_categories"] == "Classified in the catalog as: PHI, PII."  # untouched
    _toggle(world, requester, pid, "main.visit.diagnosis_code", True)
    answers = _answers(world, pid)
    assert answers["volumes"] == "About 40,000 clients a year; visits unknown."
    assert answers["data_categories"] == "Classified in the catalog as: PII."  # still generated


def test_the_agreement_record_holds_labels_statutes_and_whom_it_is_filed_with(
    world: World,
) -> None:
    pid = to_approved(world)
    requester = world.dcs["requester"]
    # the library changing after approval does not change the record
    with transaction(world.settings) as session:
        session.scalars(select(Statute).where(Statute.section == "10850")).one().title = "Later"
    with transaction(world.settings, read_only=True) as session:
        agreement = agreement_of(session, requester, load(session, requester, pid))
        assert agreement is not None
        assert agreement.filed_with == "the Statewide Chief Data Officer (BUCP Inventory Form)"
        assert agreement.filed_at is None and agreement.filed_by == ""
        by_field = {f"{e.dataset_name}.{e.field_name}": e for e in agreement.elements}
        ssn = by_field["main.client.ssn"]
        assert ssn.statutes == [{"citation": "WIC § 10850", "title": "Confidentiality"}]
        assert ssn.classification_labels == {"PII:ssn": "Social Security number"}
        assert by_field["main.client.county"].statutes == []
    run(world, transition, world.dcs["data_coordinator"], pid, "file")
    with transaction(world.settings, read_only=True) as session:
        filed = session.scalars(select(Agreement).where(Agreement.proposal_id == pid)).one()
        assert filed.filed_at is not None
        assert filed.filed_by == world.dcs["data_coordinator"].username
        assert filed.filed_by_department == "Department DCS"
        assert session.scalars(
            select(AuditEntry).where(AuditEntry.action == "agreement.file")
        ).one()
