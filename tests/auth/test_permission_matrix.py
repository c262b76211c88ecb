"""Who may do what, written out by hand from MISSION.md's roles and checked at the service layer.

The table below is the expectation; ``auth/permissions.py`` is the implementation. They are
compared both ways, and every role is then sent through every service operation: an allowed
pair must succeed, any other must raise PermissionDenied and leave every table as it was. A
grant added or dropped in the permission table, or a ``check`` removed from a service, fails
here with the role and the operation in the test's name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.auditlog.reading import AuditFilter, export_csv, filter_choices, read_log
from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.group_roles import add_group_role, list_group_roles, remove_group_role
from accord.auth.models import User
from accord.auth.password_reset import issue_reset
from accord.auth.permissions import PERMISSIONS, Action
from accord.auth.roles import Role
from accord.auth.tokens import create_token, revoke_token
from accord.auth.users import (
    create_department,
    create_user,
    disable_user,
    enable_user,
    last_sign_ins,
    list_users,
    set_roles,
)
from accord.catalog.checks import check_metadata
from accord.catalog.datasets import Inventory, register_dataset, update_inventory
from accord.catalog.describing import (
    assign_steward,
    my_work,
    review_description,
    set_statute_checked,
    submit_for_review,
)
from accord.catalog.drift import apply_harvest
from accord.catalog.fields import Description, classify_field, describe_field, get_field
from accord.catalog.fields import mark_reviewed as mark_field_reviewed
from accord.catalog.glossary import import_csv, link_term, list_terms, save_term, unlink_term
from accord.catalog.harvest.model import Harvest
from accord.catalog.harvest.runs import cancel_harvest, failed_harvests, start_harvest
from accord.catalog.harvest.writeback import apply_write_back, preview_write_back
from accord.catalog.sources import add_source, connection_details, get_source, list_sources
from accord.catalog.statutes import add_statute, list_statutes, rollup, set_field_statutes
from accord.catalog.suggestions import decide, decide_by_pattern, open_suggestions, suggest
from accord.demo.seed import seed_demo
from accord.errors import PermissionDenied
from accord.releases.service import get_release, list_releases, release_table
from tests.auth.world import SOURCE, World, scratch, snapshot
from tests.factories import PASSWORD

# ---------------------------------------------------------------------------------------------
# The expectation. Columns are MISSION.md's roles (plus the installation's administrator);
# "x" grants the action. Where MISSION.md and the current grants could be read differently the
# line carries a note; the grant written here is today's behaviour.
ROLE_COLUMNS = {
    "coord": Role.DATA_COORDINATOR,
    "req": Role.REQUESTER,
    "stew": Role.STEWARD,
    "sec": Role.SECURITY_OFFICER,
    "priv": Role.PRIVACY_OFFICER,
    "legal": Role.LEGAL,
    "owner": Role.PROGRAM_OWNER,
    "eng": Role.DATA_ENGINEER,
    "exec": Role.EXECUTIVE,
    "aud": Role.AUDITOR,
    "admin": Role.ADMIN,
}
EXPECTED_TABLE = """
action                       coord req stew sec priv legal owner eng exec aud admin
home.view                      x    x   x    x   x    x     x    x   x    x    x
tokens.manage_own              x    x   x    x   x    x     x    x   x    x    x
users.view                     x    .   .    .   .    .     .    .   .    x    x
users.manage                   .    .   .    .   .    .     .    .   .    .    x
users.groups.map               .    .   .    .   .    .     .    .   .    .    x
audit.view                     .    .   .    .   .    .     .    .   .    x    x
audit.verify                   .    .   .    .   .    .     .    .   .    x    x
demo.seed                      .    .   .    .   .    .     .    .   .    .    x
catalog.view                   x    x   x    x   x    x     x    x   x    x    x
catalog.sources.manage         .    .   .    .   .    .     .    x   .    .    x
catalog.sources.connections    .    .   .    .   .    .     .    x   .    .    x
catalog.harvest                x    .   .    .   .    .     .    x   .    .    x
catalog.inventory.edit         x    .   x    .   .    .     x    .   .    .    x
catalog.fields.describe        x    .   x    .   .    .     .    x   .    .    .
catalog.fields.classify        .    .   .    x   x    .     .    .   .    .    .
catalog.statutes.cite          .    .   x    x   x    x     .    x   .    .    .
catalog.glossary.edit          x    .   x    .   .    .     .    .   .    .    .
catalog.write_back             .    .   .    .   .    .     .    x   .    .    x
catalog.stewards.assign        x    .   .    .   .    .     .    .   .    .    x
catalog.descriptions.review    x    .   x    .   .    .     x    .   .    .    .
catalog.suggestions.run        x    .   .    x   x    .     .    x   .    .    .
catalog.suggestions.view       x    x   x    x   x    x     x    x   x    x    x
catalog.harvests.view          x    x   x    x   x    x     x    x   x    x    x
catalog.drafts.view            x    x   x    x   x    x     x    x   x    x    x
deid.run                       x    .   x    x   x    .     .    x   .    .    x
deid.releases.view             x    .   x    x   x    .     .    x   .    x    x
proposals.view                 x    x   x    x   x    x     x    x   x    x    x
proposals.draft                x    x   .    .   .    .     x    .   .    .    .
proposals.edit                 x    x   x    x   x    x     x    x   .    .    .
proposals.comment              x    x   x    x   x    x     x    x   x    .    .
proposals.send                 x    x   .    .   .    .     x    .   .    .    .
proposals.withdraw             x    x   .    .   .    .     x    .   .    .    .
proposals.develop              x    .   x    .   .    .     x    .   .    .    .
proposals.minimum_necessary    x    .   x    .   x    .     .    .   .    .    .
proposals.changes.decide       x    x   x    x   x    x     x    x   .    .    .
proposals.review.start         x    .   .    .   .    .     .    .   .    .    .
proposals.review.return        x    .   .    x   x    x     .    .   .    .    .
proposals.opinions.register    .    .   .    x   x    x     .    .   .    .    .
proposals.signatures.request   x    .   .    .   .    .     .    .   .    .    .
proposals.sign                 .    .   .    .   .    .     .    .   x    .    .
proposals.decline              .    .   .    .   .    .     .    .   x    .    .
proposals.final_review         x    .   .    .   .    .     .    .   .    .    .
proposals.file                 x    .   .    .   .    .     .    .   .    .    .
agreements.view                x    x   x    x   x    x     x    x   x    x    x
agreements.suspend             x    .   .    .   .    .     .    .   .    .    .
fulfillment.view               x    x   x    x   x    x     x    x   x    x    x
fulfillment.plan               x    .   .    .   x    .     .    x   .    .    .
fulfillment.run                x    .   .    .   .    .     .    x   .    .    .
fulfillment.deliver            x    .   .    .   .    .     .    x   .    .    .
fulfillment.destinations.manage x   .   .    .   .    .     .    x   .    .    .
fulfillment.acknowledge        x    x   .    .   .    .     .    x   .    .    .
"""
# Notes against MISSION.md (reported, not silently matched):
# - MISSION.md has one "privacy officer / legal" role; Accord splits it, and only the privacy
#   officer classifies fields although MISSION.md gives classification to the security officer
#   alone (and the suggestion queue to "a security officer").
# - the steward runs de-identified releases (deid.run); MISSION.md's steward only describes.
# - the data engineer cites statutes; MISSION.md gives statutes to stewards and privacy/legal.
# - the administrator is not one of MISSION.md's roles; its grants are the operator's.


def _parse(table: str) -> dict[str, frozenset[Role]]:
    header, *lines = [line.split() for line in table.strip().splitlines()]
    roles = [ROLE_COLUMNS[name] for name in header[1:]]
    parsed = {}
    for action, *marks in lines:
        assert len(marks) == len(roles), f"{action}: {len(marks)} marks for {len(roles)} roles"
        assert set(marks) <= {"x", "."}, action
        parsed[action] = frozenset(r for r, m in zip(roles, marks, strict=True) if m == "x")
    return parsed


EXPECTED = _parse(EXPECTED_TABLE)

# Actions that only a route checks: there is no service behind them to call.
ROUTE_ONLY = {Action.VIEW_HOME.value}
# Proposal actions also need a relation to the proposal (provider, recipient, party), which
# this one-department world cannot give: tests/proposals/test_roles.py sends every role of
# both sides and of a third department through each of them.
WITH_RELATIONS = {
    a.value for a in Action if a.value.startswith(("proposals.", "agreements.", "fulfillment."))
}


def test_the_table_names_every_role_once() -> None:
    assert sorted(ROLE_COLUMNS.values()) == sorted(Role)


@pytest.mark.parametrize("action", sorted(set(EXPECTED) | {a.value for a in Action}))
def test_expectation_and_permission_table_agree(action: str) -> None:
    assert action in EXPECTED, f"{action} is granted in permissions.py but not expected here"
    assert action in {a.value for a in Action}, f"{action} is expected but not an Action"
    granted = PERMISSIONS[Action(action)].roles
    expected = EXPECTED[action]
    assert not granted - expected, f"{action} also granted to {sorted(granted - expected)}"
    assert not expected - granted, f"{action} no longer granted to {sorted(expected - granted)}"


# ---------------------------------------------------------------------------------------------
# One or more operations per action, each through a service, against the shared world.
SessionOp = Callable[[Session, Actor, World], object]
OwnTransactionOp = Callable[[Actor, World], object]


@dataclass(frozen=True)
class Op:
    action: Action
    name: str
    run: SessionOp | None = None
    alone: OwnTransactionOp | None = None  # services that open their own transactions
    setup: Callable[[Session, World], None] | None = None  # done by others, before the snapshot

    def __str__(self) -> str:
        return f"{self.action.value}:{self.name}"


def _user(session: Session, name: str) -> User:
    found = session.scalar(select(User).where(User.username == name))
    assert found is not None
    return found


def _own_token(session: Session, actor: Actor, w: World) -> object:
    me = session.get(User, actor.user_id)
    assert me is not None
    token, _ = create_token(session, actor, me, name="mine", days=7)
    return revoke_token(session, actor, token.id)


def _apply_write_back(session: Session, actor: Actor, w: World) -> object:
    engineer = w.actors[Role.DATA_ENGINEER]
    plan = preview_write_back(session, engineer, w.settings.key, SOURCE)
    assert plan.statements
    return apply_write_back(session, actor, w.settings.key, SOURCE, plan.digest)


def _start_a_harvest(session: Session, w: World) -> None:
    w.extra["run_id"] = start_harvest(session, w.actors[Role.DATA_ENGINEER], SOURCE).id


def _cancel_harvest(session: Session, actor: Actor, w: World) -> object:
    run_id = w.extra["run_id"]
    assert isinstance(run_id, int)
    return cancel_harvest(session, actor, run_id)


def _apply_harvest(session: Session, actor: Actor, w: World) -> object:
    source = get_source(session, actor, SOURCE)
    return apply_harvest(session, actor, source, Harvest("database", []))


def _release(session: Session, actor: Actor, w: World) -> object:
    outcome = release_table(session, actor, w.settings, w.table, w.spec, name="again.csv")
    assert outcome.status == "released", outcome.findings
    return outcome


def _map_a_group(session: Session, w: World) -> None:
    admin = w.actors[Role.ADMIN]
    mapping = add_group_role(
        session,
        admin,
        provider="cdw-id",
        group="cdw-auditors",
        role="auditor",
        providers=["cdw-id"],
    )
    w.extra["mapping_id"] = mapping.id


def _remove_group_role(session: Session, actor: Actor, w: World) -> object:
    mapping_id = w.extra["mapping_id"]
    assert isinstance(mapping_id, int)
    return remove_group_role(session, actor, mapping_id)


OPS = [
    Op(Action.MANAGE_OWN_TOKENS, "create_and_revoke_own_token", _own_token),
    Op(Action.VIEW_USERS, "list_users", lambda s, a, w: list_users(s, a)),
    Op(Action.MANAGE_USERS, "disable_user", lambda s, a, w: disable_user(s, a, "victim")),
    Op(
        Action.MANAGE_USERS,
        "create_user",
        lambda s, a, w: create_user(
            s,
            a,
            username="newcomer",
            full_name="New Comer",
            password=PASSWORD,
            department_code="CDW",
            roles=["requester"],
        ),
    ),
    Op(
        Action.MANAGE_USERS,
        "create_department",
        lambda s, a, w: create_department(s, a, "NEW", "New department"),
    ),
    Op(
        Action.MANAGE_USERS,
        "create_token_for_another",
        lambda s, a, w: create_token(s, a, _user(s, "victim"), name="theirs", days=7),
    ),
    Op(
        Action.MANAGE_USERS,
        "revoke_token_of_another",
        lambda s, a, w: revoke_token(s, a, w.victim_token_id),
    ),
    Op(Action.MAP_GROUPS, "list_group_roles", lambda s, a, w: list_group_roles(s, a)),
    Op(
        Action.MAP_GROUPS,
        "add_group_role",
        lambda s, a, w: add_group_role(
            s, a, provider="cdw-id", group="cdw-stewards", role="admin", providers=["cdw-id"]
        ),
    ),
    Op(Action.MAP_GROUPS, "remove_group_role", _remove_group_role, setup=_map_a_group),
    Op(Action.VIEW_AUDIT, "list_entries", lambda s, a, w: audit.list_entries(s, a)),
    Op(Action.VIEW_USERS, "last_sign_ins", lambda s, a, w: last_sign_ins(s, a)),
    Op(Action.MANAGE_USERS, "set_roles", lambda s, a, w: set_roles(s, a, "victim", ["legal"])),
    Op(Action.MANAGE_USERS, "enable_user", lambda s, a, w: enable_user(s, a, "victim")),
    Op(Action.MANAGE_USERS, "issue_reset", lambda s, a, w: issue_reset(s, a, "victim")),
    Op(Action.VIEW_AUDIT, "count_since", lambda s, a, w: audit.count_since(s, a, date.today())),
    Op(Action.VIEW_AUDIT, "read_log", lambda s, a, w: read_log(s, a, AuditFilter())),
    Op(Action.VIEW_AUDIT, "export_csv", lambda s, a, w: export_csv(s, a, AuditFilter())),
    Op(Action.VIEW_AUDIT, "filter_choices", lambda s, a, w: filter_choices(s, a)),
    Op(Action.VERIFY_AUDIT, "verify", lambda s, a, w: audit.verify(s, a, w.settings)),
    Op(Action.SEED_DEMO, "seed_demo", alone=lambda a, w: seed_demo(w.settings, a, events=20)),
    Op(Action.VIEW_CATALOG, "list_sources", lambda s, a, w: list_sources(s, a)),
    Op(Action.VIEW_CATALOG, "get_field", lambda s, a, w: get_field(s, a, w.fields["ssn"])),
    Op(Action.VIEW_CATALOG, "list_terms", lambda s, a, w: list_terms(s, a)),
    Op(Action.VIEW_CATALOG, "list_statutes", lambda s, a, w: list_statutes(s, a)),
    Op(Action.VIEW_CATALOG, "rollup", lambda s, a, w: rollup(s, a, list(w.fields.values()))),
    Op(Action.VIEW_CATALOG, "my_work", lambda s, a, w: my_work(s, a)),
    Op(Action.VIEW_SUGGESTIONS, "open_suggestions", lambda s, a, w: open_suggestions(s, a)),
    Op(Action.VIEW_HARVESTS, "failed_harvests", lambda s, a, w: failed_harvests(s, a)),
    # also decides which text of a field is shown: tests/catalog/test_published.py
    Op(Action.VIEW_DRAFTS, "check_metadata", lambda s, a, w: check_metadata(s, a, SOURCE)),
    Op(
        Action.VIEW_CONNECTIONS,
        "connection_details",
        lambda s, a, w: connection_details(s, a, SOURCE),
    ),
    Op(
        Action.MANAGE_SOURCES,
        "add_source",
        lambda s, a, w: add_source(
            s, a, w.settings.key, name="another", location="postgresql+psycopg://r@db.example/x"
        ),
    ),
    Op(Action.HARVEST, "start_harvest", lambda s, a, w: start_harvest(s, a, SOURCE)),
    Op(Action.HARVEST, "cancel_harvest", _cancel_harvest, setup=_start_a_harvest),
    Op(Action.HARVEST, "apply_harvest", _apply_harvest),
    Op(
        Action.EDIT_INVENTORY,
        "update_inventory",
        lambda s, a, w: update_inventory(s, a, w.dataset_id, Inventory(owner="Program office")),
    ),
    Op(
        Action.EDIT_INVENTORY,
        "register_dataset",
        lambda s, a, w: register_dataset(s, a, name="Extract", kind="extract"),
    ),
    Op(
        Action.DESCRIBE_FIELDS,
        "describe_field",
        lambda s, a, w: describe_field(s, a, w.fields["ssn"], Description(definition="SSN.")),
    ),
    Op(
        Action.DESCRIBE_FIELDS,
        "submit_for_review",
        lambda s, a, w: (  # a described draft: full_name is already in review
            describe_field(s, a, w.fields["county"], Description(definition="Home county.")),
            submit_for_review(s, a, [w.fields["county"]]),
        ),
    ),
    Op(
        Action.DESCRIBE_FIELDS,
        "mark_reviewed",
        lambda s, a, w: mark_field_reviewed(s, a, w.fields["ssn"]),
    ),
    Op(
        Action.CLASSIFY_FIELDS,
        "classify_field",
        lambda s, a, w: classify_field(s, a, w.fields["ssn"], ["PII"]),
    ),
    Op(
        Action.CLASSIFY_FIELDS,
        "decide",
        lambda s, a, w: decide(s, a, w.suggestion_ids[:1], accept=True),
    ),
    Op(
        Action.CLASSIFY_FIELDS,
        "decide_by_pattern",
        lambda s, a, w: decide_by_pattern(s, a, "*", accept=False),
    ),
    Op(Action.CITE_STATUTES, "add_statute", lambda s, a, w: add_statute(s, a, "WIC 10850")),
    Op(
        Action.CITE_STATUTES,
        "set_field_statutes",
        lambda s, a, w: set_field_statutes(s, a, w.fields["ssn"], ["WIC 10850(a)"]),
    ),
    Op(
        Action.CITE_STATUTES,
        "set_statute_checked",
        lambda s, a, w: set_statute_checked(s, a, w.fields["county"], True),
    ),
    Op(
        Action.EDIT_GLOSSARY,
        "save_term",
        lambda s, a, w: save_term(s, a, term="Case", definition="A matter handled."),
    ),
    Op(
        Action.EDIT_GLOSSARY,
        "link_term",
        lambda s, a, w: link_term(s, a, w.fields["ssn"], w.term_id),
    ),
    Op(
        Action.EDIT_GLOSSARY,
        "unlink_term",
        lambda s, a, w: unlink_term(s, a, w.fields["client_id"], w.term_id),
    ),
    Op(
        Action.EDIT_GLOSSARY,
        "import_csv",
        lambda s, a, w: import_csv(s, a, b"term,definition\nCase,A matter handled.\n"),
    ),
    Op(
        Action.WRITE_BACK,
        "preview_write_back",
        lambda s, a, w: preview_write_back(s, a, w.settings.key, SOURCE),
    ),
    Op(Action.WRITE_BACK, "apply_write_back", _apply_write_back),
    Op(
        Action.ASSIGN_STEWARDS,
        "assign_steward",
        lambda s, a, w: assign_steward(s, a, "author", field_ids=[w.fields["ssn"]]),
    ),
    Op(
        Action.REVIEW_DESCRIPTIONS,
        "review_description",
        lambda s, a, w: review_description(s, a, w.fields["full_name"], approve=True),
    ),
    Op(
        Action.RUN_SUGGESTIONS,
        "suggest",
        alone=lambda a, w: suggest(w.settings, a, SOURCE, sample_size=5),
    ),
    Op(Action.DEID_RUN, "release_table", _release),
    Op(Action.VIEW_RELEASES, "list_releases", lambda s, a, w: list_releases(s, a)),
    Op(Action.VIEW_RELEASES, "get_release", lambda s, a, w: get_release(s, a, w.release_id)),
]


def test_every_action_has_a_service_operation() -> None:
    covered = {op.action.value for op in OPS}
    assert covered == {a.value for a in Action} - ROUTE_ONLY - WITH_RELATIONS


def _pairs() -> list[object]:
    return [
        pytest.param(role, op, id=f"{role.value}-{op}")
        for op in OPS
        for role in sorted(Role)
    ]


@pytest.mark.parametrize(("role", "op"), _pairs())
def test_role_and_operation(world: World, role: Role, op: Op) -> None:
    actor = world.actors[role]
    allowed = role in EXPECTED[op.action.value]
    if op.run is not None:
        with scratch(world.settings) as session:
            if op.setup is not None:
                op.setup(session, world)
            before = snapshot(session)
            if allowed:
                op.run(session, actor, world)
                return
            with pytest.raises(PermissionDenied):
                op.run(session, actor, world)
            assert snapshot(session) == before, f"{role.value} was refused but changed something"
        return
    assert op.alone is not None
    with scratch(world.settings) as session:
        before = snapshot(session)
    if allowed:
        op.alone(actor, world)
        return
    with pytest.raises(PermissionDenied):
        op.alone(actor, world)
    with scratch(world.settings) as session:
        assert snapshot(session) == before, f"{role.value} was refused but changed something"


def test_a_user_holding_several_roles_gets_the_union(world: World) -> None:
    """Roles add up: a steward who is also an auditor may verify, and still describe."""
    steward, auditor = world.actors[Role.STEWARD], world.actors[Role.AUDITOR]
    both = Actor(steward.user_id, steward.username, steward.roles | auditor.roles)
    with scratch(world.settings) as session:
        assert audit.verify(session, both, world.settings).ok
        describe_field(session, both, world.fields["ssn"], Description(definition="SSN."))
        with pytest.raises(PermissionDenied):
            classify_field(session, both, world.fields["ssn"], ["PII"])


def test_no_roles_grants_nothing(world: World) -> None:
    someone = world.actors[Role.REQUESTER]
    nobody = Actor(someone.user_id, someone.username, frozenset(), someone.department_id)
    with scratch(world.settings) as session:
        for op in OPS:
            if op.run is None:
                continue
            if op.setup is not None:
                op.setup(session, world)
            with pytest.raises(PermissionDenied):
                op.run(session, nobody, world)
