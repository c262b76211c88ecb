"""The BUCP from the basket to a filed agreement, through the services, and what each step
refuses."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accord.auth.models import AuditEntry
from accord.db.engine import transaction
from accord.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from accord.lifecycle import InvalidTransition
from accord.proposals import drafting, reviews
from accord.proposals.access import load
from accord.proposals.agreements import agreement_of, authorised
from accord.proposals.basket import basket
from accord.proposals.drafting import governing, save_answers, state_authority, transition
from accord.proposals.work import list_proposals, my_work
from tests.proposals.conftest import World
from tests.proposals.stages import (
    REVIEW_ANSWERS,
    SEND_ANSWERS,
    SIGN_ANSWERS,
    opinions_registered,
    ready_to_send,
    run,
    save,
    start,
    to_approved,
    to_review,
)


def test_the_whole_path_creates_an_agreement_with_exactly_the_fields_approved(world: World) -> None:
    w = world
    pid = start(w, ("client.ssn", "client.county", "client.full_name", "visit.diagnosis_code"))
    requester = w.dcs["requester"]
    assert run(w, basket, requester) == []  # the proposal took the basket
    with transaction(w.settings) as session:
        assert governing(session, load(session, requester, pid)) == ["PHI", "PII", "WIC § 10850"]
    save(w, requester, pid, SEND_ANSWERS)
    with transaction(w.settings) as session:
        state_authority(
            session, requester, pid, {k: "Cited authority." for k in ("PHI", "PII", "WIC § 10850")}
        )
    run(w, transition, requester, pid, "send")
    provider = w.cdw["data_coordinator"]
    run(w, transition, provider, pid, "begin_development")
    # minimum necessary: the provider marks a field, the requester removes it
    with transaction(w.settings) as session:
        name = next(
            e
            for e in drafting.elements(session, load(session, provider, pid))
            if e.field_name == "full_name"
        )
    run(
        w,
        drafting.mark_not_needed,
        w.cdw["steward"],
        pid,
        name.id,
        "Aggregate output needs no names.",
    )
    with pytest.raises(InvalidTransition, match="minimum-necessary"):
        run(w, transition, provider, pid, "start_review")
    run(w, drafting.set_removed, requester, pid, name.id, True)
    # a change request by the provider, accepted by the recipient
    change = run(
        w,
        reviews.request_change,
        provider,
        pid,
        "redisclosure",
        "No re-disclosure at all.",
        "Policy",
    )
    with pytest.raises(InvalidTransition, match="other department"):
        run(w, reviews.decide_change, w.cdw["steward"], pid, change.id, True)
    run(w, reviews.decide_change, w.dcs["data_coordinator"], pid, change.id, True)
    save(w, provider, pid, {k: v for k, v in REVIEW_ANSWERS.items() if k != "redisclosure"})
    run(w, transition, provider, pid, "start_review")
    # review: every department's three opinions; a concern blocks until resolved
    for dept in (w.cdw, w.dcs):
        for role in ("legal", "privacy_officer", "security_officer"):
            run(
                w,
                reviews.register_opinion,
                dept[role],
                pid,
                f"{role} of {dept[role].username}: fine.",
            )
    concern = run(
        w, reviews.raise_concern, w.cdw["security_officer"], pid, "Is the enclave FedRAMP?"
    )
    save_fails = pytest.raises(InvalidTransition)
    with save_fails:
        save(w, provider, pid, SIGN_ANSWERS)  # frozen in review: changes go back to development
    run(w, transition, provider, pid, "return_to_development")
    save(w, provider, pid, SIGN_ANSWERS)
    run(w, transition, provider, pid, "start_review")
    with pytest.raises(InvalidTransition, match="concern"):
        run(w, transition, provider, pid, "request_signatures")
    run(
        w,
        reviews.answer_concern,
        w.dcs["data_coordinator"],
        pid,
        concern.id,
        "It is FedRAMP Moderate.",
    )
    with pytest.raises(ValidationFailed):
        run(w, reviews.resolve_concern, w.cdw["privacy_officer"], pid, concern.id)  # not the area
    run(w, reviews.resolve_concern, w.cdw["security_officer"], pid, concern.id)
    run(w, transition, w.dcs["data_coordinator"], pid, "request_signatures")
    # both sponsors sign, both coordinators review, the recipient files (IDEA)
    with pytest.raises(ValidationFailed, match="not accepted"):
        run(w, reviews.sign, w.cdw["executive"], pid, title="Chief Deputy Director", attest=False)
    run(w, reviews.sign, w.cdw["executive"], pid, title="Chief Deputy Director", attest=True)
    assert run(w, load, requester, pid).state == "awaiting_signatures"
    run(w, reviews.sign, w.dcs["executive"], pid, title="Deputy Director", attest=True)
    assert run(w, load, requester, pid).state == "awaiting_dc_final_review"
    run(w, reviews.final_review, w.cdw["data_coordinator"], pid, confirm=True)
    run(w, reviews.final_review, w.dcs["data_coordinator"], pid, confirm=True)
    assert run(w, load, requester, pid).state == "approved"
    with pytest.raises(InvalidTransition, match="recipient's data coordinator files"):
        run(w, transition, provider, pid, "file")
    run(w, transition, w.dcs["data_coordinator"], pid, "file")
    with transaction(w.settings) as session:
        proposal = load(session, requester, pid)
        assert proposal.state == "filed"
        agreement = agreement_of(session, requester, proposal)
        assert agreement is not None
        assert [(e.dataset_name, e.field_name) for e in agreement.elements] == [
            ("main.client", "county"),
            ("main.client", "ssn"),
            ("main.visit", "diagnosis_code"),
        ]
        assert agreement.redisclosure == "No re-disclosure at all."
        assert agreement.frequency == "quarterly" and agreement.recurring
        assert str(agreement.end_date) == "2027-12-31"
        assert agreement.deidentification == "aggregate"
        authorised(agreement, [("main.client", "ssn")])
        with pytest.raises(ValidationFailed, match=r"does not authorise main\.client\.full_name"):
            authorised(agreement, [("main.client", "ssn"), ("main.client", "full_name")])
        verbs = [c.verb for c in drafting.PROPOSAL.history(session, pid)]
    assert verbs == [
        "send",
        "begin_development",
        "start_review",
        "return_to_development",
        "start_review",
        "request_signatures",
        "signed",
        "approve",
        "file",
    ]


def test_sending_lists_every_missing_answer_and_authority_and_changes_nothing(world: World) -> None:
    pid = start(world)
    requester = world.dcs["requester"]
    with pytest.raises(ValidationFailed) as refused:
        run(world, transition, requester, pid, "send")
    fields = {p.field for p in refused.value.problems}
    assert {"purpose", "data_users", "transfer_method", "research"} <= fields
    assert {"authority:PII", "authority:PHI", "authority:WIC § 10850"} <= fields
    assert "use_case_name" not in fields  # given when it was started
    assert run(world, load, requester, pid).state == "draft"


def test_a_department_that_is_no_party_does_not_learn_the_proposal_exists(world: World) -> None:
    pid = start(world)
    with pytest.raises(NotFound):
        run(world, load, world.other, pid)
    assert run(world, list_proposals, world.other) == ([], 0)
    rows, total = run(world, list_proposals, world.cdw["auditor"])
    assert total == 1 and rows[0].side == "provider"


def test_only_the_recipient_sends_and_an_illegal_move_names_the_state(world: World) -> None:
    pid = start(world)
    with pytest.raises(PermissionDenied, match="receiving"):
        run(world, transition, world.cdw["data_coordinator"], pid, "send")
    with pytest.raises(InvalidTransition) as refused:
        run(world, transition, world.cdw["data_coordinator"], pid, "start_review")
    assert refused.value.state == "draft" and "it is draft" in refused.value.message


def test_an_illegal_move_names_the_states_it_is_made_from_and_who_makes_it(world: World) -> None:
    """Who may act comes from the permission table: the relation the rule needs (provider,
    recipient) and the roles by their labels; nothing moves and nothing is audited."""
    pid = start(world)
    with pytest.raises(InvalidTransition) as review:
        run(world, transition, world.cdw["data_coordinator"], pid, "start_review")
    assert review.value.message == (
        f"Cannot start review proposal {pid} (Housing study): it is draft. It can be done "
        "when it is in joint development, by the data coordinator of the department "
        "providing the data."
    )
    assert (review.value.lifecycle, review.value.state, review.value.verb) == (
        "proposal",
        "draft",
        "start_review",
    )
    with pytest.raises(InvalidTransition) as signed:
        run(world, transition, world.cdw["data_coordinator"], pid, "request_signatures")
    assert signed.value.message.endswith(
        "It can be done when it is in review, by the data coordinator of a department that "
        "is party to it."
    )
    pid = to_approved(world)
    with pytest.raises(InvalidTransition) as withdraw:
        run(world, transition, world.dcs["requester"], pid, "withdraw", "No longer needed.")
    assert withdraw.value.message == (
        f"Cannot withdraw proposal {pid} (Housing stability and clinic visits): it is "
        "approved. It can be done when it is draft, sent to provider, in joint development or "
        "in review, by the data coordinator, requester or program owner of the department "
        "receiving the data."
    )
    with pytest.raises(InvalidTransition, match="Accord does that itself when it is awaiting"):
        run(world, transition, world.cdw["data_coordinator"], pid, "approve")
    with transaction(world.settings) as session:
        assert load(session, world.dcs["requester"], pid).state == "approved"
        verbs = session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.object_type == "proposal", AuditEntry.object_id == str(pid)
            )
        ).all()
    assert "proposal.withdraw" not in verbs


def test_two_people_saving_the_same_version_the_second_is_refused_with_what_changed(
    world: World,
) -> None:
    pid = start(world)
    a, b = world.dcs["requester"], world.dcs["data_coordinator"]
    with transaction(world.settings) as session:
        opened = load(session, a, pid).version
    with transaction(world.settings) as session:
        save_answers(session, a, pid, {"purpose": "First purpose."}, base_version=opened)
    with (
        pytest.raises(Conflict, match="changed since: Use case description and purpose"),
        transaction(world.settings) as session,
    ):
        save_answers(session, b, pid, {"purpose": "Second purpose."}, base_version=opened)
    assert run(world, load, a, pid).answers["purpose"] == "First purpose."


def test_a_save_on_a_version_that_does_not_exist_is_refused_as_input(world: World) -> None:
    pid = start(world)
    requester = world.dcs["requester"]
    current = run(world, load, requester, pid).version
    with pytest.raises(ValidationFailed) as refused, transaction(world.settings) as session:
        save_answers(session, requester, pid, {"purpose": "Ahead."}, base_version=current + 1)
    (problem,) = refused.value.problems
    assert problem.field == "base_version"
    assert f"no version {current + 1}; the latest is version {current}" in problem.message
    after = run(world, load, requester, pid)
    assert after.version == current and "purpose" not in after.answers


def test_bad_answers_are_all_listed_and_nothing_is_saved(world: World) -> None:
    pid = start(world)
    requester = world.dcs["requester"]
    with pytest.raises(ValidationFailed) as refused:
        save(
            world,
            requester,
            pid,
            {"frequency": "hourly", "start_date": "soon", "nope": "x", "purpose": "ok"},
        )
    assert {p.field for p in refused.value.problems} == {"frequency", "start_date", "nope"}
    assert "purpose" not in run(world, load, requester, pid).answers


def test_a_wrong_choice_is_refused_with_the_choices_in_the_form_s_words(world: World) -> None:
    pid = start(world)
    with pytest.raises(ValidationFailed) as refused:
        save(world, world.dcs["requester"], pid, {"frequency": "hourly", "transfer_method": "fax"})
    messages = {p.field: p.message for p in refused.value.problems}
    assert messages["frequency"] == (
        "Frequency must be one of: “One time”, “Daily”, “Weekly”, “Monthly”, “Quarterly”, “Yearly”."
    )
    assert "“Agency Data Hub (shared environment)”" in messages["transfer_method"]
    assert "agency_data_hub" not in messages["transfer_method"]


def test_who_may_not_read_a_restricted_question_may_not_answer_it_and_the_audit_keeps_no_text(
    world: World,
) -> None:
    pid = start(world)
    with pytest.raises(ValidationFailed, match="not accepted"):
        save(world, world.dcs["steward"], pid, {"security_requirements": "x"})
    secret = "Keys live in the HSM on rack 4."
    save(world, world.dcs["data_coordinator"], pid, {"data_management": secret})
    with transaction(world.settings) as session:
        logged = " ".join(f"{e.before} {e.after}" for e in session.scalars(select(AuditEntry)))
    assert secret not in logged and "[restricted] sha256:" in logged


def test_my_work_shows_each_person_what_waits_for_them(world: World) -> None:
    pid = to_review(world)
    legal = run(world, my_work, world.cdw["legal"])
    assert [t.proposal_id for t in legal["opinion"]] == [pid]
    assert run(world, my_work, world.other) == {}
    assert "sign" not in run(world, my_work, world.cdw["executive"])


def test_a_change_proposed_in_review_waits_for_joint_development_to_be_accepted(
    world: World,
) -> None:
    """The answers are frozen in review: a change proposed then is declined, or accepted once
    the proposal is back in joint development, and the sponsors are not asked to sign over it."""
    w = world
    pid = to_review(w)
    opinions_registered(w, pid)
    change = run(w, reviews.request_change, w.cdw["legal"], pid, "derived_products", "Destroyed.")
    coordinator, requester = w.cdw["data_coordinator"], w.dcs["requester"]
    assert "request_signatures" not in run(w, my_work, coordinator)
    with pytest.raises(InvalidTransition, match="change request"):
        run(w, transition, coordinator, pid, "request_signatures")
    with pytest.raises(InvalidTransition, match="frozen during the review"):
        run(w, reviews.decide_change, requester, pid, change.id, True)
    assert run(w, load, requester, pid).answers["derived_products"] != "Destroyed."
    run(w, transition, coordinator, pid, "return_to_development")
    run(w, reviews.decide_change, requester, pid, change.id, True)
    assert run(w, load, requester, pid).answers["derived_products"] == "Destroyed."
    run(w, transition, coordinator, pid, "start_review")
    # a decided change request cannot be decided again, nor one outside development and review
    with pytest.raises(InvalidTransition):
        run(w, reviews.decide_change, requester, pid, change.id, False)


def test_a_change_to_a_choice_may_name_the_choice_in_words(world: World) -> None:
    pid = to_review(world)
    legal = world.cdw["legal"]
    change = run(world, reviews.request_change, legal, pid, "frequency", " Monthly ")
    assert change.proposed == "monthly"
    with pytest.raises(ValidationFailed) as refused:
        run(world, reviews.request_change, legal, pid, "frequency", "fortnightly")
    assert "Frequency must be one of" in refused.value.listed()[0].message


def test_a_mark_made_before_joint_development_is_a_task_once_the_requester_can_answer_it(
    world: World,
) -> None:
    w = world
    pid = ready_to_send(w)
    requester, coordinator = w.dcs["requester"], w.cdw["data_coordinator"]
    run(w, transition, requester, pid, "send")
    with transaction(w.settings) as session:
        element = drafting.elements(session, load(session, requester, pid))[0]
    run(w, drafting.mark_not_needed, coordinator, pid, element.id, "Not needed.")
    with pytest.raises(InvalidTransition):  # nothing to answer with yet: it is not editable
        run(w, drafting.justify, requester, pid, element.id, "It is needed.")
    assert "answer_marks" not in run(w, my_work, requester)
    run(w, transition, coordinator, pid, "begin_development")
    assert [t.proposal_id for t in run(w, my_work, requester)["answer_marks"]] == [pid]


def test_the_overview_shows_what_each_reader_may_read_and_names_what_it_shows(world: World) -> None:
    from accord.proposals.overview import overview

    pid = to_review(world)
    with transaction(world.settings) as session:
        steward = overview(session, world.dcs["steward"], pid)  # recipient's: not their data
        security = overview(session, world.cdw["security_officer"], pid)
    assert "data_management" not in steward.answers
    assert steward.hidden == ["data_management"]
    assert steward.restricted_shown == [] and steward.opinions == []
    assert security.answers["data_management"].startswith("DCS analytics enclave")
    assert security.restricted_shown == ["data_management"]
    assert "send" not in steward.verbs


def test_the_overview_names_the_discussion_of_restricted_questions_it_shows(world: World) -> None:
    from accord.proposals.overview import overview

    pid = to_review(world)
    officer = world.cdw["security_officer"]
    run(world, reviews.add_comment, officer, pid, "Which enclave?", question="data_management")
    run(world, reviews.add_comment, officer, pid, "Clear enough.", question="purpose")
    run(
        world,
        reviews.request_change,
        world.cdw["data_coordinator"],
        pid,
        "data_management",
        "The DCS enclave, encrypted at rest.",
    )
    with transaction(world.settings) as session:
        steward = overview(session, world.dcs["steward"], pid)
        security = overview(session, officer, pid)
    assert steward.restricted_shown == [] and len(steward.comments) == 1
    assert security.restricted_shown == [
        "data_management",
        "change:data_management",
        "comment:data_management",
    ]
