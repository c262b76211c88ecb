"""The one permission table: which roles may perform which action, and on which records.

Every page, API route and CLI command names one action from here; the web layer enforces the
role part with a single dependency, and the services check the whole rule, relation included,
once they hold the record (``check(actor, action, subject)``). Tests walk the table, every
relation and the routes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from accord.auth.actor import Actor
from accord.auth.roles import Role
from accord.errors import PermissionDenied


class Action(StrEnum):
    VIEW_HOME = "home.view"
    MANAGE_OWN_TOKENS = "tokens.manage_own"
    VIEW_USERS = "users.view"
    MANAGE_USERS = "users.manage"
    MAP_GROUPS = "users.groups.map"
    VIEW_AUDIT = "audit.view"
    VERIFY_AUDIT = "audit.verify"
    SEED_DEMO = "demo.seed"
    VIEW_CATALOG = "catalog.view"
    MANAGE_SOURCES = "catalog.sources.manage"
    VIEW_CONNECTIONS = "catalog.sources.connections"
    HARVEST = "catalog.harvest"
    EDIT_INVENTORY = "catalog.inventory.edit"
    DESCRIBE_FIELDS = "catalog.fields.describe"
    CLASSIFY_FIELDS = "catalog.fields.classify"
    CITE_STATUTES = "catalog.statutes.cite"
    EDIT_GLOSSARY = "catalog.glossary.edit"
    WRITE_BACK = "catalog.write_back"
    ASSIGN_STEWARDS = "catalog.stewards.assign"
    REVIEW_DESCRIPTIONS = "catalog.descriptions.review"
    RUN_SUGGESTIONS = "catalog.suggestions.run"
    VIEW_SUGGESTIONS = "catalog.suggestions.view"
    VIEW_HARVESTS = "catalog.harvests.view"
    VIEW_DRAFTS = "catalog.drafts.view"
    DEID_RUN = "deid.run"
    VIEW_RELEASES = "deid.releases.view"
    VIEW_PROPOSALS = "proposals.view"
    DRAFT_PROPOSALS = "proposals.draft"
    EDIT_PROPOSALS = "proposals.edit"
    COMMENT_PROPOSALS = "proposals.comment"
    SEND_PROPOSALS = "proposals.send"
    WITHDRAW_PROPOSALS = "proposals.withdraw"
    DEVELOP_PROPOSALS = "proposals.develop"
    MARK_MINIMUM_NECESSARY = "proposals.minimum_necessary"
    DECIDE_CHANGES = "proposals.changes.decide"
    START_REVIEW = "proposals.review.start"
    RETURN_TO_DEVELOPMENT = "proposals.review.return"
    REGISTER_OPINIONS = "proposals.opinions.register"
    REQUEST_SIGNATURES = "proposals.signatures.request"
    SIGN_PROPOSALS = "proposals.sign"
    DECLINE_PROPOSALS = "proposals.decline"
    FINAL_REVIEW = "proposals.final_review"
    FILE_PROPOSALS = "proposals.file"
    VIEW_AGREEMENTS = "agreements.view"
    SUSPEND_AGREEMENTS = "agreements.suspend"
    VIEW_FULFILLMENT = "fulfillment.view"
    PLAN_FULFILLMENT = "fulfillment.plan"
    RUN_FULFILLMENT = "fulfillment.run"
    DELIVER = "fulfillment.deliver"
    MANAGE_DESTINATIONS = "fulfillment.destinations.manage"
    ACKNOWLEDGE_DELIVERY = "fulfillment.acknowledge"


class Relation(StrEnum):
    """How an actor stands to a record; each record kind says which of these hold."""

    OWNER = "owner"  # the record is the actor's own (their account, their token)
    AUTHOR = "author"  # the actor wrote or submitted it
    ASSIGNEE = "assignee"  # it was assigned to the actor
    PARTY = "party"  # the actor's department is a party to it
    SAME_DEPARTMENT = "same_department"  # it belongs to the actor's department
    PROVIDER = "provider"  # the actor's department provides the data it is about
    RECIPIENT = "recipient"  # the actor's department asks for (receives) that data


class Subject(Protocol):
    def relations_to(self, actor: Actor) -> frozenset[Relation]: ...


@dataclass(frozen=True)
class Rule:
    """Roles that may act, and optionally a relation the actor must have (``to``) or must not
    have (``never``: separation of duties, such as reviewing one's own work). ``home_only``:
    only the staff of the department whose catalog this is (``Actor.home``)."""

    roles: frozenset[Role]
    to: Relation | None = None
    never: Relation | None = None
    home_only: bool = False

    def refusal(self, actor: Actor, subject: Subject | None) -> str | None:
        if not actor.roles & self.roles:
            return "Your roles do not allow this"
        if self.home_only and not actor.home:
            return "Only the department whose catalog this is may do this"
        if subject is None or (self.to is None and self.never is None):
            return None
        relations = subject.relations_to(actor)
        if self.to is not None and self.to not in relations:
            return RELATION_NEEDED[self.to]
        if self.never is not None and self.never in relations:
            return RELATION_REFUSED[self.never]
        return None


RELATION_NEEDED = {
    Relation.OWNER: "Only its owner may do this",
    Relation.AUTHOR: "Only its author may do this",
    Relation.ASSIGNEE: "Only the person it is assigned to may do this",
    Relation.PARTY: "Only the departments that are party to it may do this",
    Relation.SAME_DEPARTMENT: "Only its own department may do this",
    Relation.PROVIDER: "Only the department providing the data may do this",
    Relation.RECIPIENT: "Only the department receiving the data may do this",
}
RELATION_REFUSED = {
    Relation.OWNER: "Someone other than its owner does this",
    Relation.AUTHOR: "Someone other than the author does this",
    Relation.ASSIGNEE: "Someone other than the assignee does this",
    Relation.PARTY: "Someone outside the parties does this",
    Relation.SAME_DEPARTMENT: "Someone from another department does this",
    Relation.PROVIDER: "The department receiving the data does this",
    Relation.RECIPIENT: "The department providing the data does this",
}

EVERYONE = frozenset(Role)

ROLES: dict[Action, frozenset[Role]] = {
    Action.VIEW_HOME: EVERYONE,
    Action.MANAGE_OWN_TOKENS: EVERYONE,
    Action.VIEW_USERS: frozenset({Role.ADMIN, Role.AUDITOR, Role.DATA_COORDINATOR}),
    Action.MANAGE_USERS: frozenset({Role.ADMIN}),
    # which provider groups make an administrator is itself an administrator's decision
    Action.MAP_GROUPS: frozenset({Role.ADMIN}),
    Action.VIEW_AUDIT: frozenset({Role.ADMIN, Role.AUDITOR}),
    Action.VERIFY_AUDIT: frozenset({Role.ADMIN, Role.AUDITOR}),
    Action.SEED_DEMO: frozenset({Role.ADMIN}),
    Action.VIEW_CATALOG: EVERYONE,
    # the classifier's open proposals are the home department's working notes
    Action.VIEW_SUGGESTIONS: EVERYONE,
    # a harvest's report and messages speak of the source's tables, paths and errors
    Action.VIEW_HARVESTS: EVERYONE,
    # a description not yet published, and the source's comments it is often drafted from
    Action.VIEW_DRAFTS: EVERYONE,
    Action.MANAGE_SOURCES: frozenset({Role.DATA_ENGINEER, Role.ADMIN}),
    # where a source lives (host, database, server path) helps an attacker more than a reader
    Action.VIEW_CONNECTIONS: frozenset({Role.DATA_ENGINEER, Role.ADMIN}),
    Action.HARVEST: frozenset({Role.DATA_ENGINEER, Role.DATA_COORDINATOR, Role.ADMIN}),
    Action.EDIT_INVENTORY: frozenset(
        {Role.DATA_COORDINATOR, Role.STEWARD, Role.PROGRAM_OWNER, Role.ADMIN}
    ),
    Action.DESCRIBE_FIELDS: frozenset({Role.STEWARD, Role.DATA_COORDINATOR, Role.DATA_ENGINEER}),
    Action.CLASSIFY_FIELDS: frozenset({Role.SECURITY_OFFICER, Role.PRIVACY_OFFICER}),
    Action.CITE_STATUTES: frozenset(
        {Role.STEWARD, Role.LEGAL, Role.PRIVACY_OFFICER, Role.SECURITY_OFFICER, Role.DATA_ENGINEER}
    ),
    Action.EDIT_GLOSSARY: frozenset({Role.STEWARD, Role.DATA_COORDINATOR}),
    Action.WRITE_BACK: frozenset({Role.DATA_ENGINEER, Role.ADMIN}),
    Action.ASSIGN_STEWARDS: frozenset({Role.DATA_COORDINATOR, Role.ADMIN}),
    Action.REVIEW_DESCRIPTIONS: frozenset(
        {Role.DATA_COORDINATOR, Role.STEWARD, Role.PROGRAM_OWNER}
    ),
    Action.RUN_SUGGESTIONS: frozenset(
        {Role.SECURITY_OFFICER, Role.PRIVACY_OFFICER, Role.DATA_ENGINEER, Role.DATA_COORDINATOR}
    ),
    Action.DEID_RUN: frozenset(
        {
            Role.DATA_COORDINATOR,
            Role.STEWARD,
            Role.PRIVACY_OFFICER,
            Role.SECURITY_OFFICER,
            Role.DATA_ENGINEER,
            Role.ADMIN,
        }
    ),
}
# who released what is read by those who release, and by the auditor
ROLES[Action.VIEW_RELEASES] = ROLES[Action.DEID_RUN] | {Role.AUDITOR}

# The BUCP (BUCP.md §2.2): the recipient drafts and sends, both sides develop it, each side's
# legal, privacy and security representatives register opinions, executive sponsors sign, data
# coordinators review last and file. Every proposal action needs a relation to the proposal,
# so a department that is no party to it can do nothing with it, not even see it.
REVIEWERS = frozenset({Role.LEGAL, Role.PRIVACY_OFFICER, Role.SECURITY_OFFICER})
DRAFTERS = frozenset({Role.REQUESTER, Role.DATA_COORDINATOR, Role.PROGRAM_OWNER})
DEVELOPERS = DRAFTERS | REVIEWERS | {Role.STEWARD, Role.DATA_ENGINEER}
PROPOSAL_RULES: dict[Action, Rule] = {
    Action.VIEW_PROPOSALS: Rule(EVERYONE, to=Relation.PARTY),
    Action.DRAFT_PROPOSALS: Rule(DRAFTERS),
    Action.EDIT_PROPOSALS: Rule(DEVELOPERS, to=Relation.PARTY),
    Action.COMMENT_PROPOSALS: Rule(DEVELOPERS | {Role.EXECUTIVE}, to=Relation.PARTY),
    Action.SEND_PROPOSALS: Rule(DRAFTERS, to=Relation.RECIPIENT),
    Action.WITHDRAW_PROPOSALS: Rule(DRAFTERS, to=Relation.RECIPIENT),
    Action.DEVELOP_PROPOSALS: Rule(
        frozenset({Role.DATA_COORDINATOR, Role.STEWARD, Role.PROGRAM_OWNER}), to=Relation.PROVIDER
    ),
    Action.MARK_MINIMUM_NECESSARY: Rule(
        frozenset({Role.DATA_COORDINATOR, Role.STEWARD, Role.PRIVACY_OFFICER}),
        to=Relation.PROVIDER,
    ),
    Action.DECIDE_CHANGES: Rule(DEVELOPERS, to=Relation.PARTY),
    Action.START_REVIEW: Rule(frozenset({Role.DATA_COORDINATOR}), to=Relation.PROVIDER),
    Action.RETURN_TO_DEVELOPMENT: Rule(REVIEWERS | {Role.DATA_COORDINATOR}, to=Relation.PARTY),
    Action.REGISTER_OPINIONS: Rule(REVIEWERS, to=Relation.PARTY),
    Action.REQUEST_SIGNATURES: Rule(frozenset({Role.DATA_COORDINATOR}), to=Relation.PARTY),
    Action.SIGN_PROPOSALS: Rule(frozenset({Role.EXECUTIVE}), to=Relation.PARTY),
    Action.DECLINE_PROPOSALS: Rule(frozenset({Role.EXECUTIVE}), to=Relation.PROVIDER),
    Action.FINAL_REVIEW: Rule(frozenset({Role.DATA_COORDINATOR}), to=Relation.PARTY),
    Action.FILE_PROPOSALS: Rule(frozenset({Role.DATA_COORDINATOR}), to=Relation.PARTY),
    Action.VIEW_AGREEMENTS: Rule(EVERYONE, to=Relation.PARTY),
    Action.SUSPEND_AGREEMENTS: Rule(frozenset({Role.DATA_COORDINATOR}), to=Relation.PROVIDER),
}
# Fulfillment (BUCP.md §2.6): the provider's data engineers and coordinators extract, package
# and send; its privacy officer may set the de-identification rules with them; the recipient
# names where to receive and acknowledges what arrived. Every party sees what was sent.
FULFILLERS = frozenset({Role.DATA_ENGINEER, Role.DATA_COORDINATOR})
PROPOSAL_RULES |= {
    Action.VIEW_FULFILLMENT: Rule(EVERYONE, to=Relation.PARTY),
    Action.PLAN_FULFILLMENT: Rule(FULFILLERS | {Role.PRIVACY_OFFICER}, to=Relation.PROVIDER),
    Action.RUN_FULFILLMENT: Rule(FULFILLERS, to=Relation.PROVIDER),
    Action.DELIVER: Rule(FULFILLERS, to=Relation.PROVIDER),
    Action.MANAGE_DESTINATIONS: Rule(FULFILLERS, to=Relation.PARTY),
    Action.ACKNOWLEDGE_DELIVERY: Rule(FULFILLERS | {Role.REQUESTER}, to=Relation.RECIPIENT),
}
ROLES.update({action: rule.roles for action, rule in PROPOSAL_RULES.items()})

# The catalog is the home department's (MISSION.md, plays 2, 5, 6): other departments' people read
# what it describes and ask for data through proposals, but change nothing in it, decide none
# of its suggestions and see none of its connections or harvests. So is the installation:
# its people, its sign-in mapping and its audit log, which records every department's drafts
# and proposals (another department's administrator or auditor has no business there).
HOME_ONLY = frozenset(
    {
        Action.VIEW_USERS,
        Action.MANAGE_USERS,
        Action.MAP_GROUPS,
        Action.VIEW_AUDIT,
        Action.VERIFY_AUDIT,
        Action.SEED_DEMO,
        Action.MANAGE_SOURCES,
        Action.VIEW_CONNECTIONS,
        Action.HARVEST,
        Action.EDIT_INVENTORY,
        Action.DESCRIBE_FIELDS,
        Action.CLASSIFY_FIELDS,
        Action.CITE_STATUTES,
        Action.EDIT_GLOSSARY,
        Action.WRITE_BACK,
        Action.ASSIGN_STEWARDS,
        Action.REVIEW_DESCRIPTIONS,
        Action.RUN_SUGGESTIONS,
        Action.VIEW_SUGGESTIONS,
        Action.VIEW_HARVESTS,
        Action.VIEW_DRAFTS,
    }
)
# Where a relation to the record matters; every other action is decided by roles alone.
PERMISSIONS: dict[Action, Rule] = (
    {action: Rule(roles, home_only=action in HOME_ONLY) for action, roles in ROLES.items()}
    | {
        Action.MANAGE_OWN_TOKENS: Rule(EVERYONE, to=Relation.OWNER),
        Action.REVIEW_DESCRIPTIONS: Rule(
            ROLES[Action.REVIEW_DESCRIPTIONS], never=Relation.AUTHOR, home_only=True
        ),
    }
    | PROPOSAL_RULES
)


def can(actor: Actor, action: Action, subject: Subject | None = None) -> bool:
    """Without a subject: may the actor's roles ever do this (menus, route guards)?"""
    return PERMISSIONS[action].refusal(actor, subject) is None


# how refusals and help name the people a rule lets act, in plain words
DEPARTMENT_WORDS = {
    Relation.PARTY: "a department that is party to it",
    Relation.SAME_DEPARTMENT: "its own department",
    Relation.PROVIDER: "the department providing the data",
    Relation.RECIPIENT: "the department receiving the data",
}
PERSON_WORDS = {
    Relation.OWNER: "its owner",
    Relation.AUTHOR: "its author",
    Relation.ASSIGNEE: "the person it is assigned to",
}


def who_may(action: Action) -> str:
    """The people the rule of ``action`` lets act, in words that follow "by": "the data
    coordinator of the department providing the data", "any data steward, but not its author".
    Roles are named by their labels, in the order ``Role`` declares them."""
    rule = PERMISSIONS[action]
    labels = [role.label.lower() for role in Role if role in rule.roles]
    people = ", ".join(labels[:-1]) + " or " + labels[-1] if len(labels) > 1 else labels[0]
    everyone = rule.roles == EVERYONE
    if rule.to in DEPARTMENT_WORDS:
        who = ("anyone in " if everyone else f"the {people} of ") + DEPARTMENT_WORDS[rule.to]
    elif rule.to is not None:
        who = PERSON_WORDS[rule.to] + ("" if everyone else f" ({people})")
    else:
        who = "anyone" if everyone else f"any {people}"
    if rule.never is not None:
        who += f", but not {(DEPARTMENT_WORDS | PERSON_WORDS)[rule.never]}"
    return who


def check(actor: Actor, action: Action, subject: Subject | None = None) -> None:
    """Raise PermissionDenied unless the rule of ``action`` grants it (on ``subject``)."""
    reason = PERMISSIONS[action].refusal(actor, subject)
    if reason is not None:
        raise PermissionDenied(f"{reason} ({action.value}).")
