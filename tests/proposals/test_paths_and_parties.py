"""The governance path changes the route and the words, not the code; several recipients each
sign; the disputed-only questions wait for a dispute; a field that leaves the catalog stays."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from accord.catalog.models import CatalogField
from accord.db.base import utcnow
from accord.db.engine import transaction
from accord.lifecycle import InvalidTransition
from accord.proposals import drafting, reviews
from accord.proposals.access import load
from accord.proposals.basket import add_to_basket
from accord.proposals.form import Step, missing
from accord.proposals.overview import overview
from accord.proposals.states import state_label
from tests.factories import make_user
from tests.proposals.conftest import World
from tests.proposals.stages import SIGN_ANSWERS, run, save, to_review


def test_the_chhs_path_asks_legal_and_security_opinions_and_the_provider_files(
    world: World,
) -> None:
    pid = to_review(world)
    with transaction(world.settings) as session:
        load(session, world.cdw["data_coordinator"], pid).path = "chhs"
    provider = world.cdw["data_coordinator"]
    run(world, drafting.transition, provider, pid, "return_to_development")
    save(world, provider, pid, SIGN_ANSWERS)
    run(world, drafting.transition, provider, pid, "start_review")
    for dept in (world.cdw, world.dcs):
        for role in ("legal", "security_officer"):  # no privacy opinion on this path
            run(world, reviews.register_opinion, dept[role], pid, "No objection.")
    run(world, drafting.transition, provider, pid, "request_signatures")
    for dept in (world.cdw, world.dcs):
        run(world, reviews.sign, dept["executive"], pid, title="Chief Deputy Director", attest=True)
    for dept in (world.cdw, world.dcs):
        run(world, reviews.final_review, dept["data_coordinator"], pid, confirm=True)
    with pytest.raises(InvalidTransition, match="provider's data coordinator files"):
        run(world, drafting.transition, world.dcs["data_coordinator"], pid, "file")
    run(world, drafting.transition, provider, pid, "file")
    with transaction(world.settings) as session:
        seen = overview(session, provider, pid)
    assert seen.state_label == "Filed" and seen.path.filed_with.startswith("the CalHHS")


def test_the_path_words_states_and_questions_its_own_way(world: World) -> None:
    pid = to_review(world)
    with transaction(world.settings) as session:
        proposal = load(session, world.cdw["data_coordinator"], pid)
        proposal.state = "sent_to_provider"
        assert state_label(proposal) == "Sent to provider"
        proposal.path = "chhs"
        assert state_label(proposal) == "Submitted for review"
        session.rollback()
    problems = missing({}, Step.SIGN, "chhs")
    assert "Specialized security is required before this step." in [p.message for p in problems]


def test_every_recipient_department_signs_before_the_final_review(world: World) -> None:
    third = make_user(world.settings, "hhs_exec", "executive", department="HHS")
    requester = world.dcs["requester"]
    run(world, add_to_basket, requester, field_ids=[world.fields["client.county"]])
    with transaction(world.settings) as session:
        hhs = third.department_id
        proposal = drafting.start_proposal(session, requester, also_recipients=[hhs])
        pid = proposal.id
        assert sorted(p.side for p in proposal.parties) == ["provider", "recipient", "recipient"]
        proposal.state = "awaiting_signatures"
    for actor in (world.cdw["executive"], world.dcs["executive"]):
        run(world, reviews.sign, actor, pid, title="Director", attest=True)
    assert run(world, load, requester, pid).state == "awaiting_signatures"
    run(world, reviews.sign, third, pid, title="Director", attest=True)
    assert run(world, load, requester, pid).state == "awaiting_dc_final_review"


def test_disputed_only_questions_are_required_at_a_dispute_and_never_before() -> None:
    for step in (Step.SEND, Step.REVIEW, Step.SIGN):
        assert not {"known_risks", "alternatives", "departments_positions"} & {
            p.field for p in missing({}, step, "idea")
        }
    assert {"known_risks", "alternatives", "departments_positions"} <= {
        p.field for p in missing({}, Step.DISPUTE, "idea")
    }


def test_a_field_that_leaves_the_catalog_stays_in_the_proposal_marked(world: World) -> None:
    pid = to_review(world)
    gone = world.fields["client.ssn"]
    with transaction(world.settings) as session:
        session.execute(
            update(CatalogField).where(CatalogField.id == gone).values(removed_at=utcnow())
        )
    with transaction(world.settings) as session:
        seen = overview(session, world.dcs["requester"], pid)
    assert gone in seen.left_catalog
    assert "ssn" in [e.field_name for e in seen.elements]
