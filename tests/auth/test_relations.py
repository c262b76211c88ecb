"""Permissions that know their subject: every relation, as the rule reads it and as each kind
of record reports it, written out as tables so a changed rule or relation fails by name."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from accord.auth.actor import Actor
from accord.auth.models import ApiToken, User
from accord.auth.permissions import PERMISSIONS, Action, Relation, Rule, can, check
from accord.auth.roles import Role
from accord.catalog.models import FieldWork
from accord.errors import PermissionDenied
from accord.proposals.models import Proposal, ProposalParty

SAM = Actor(1, "sam", frozenset({Role.STEWARD}), department_id=10)
EVERYONE = frozenset(Role)


@dataclass(frozen=True)
class Record:
    """A record standing in exactly the given relations to any actor."""

    holds: frozenset[Relation]

    def relations_to(self, actor: Actor) -> frozenset[Relation]:
        return self.holds


@pytest.mark.parametrize("relation", list(Relation))
def test_a_rule_needing_a_relation_grants_only_with_it(relation: Relation) -> None:
    rule = Rule(EVERYONE, to=relation)
    assert rule.refusal(SAM, Record(frozenset({relation}))) is None
    others = frozenset(Relation) - {relation}
    assert rule.refusal(SAM, Record(others)) is not None
    assert rule.refusal(SAM, Record(frozenset())) is not None
    assert rule.refusal(SAM, None) is None  # without a record: the roles question only


@pytest.mark.parametrize("relation", list(Relation))
def test_a_rule_forbidding_a_relation_refuses_only_with_it(relation: Relation) -> None:
    rule = Rule(EVERYONE, never=relation)
    assert rule.refusal(SAM, Record(frozenset({relation}))) is not None
    assert rule.refusal(SAM, Record(frozenset(Relation) - {relation})) is None


def test_roles_come_first() -> None:
    rule = Rule(frozenset({Role.ADMIN}), to=Relation.OWNER)
    assert rule.refusal(SAM, Record(frozenset({Relation.OWNER}))) == "Your roles do not allow this"


# (action, the relation the table requires or forbids) for every action with a relation
RELATED = {
    Action.MANAGE_OWN_TOKENS: ("to", Relation.OWNER),
    Action.REVIEW_DESCRIPTIONS: ("never", Relation.AUTHOR),
    Action.VIEW_PROPOSALS: ("to", Relation.PARTY),
    Action.EDIT_PROPOSALS: ("to", Relation.PARTY),
    Action.COMMENT_PROPOSALS: ("to", Relation.PARTY),
    Action.SEND_PROPOSALS: ("to", Relation.RECIPIENT),
    Action.WITHDRAW_PROPOSALS: ("to", Relation.RECIPIENT),
    Action.DEVELOP_PROPOSALS: ("to", Relation.PROVIDER),
    Action.MARK_MINIMUM_NECESSARY: ("to", Relation.PROVIDER),
    Action.DECIDE_CHANGES: ("to", Relation.PARTY),
    Action.START_REVIEW: ("to", Relation.PROVIDER),
    Action.RETURN_TO_DEVELOPMENT: ("to", Relation.PARTY),
    Action.REGISTER_OPINIONS: ("to", Relation.PARTY),
    Action.REQUEST_SIGNATURES: ("to", Relation.PARTY),
    Action.SIGN_PROPOSALS: ("to", Relation.PARTY),
    Action.DECLINE_PROPOSALS: ("to", Relation.PROVIDER),
    Action.FINAL_REVIEW: ("to", Relation.PARTY),
    Action.FILE_PROPOSALS: ("to", Relation.PARTY),
    Action.VIEW_AGREEMENTS: ("to", Relation.PARTY),
    Action.SUSPEND_AGREEMENTS: ("to", Relation.PROVIDER),
    Action.VIEW_FULFILLMENT: ("to", Relation.PARTY),
    Action.PLAN_FULFILLMENT: ("to", Relation.PROVIDER),
    Action.RUN_FULFILLMENT: ("to", Relation.PROVIDER),
    Action.DELIVER: ("to", Relation.PROVIDER),
    Action.MANAGE_DESTINATIONS: ("to", Relation.PARTY),
    Action.ACKNOWLEDGE_DELIVERY: ("to", Relation.RECIPIENT),
}


def test_the_table_has_exactly_these_relations() -> None:
    found = {
        action: ("to", rule.to) if rule.to else ("never", rule.never)
        for action, rule in PERMISSIONS.items()
        if rule.to or rule.never
    }
    assert found == RELATED


def test_check_names_the_action_and_the_reason() -> None:
    reviewer = Actor(3, "sue", frozenset({Role.STEWARD}))
    own = FieldWork(field_id=5, status="in_review", submitted_by="sue", steward_id=None)
    assert can(reviewer, Action.REVIEW_DESCRIPTIONS)
    assert not can(reviewer, Action.REVIEW_DESCRIPTIONS, own)
    with pytest.raises(PermissionDenied) as refused:
        check(reviewer, Action.REVIEW_DESCRIPTIONS, own)
    assert refused.value.message == (
        "Someone other than the author does this (catalog.descriptions.review)."
    )


# Each kind of record, built as stored, and the relations it reports to SAM (user 1, dept 10).
RECORDS = [
    ("own account", User(id=1, department_id=10), {Relation.OWNER, Relation.SAME_DEPARTMENT}),
    ("colleague", User(id=2, department_id=10), {Relation.SAME_DEPARTMENT}),
    ("other department", User(id=3, department_id=11), set()),
    ("own token", ApiToken(user_id=1), {Relation.OWNER}),
    ("someone's token", ApiToken(user_id=2), set()),
    ("submitted by sam", FieldWork(submitted_by="sam", steward_id=2), {Relation.AUTHOR}),
    ("assigned to sam", FieldWork(submitted_by="", steward_id=1), {Relation.ASSIGNEE}),
    (
        "sam's own",
        FieldWork(submitted_by="sam", steward_id=1),
        {Relation.AUTHOR, Relation.ASSIGNEE},
    ),
    ("nobody's", FieldWork(submitted_by="", steward_id=None), set()),
    (
        "proposal sam's department asks for",
        Proposal(created_by=2, parties=[ProposalParty(department_id=10, side="recipient")]),
        {Relation.PARTY, Relation.RECIPIENT},
    ),
    (
        "proposal sam wrote",
        Proposal(created_by=1, parties=[ProposalParty(department_id=10, side="recipient")]),
        {Relation.PARTY, Relation.RECIPIENT, Relation.AUTHOR},
    ),
    (
        "proposal asking sam's department",
        Proposal(created_by=2, parties=[ProposalParty(department_id=10, side="provider")]),
        {Relation.PARTY, Relation.PROVIDER},
    ),
    (
        "proposal between others",
        Proposal(created_by=2, parties=[ProposalParty(department_id=11, side="provider")]),
        set(),
    ),
]


@pytest.mark.parametrize(("what", "record", "relations"), RECORDS, ids=[r[0] for r in RECORDS])
def test_each_record_reports_its_relations(
    what: str, record: User | ApiToken | FieldWork | Proposal, relations: set[Relation]
) -> None:
    assert record.relations_to(SAM) == relations
