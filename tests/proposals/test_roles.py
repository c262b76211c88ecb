"""Every proposal action, tried by every role of the provider, of the recipient and of a third
department; and every restricted part of a proposal, read by each of them.

The roles come from the hand-written table of tests/auth/test_permission_matrix.py; which side
may act is written here, from BUCP.md §2.2–2.3. A third department is refused with NotFound:
it must not learn that the proposal exists. Each try runs in a session that is rolled back, so
all of them act on the same proposals.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from accord.auth.actor import Actor
from accord.auth.models import AuditEntry
from accord.auth.roles import Role
from accord.db.engine import transaction
from accord.errors import NotFound, PermissionDenied
from accord.lifecycle import InvalidTransition
from accord.proposals import drafting, reviews
from accord.proposals.access import load, record_reads
from accord.proposals.agreements import agreement_of
from accord.proposals.basket import add_to_basket
from accord.proposals.models import ChangeRequest, ProposalElement
from accord.proposals.overview import overview
from accord.proposals.records import public_record, to_html
from tests.auth.test_permission_matrix import EXPECTED
from tests.auth.world import drop_database, module_settings, scratch
from tests.proposals.conftest import World, build_world
from tests.proposals.stages import (
    SIGN_ANSWERS,
    opinions_registered,
    ready_to_send,
    run,
    save,
    to_approved,
    to_final_review,
    to_review,
    to_signatures,
)


@dataclass
class Stage:
    world: World
    ids: dict[str, int]  # what each proposal is ready for -> its id


@pytest.fixture(scope="module")
def stage(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stage]:
    folder = tmp_path_factory.mktemp("proposals")
    settings = module_settings(request, folder, "proposal-roles")
    url = settings.database_url
    try:
        w = build_world(settings, Path(folder))
        ids = {"draft": ready_to_send(w)}
        ids["sent"] = ready_to_send(w)
        run(w, drafting.transition, w.dcs["requester"], ids["sent"], "send")
        ids["developing"] = ready_to_send(w)
        run(w, drafting.transition, w.dcs["requester"], ids["developing"], "send")
        run(
            w,
            drafting.transition,
            w.cdw["data_coordinator"],
            ids["developing"],
            "begin_development",
        )
        run(
            w,
            reviews.request_change,
            w.cdw["data_coordinator"],
            ids["developing"],
            "redisclosure",
            "None.",
        )
        ids["ready_for_review"] = to_review(w)
        run(
            w,
            drafting.transition,
            w.cdw["data_coordinator"],
            ids["ready_for_review"],
            "return_to_development",
        )
        ids["review"] = to_review(w)
        provider = w.cdw["data_coordinator"]
        run(w, drafting.transition, provider, ids["review"], "return_to_development")
        save(w, provider, ids["review"], SIGN_ANSWERS)
        run(w, drafting.transition, provider, ids["review"], "start_review")
        opinions_registered(w, ids["review"])
        ids["signatures"] = to_signatures(w)
        ids["final"] = to_final_review(w)
        ids["approved"] = to_approved(w)
        yield Stage(w, ids)
    finally:
        drop_database(url)


Op = Callable[..., object]


def _element(session: object, pid: int) -> int:
    return session.scalar(select(ProposalElement.id).where(ProposalElement.proposal_id == pid))  # type: ignore[attr-defined, no-any-return]


def _change(session: object, pid: int) -> int:
    return session.scalar(select(ChangeRequest.id).where(ChangeRequest.proposal_id == pid))  # type: ignore[attr-defined, no-any-return]


# action -> (the proposal it acts on, the operation, the sides whose roles may do it,
#            the sides a guard then refuses for a reason other than permission)
CASES: dict[str, tuple[str, Op, set[str], set[str]]] = {
    "proposals.view": ("draft", lambda s, a, p: load(s, a, p), {"provider", "recipient"}, set()),
    "proposals.edit": (
        "developing",
        lambda s, a, p: drafting.save_answers(
            s, a, p, {"critical_dates": "By June."}, base_version=load(s, a, p).version
        ),
        {"provider", "recipient"},
        set(),
    ),
    "proposals.comment": (
        "developing",
        lambda s, a, p: reviews.add_comment(s, a, p, "Could the extract be monthly?"),
        {"provider", "recipient"},
        set(),
    ),
    "proposals.send": (
        "draft",
        lambda s, a, p: drafting.transition(s, a, p, "send"),
        {"recipient"},
        set(),
    ),
    "proposals.withdraw": (
        "sent",
        lambda s, a, p: drafting.transition(s, a, p, "withdraw", "No longer needed."),
        {"recipient"},
        set(),
    ),
    "proposals.develop": (
        "sent",
        lambda s, a, p: drafting.transition(s, a, p, "begin_development"),
        {"provider"},
        set(),
    ),
    "proposals.minimum_necessary": (
        "sent",
        lambda s, a, p: drafting.mark_not_needed(s, a, p, _element(s, p), "Not needed."),
        {"provider"},
        set(),
    ),
    "proposals.changes.decide": (
        "developing",
        lambda s, a, p: reviews.decide_change(s, a, p, _change(s, p), accept=False),
        {"provider", "recipient"},
        {"provider"},  # the provider asked for the change: the recipient decides it
    ),
    "proposals.review.start": (
        "ready_for_review",
        lambda s, a, p: drafting.transition(s, a, p, "start_review"),
        {"provider"},
        set(),
    ),
    "proposals.review.return": (
        "review",
        lambda s, a, p: drafting.transition(s, a, p, "return_to_development"),
        {"provider", "recipient"},
        set(),
    ),
    "proposals.opinions.register": (
        "review",
        lambda s, a, p: reviews.register_opinion(s, a, p, "Second look: still fine."),
        {"provider", "recipient"},
        set(),
    ),
    "proposals.signatures.request": (
        "review",
        lambda s, a, p: drafting.transition(s, a, p, "request_signatures"),
        {"provider", "recipient"},
        set(),
    ),
    "proposals.sign": (
        "signatures",
        lambda s, a, p: reviews.sign(s, a, p, title="Director", attest=True),
        {"provider", "recipient"},
        set(),
    ),
    "proposals.decline": (
        "signatures",
        lambda s, a, p: drafting.transition(s, a, p, "decline", "The risk is too high."),
        {"provider"},
        set(),
    ),
    "proposals.final_review": (
        "final",
        lambda s, a, p: reviews.final_review(s, a, p, confirm=True),
        {"provider", "recipient"},
        set(),
    ),
    "proposals.file": (
        "approved",
        lambda s, a, p: drafting.transition(s, a, p, "file"),
        {"provider", "recipient"},
        {"provider"},  # IDEA: the recipient files
    ),
    "agreements.view": (
        "approved",
        lambda s, a, p: agreement_of(s, a, load(s, a, p)),
        {"provider", "recipient"},
        set(),
    ),
}


def test_every_proposal_action_is_tried() -> None:
    proposal_actions = {a for a in EXPECTED if a.startswith(("proposals.", "agreements."))}
    # suspending is tried with the fulfillment actions (tests/fulfillment/test_roles.py)
    assert set(CASES) == proposal_actions - {"proposals.draft", "agreements.suspend"}


def _actors(w: World) -> list[tuple[str, Role, Actor]]:
    found = [("provider", Role(r), a) for r, a in w.cdw.items()]
    found += [("recipient", Role(r), a) for r, a in w.dcs.items()]
    return found


@pytest.mark.parametrize("action", sorted(CASES))
def test_each_role_of_each_side_and_of_a_third_department(stage: Stage, action: str) -> None:
    name, op, sides, guarded = CASES[action]
    pid = stage.ids[name]
    wrong = []
    for side, role, actor in [
        *_actors(stage.world),
        ("none", Role.DATA_COORDINATOR, stage.world.other),
    ]:
        allowed = role in EXPECTED[action] and side in sides
        with scratch(stage.world.settings) as session:
            try:
                op(session, actor, pid)
                outcome = "ok"
            except NotFound:
                outcome = "not_found"
            except PermissionDenied:
                outcome = "denied"
            except InvalidTransition:
                outcome = "guarded"
        expected = (
            "not_found"
            if side == "none"
            else "guarded"
            if allowed and side in guarded
            else "ok"
            if allowed
            else "denied"
        )
        if action == "proposals.view" and side != "none":
            expected = "ok"
        if outcome != expected:
            wrong.append(f"{side} {role.value}: {outcome}, expected {expected}")
    assert not wrong, "\n".join(wrong)


def test_anyone_who_drafts_may_fill_a_basket_whatever_their_department(stage: Stage) -> None:
    w = stage.world
    for _side, role, actor in _actors(w):
        with scratch(w.settings) as session:
            if role in EXPECTED["proposals.draft"]:
                add_to_basket(session, actor, field_ids=[w.fields["client.county"]])
            else:
                with pytest.raises(PermissionDenied):
                    add_to_basket(session, actor, field_ids=[w.fields["client.county"]])


# Which restricted content each role reads, per side, from BUCP.md §6 ("Sees Restricted
# fields?"): R = provider side, Q = recipient side; "-" neither. The requester and program owner
# read it on proposals they wrote (the recipient's requester wrote these), data engineers the
# technical restricted question only, stewards only on their own department's data.
READS = """
role              technical  other
data_coordinator  RQ         RQ
requester         Q          Q
steward           R          R
security_officer  RQ         RQ
privacy_officer   RQ         RQ
legal             RQ         RQ
program_owner     -          -
data_engineer     RQ         -
executive         RQ         RQ
auditor           RQ         RQ
admin             -          -
"""
TECHNICAL = {"data_management"}
RESTRICTED_SIGN_ANSWERS = ("security_requirements", "privacy_requirements")
OTHER = {
    "security_requirements",
    "privacy_requirements",
    "opinion:legal",
    "opinion:privacy",
    "opinion:security",
}


def _reads() -> dict[str, tuple[str, str]]:
    _, *rows = [line.split() for line in READS.strip().splitlines()]
    return {role: (technical, other) for role, technical, other in rows}


def test_each_role_reads_exactly_the_restricted_content_bucp_allows_and_each_read_is_audited(
    stage: Stage,
) -> None:
    w = stage.world
    pid = stage.ids["review"]  # restricted answers given, opinions of every area registered
    reads = _reads()
    assert set(reads) == {r.value for r in Role}
    wrong = []
    for side, role, actor in _actors(w):
        mark = "R" if side == "provider" else "Q"
        technical, other = reads[role.value]
        expected = (TECHNICAL if mark in technical else set()) | (OTHER if mark in other else set())
        with transaction(w.settings, read_only=True) as session:
            seen = overview(session, actor, pid)
            shown = set(seen.restricted_shown)
            answered = {k for k in TECHNICAL | OTHER if k in seen.answers}
            areas = {f"opinion:{o.area}" for o in seen.opinions}
            text = repr(seen.answers) + repr([o.text for o in seen.opinions])
        if shown != expected:
            wrong.append(f"{side} {role.value}: shown {sorted(shown)}, expected {sorted(expected)}")
        if answered | areas != expected:
            wrong.append(f"{side} {role.value}: content {sorted(answered | areas)}")
        if not expected and ("Encryption at rest" in text or "no objection" in text):
            wrong.append(f"{side} {role.value}: restricted text leaked")
        with scratch(w.settings) as session:
            before = session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
            record_reads(session, actor, pid, seen.restricted_shown)
            logged = list(session.scalars(select(AuditEntry).where(AuditEntry.seq > before)))
            if bool(logged) != bool(expected) or (
                logged and logged[0].action != "proposal.restricted_read"
            ):
                wrong.append(f"{side} {role.value}: audit {[e.action for e in logged]}")
    with transaction(w.settings, read_only=True) as session, pytest.raises(NotFound):
        overview(session, w.other, pid)
    assert not wrong, "\n".join(wrong)


def test_the_public_records_release_holds_no_restricted_text(stage: Stage) -> None:
    w = stage.world
    legal = w.cdw["legal"]
    with scratch(w.settings) as session:
        record = public_record(session, legal, stage.ids["review"])
        proposal = load(session, legal, stage.ids["review"])
        secrets = [proposal.answers[k] for k in ("data_management", *RESTRICTED_SIGN_ANSWERS)]
        secrets += [o.text for o in reviews.opinions(session, legal, proposal)]
        secrets += [a.statement for a in drafting.authorities(session, proposal).values()]
    out = repr(record) + to_html(record)
    assert len(secrets) >= 9
    assert [s for s in secrets if s in out] == []
    assert "Housing stability and clinic visits" in out  # what is public is there
