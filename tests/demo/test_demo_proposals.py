"""The demo's proposals: one in each state of the BUCP, each step made through the services by
the demo user whose role it is, seeded once.

The demo is seeded once for the module (small program databases), in a database of its own;
the tests only read it, apart from seeding it again, which must change nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from accord.auth import audit
from accord.auth.actor import Actor, actor_for
from accord.auth.models import AuditEntry, Department, User
from accord.auth.users import get_user
from accord.config import Settings
from accord.db.engine import transaction
from accord.demo.proposals import PATH, PEOPLE, seed_proposals
from accord.demo.seed import DEMO_USERS, seed_demo
from accord.demo.use_cases import USE_CASES, UseCase
from accord.lifecycle import InvalidTransition
from accord.lifecycle.models import StateChange
from accord.proposals import drafting
from accord.proposals.agreements import agreement_of
from accord.proposals.form import PATHS
from accord.proposals.models import (
    ChangeRequest,
    Concern,
    Opinion,
    Proposal,
    ProposalComment,
    ProposalElement,
    Signature,
)
from accord.proposals.states import PROPOSAL, ProposalState, missing_opinions
from accord.proposals.work import my_work
from tests.auth.world import drop_database, module_settings

S = ProposalState
README = Path(__file__).parents[2] / "README.md"


@dataclass
class Seeded:
    settings: Settings
    ids: dict[ProposalState, int]  # the demo proposal in each state


@pytest.fixture(scope="module")
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    folder = tmp_path_factory.mktemp("demo")
    settings = module_settings(request, folder, "demo-proposals")
    url = settings.database_url
    try:
        seed_demo(settings, Actor.system(), events=200)
        with transaction(settings, read_only=True) as session:
            ids: dict[ProposalState, int] = {}
            for p in session.scalars(select(Proposal).order_by(Proposal.id)):
                ids.setdefault(S(p.state), p.id)  # the first in each state: its use case's
        yield Seeded(settings, ids)
    finally:
        drop_database(url)


def use_case(state: ProposalState) -> UseCase:
    """The first use case the demo leaves in ``state`` (a delivered one is active)."""
    return next(u for u in USE_CASES if (S.ACTIVE if u.delivered else u.stage) is state)


def rows(seeded: Seeded, model: type, pid: int) -> list[object]:
    with transaction(seeded.settings, read_only=True) as session:
        return list(session.scalars(select(model).where(model.proposal_id == pid)))  # type: ignore[attr-defined]


def test_the_demo_holds_one_proposal_in_each_state_asked_of_the_wellness_department(
    seeded: Seeded,
) -> None:
    # the delivered study went on from filed to active
    assert set(seeded.ids) == {u.stage for u in USE_CASES} | {S.ACTIVE}
    assert len(USE_CASES) == 12
    with transaction(seeded.settings, read_only=True) as session:
        codes = dict(session.execute(select(Department.id, Department.code)).all())
        proposals = list(session.scalars(select(Proposal).order_by(Proposal.id)))
        assert [p.title for p in proposals] == [u.name for u in USE_CASES]
        for proposal in proposals:
            sides = {(codes[p.department_id], p.side) for p in proposal.parties}
            assert sides == {("CDW", "provider"), ("DCS", "recipient")}
            uc = next(u for u in USE_CASES if u.name == proposal.title)
            assert proposal.state == (S.ACTIVE if uc.delivered else uc.stage)


def test_every_move_was_made_by_the_demo_user_whose_role_it_is(seeded: Seeded) -> None:
    drafters = {u.drafter for u in USE_CASES}
    cdw, dcs = PEOPLE["CDW"], PEOPLE["DCS"]
    expected = {
        "send": drafters,
        "withdraw": drafters,
        "begin_development": {cdw["coordinator"]},
        "start_review": {cdw["coordinator"]},
        "request_signatures": {cdw["coordinator"]},
        "decline": {cdw["sponsor"]},
        "signed": {cdw["sponsor"], dcs["sponsor"]},  # Accord's move, on the last signature
        "approve": {cdw["coordinator"], dcs["coordinator"]},
        "file": {cdw["coordinator"], dcs["coordinator"]},
        "begin_fulfillment": {"engineer"},  # Accord's move, on the first run
        "deliver": {"link:demo"},  # Accord's move, on the first download by the link
    }
    with transaction(seeded.settings, read_only=True) as session:
        moves = session.execute(
            select(StateChange.verb, StateChange.actor).where(StateChange.lifecycle == "proposal")
        ).all()
        filed = session.get(Proposal, seeded.ids[S.FILED])
        assert filed is not None
        filer = session.scalar(
            select(StateChange.actor).where(
                StateChange.subject_id == str(filed.id), StateChange.verb == "file"
            )
        )
    assert {verb for verb, _ in moves} == set(expected)
    assert [(v, a) for v, a in moves if a not in expected[v]] == []
    filed_by = PATHS[filed.path].filed_by.value
    assert filer == (cdw if filed_by == "provider" else dcs)["coordinator"]


def test_joint_development_shows_a_minimum_necessary_mark_and_an_open_change_request(
    seeded: Seeded,
) -> None:
    pid = seeded.ids[S.IN_JOINT_DEVELOPMENT]
    elements = rows(seeded, ProposalElement, pid)
    unanswered = [
        e
        for e in elements
        if e.not_needed and not e.justification and not e.removed  # type: ignore[attr-defined]
    ]
    assert [e.not_needed_by for e in unanswered] == [PEOPLE["CDW"]["steward"]]  # type: ignore[attr-defined]
    changes = rows(seeded, ChangeRequest, pid)
    assert [(c.status, c.requested_by) for c in changes] == [("open", "coordinator")]  # type: ignore[attr-defined]
    with transaction(seeded.settings) as session:
        coordinator = actor_for(get_user(session, "coordinator"))
        proposal = session.get(Proposal, pid)
        assert proposal is not None
        with pytest.raises(InvalidTransition, match="change request"):
            PROPOSAL.check(proposal, coordinator, "start_review")


def test_the_review_has_every_opinion_registered_and_one_open_concern(seeded: Seeded) -> None:
    pid = seeded.ids[S.IN_REVIEW]
    with transaction(seeded.settings, read_only=True) as session:
        proposal = session.get(Proposal, pid)
        assert proposal is not None
        assert missing_opinions(proposal) == []
    opinions = rows(seeded, Opinion, pid)
    assert len(opinions) == 2 * len(PATHS["idea"].required_opinions)
    concerns = rows(seeded, Concern, pid)
    assert [(c.area, c.is_open, c.answer) for c in concerns] == [("privacy", True, "")]  # type: ignore[attr-defined]


def test_signatures_and_final_reviews_stand_where_each_state_says(seeded: Seeded) -> None:
    def kinds(state: ProposalState) -> list[str]:
        return sorted(s.kind for s in rows(seeded, Signature, seeded.ids[state]))  # type: ignore[attr-defined]

    assert kinds(S.AWAITING_SIGNATURES) == ["sponsor"]
    assert kinds(S.AWAITING_DC_FINAL_REVIEW) == ["final_review", "sponsor", "sponsor"]
    assert kinds(S.APPROVED) == ["final_review", "final_review", "sponsor", "sponsor"]
    assert kinds(S.DENIED) == ["sponsor"]  # the recipient signed; the provider declined


def test_the_filed_proposal_has_an_agreement_with_exactly_its_requested_fields(
    seeded: Seeded,
) -> None:
    pid = seeded.ids[S.FILED]
    with transaction(seeded.settings, read_only=True) as session:
        requester = actor_for(get_user(session, use_case(S.FILED).drafter))
        proposal = session.get(Proposal, pid)
        assert proposal is not None
        agreement = agreement_of(session, requester, proposal)
        assert agreement is not None
        granted = [(e.dataset_id, e.field_id, e.field_name) for e in agreement.elements]
        elements = drafting.elements(session, proposal)
        assert agreement.version == proposal.version
        assert agreement.use_case_name == proposal.title
    requested = [(e.dataset_id, e.field_id, e.field_name) for e in elements if not e.removed]
    removed = [e.field_name for e in elements if e.removed]
    assert removed == ["phone"]  # the provider's minimum-necessary mark, accepted
    assert sorted(granted) == sorted(requested)
    assert len(granted) == len(use_case(S.FILED).fields) - 1


def test_each_answer_is_the_use_cases_as_saved_through_the_services(seeded: Seeded) -> None:
    for state, pid in seeded.ids.items():
        uc = use_case(state)
        with transaction(seeded.settings, read_only=True) as session:
            proposal = session.get(Proposal, pid)
            assert proposal is not None
            answers = dict(proposal.answers)
        expected = dict(uc.answers)
        if PATH.index(uc.reach or uc.stage) >= PATH.index(S.IN_JOINT_DEVELOPMENT):
            expected |= uc.provider_answers
        if uc.change is not None and uc.change.accept:
            expected[uc.change.question] = uc.change.proposed
        assert {k: answers.get(k) for k in expected} == expected, uc.name


def test_the_demo_gives_people_of_both_departments_something_to_do(seeded: Seeded) -> None:
    with transaction(seeded.settings, read_only=True) as session:

        def tasks(username: str) -> dict[str, list[int]]:
            actor = actor_for(get_user(session, username))
            return {k: [t.proposal_id for t in v] for k, v in my_work(session, actor).items()}

        assert tasks("coordinator")["begin"] == [seeded.ids[S.SENT_TO_PROVIDER]]
        assert tasks("dcs.sponsor")["sign"] == [seeded.ids[S.AWAITING_SIGNATURES]]
        assert tasks("dcs.coordinator")["final_review"] == [seeded.ids[S.AWAITING_DC_FINAL_REVIEW]]
        assert tasks("dcs.coordinator")["file"] == [seeded.ids[S.APPROVED]]
        assert tasks("requester")["answer_concern"] == [seeded.ids[S.IN_REVIEW]]
        assert seeded.ids[S.IN_JOINT_DEVELOPMENT] in tasks("dcs.program")["answer_marks"]
        assert seeded.ids[S.FILED] in tasks("engineer")["fulfil"]
        assert "fulfil" not in tasks("dcs.coordinator")  # the recipient does not extract


def test_seeding_again_changes_nothing(seeded: Seeded) -> None:
    models = (Proposal, ProposalElement, StateChange, ProposalComment, Signature, AuditEntry, User)

    def counts() -> list[int]:
        with transaction(seeded.settings, read_only=True) as session:
            return [session.scalar(select(func.count()).select_from(m)) or 0 for m in models]

    before = counts()
    seed_demo(seeded.settings, Actor.system(), events=200)
    assert seed_proposals(seeded.settings) == []
    assert counts() == before
    with transaction(seeded.settings, read_only=True) as session:
        assert audit.verify(session, Actor.system(), seeded.settings).ok


def test_the_readme_lists_every_demo_login() -> None:
    text = README.read_text()
    logins = re.search(r"Demo logins.*?\n\n", text, re.S)
    assert logins is not None
    listed = set(re.findall(r"`([a-z0-9._-]+)`", logins.group(0))) - {"wellness-demo"}
    assert listed == {u.username for u in DEMO_USERS}
