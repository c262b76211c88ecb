"""The one permission table: which roles may perform which action.

Every page, API route and CLI command names one action from here; the web layer enforces it
with a single dependency and the CLI with ``check``. Tests walk the table and the routes.
"""

from __future__ import annotations

from enum import StrEnum

from accord.auth.actor import Actor
from accord.auth.roles import Role
from accord.errors import PermissionDenied


class Action(StrEnum):
    VIEW_HOME = "home.view"
    MANAGE_OWN_TOKENS = "tokens.manage_own"
    VIEW_USERS = "users.view"
    MANAGE_USERS = "users.manage"
    VIEW_AUDIT = "audit.view"
    VERIFY_AUDIT = "audit.verify"
    SEED_DEMO = "demo.seed"
    VIEW_CATALOG = "catalog.view"
    MANAGE_SOURCES = "catalog.sources.manage"
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
    DEID_RUN = "deid.run"
    VIEW_RELEASES = "deid.releases.view"


EVERYONE = frozenset(Role)

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.VIEW_HOME: EVERYONE,
    Action.MANAGE_OWN_TOKENS: EVERYONE,
    Action.VIEW_USERS: frozenset({Role.ADMIN, Role.AUDITOR, Role.DATA_COORDINATOR}),
    Action.MANAGE_USERS: frozenset({Role.ADMIN}),
    Action.VIEW_AUDIT: frozenset({Role.ADMIN, Role.AUDITOR}),
    Action.VERIFY_AUDIT: frozenset({Role.ADMIN, Role.AUDITOR}),
    Action.SEED_DEMO: frozenset({Role.ADMIN}),
    Action.VIEW_CATALOG: EVERYONE,
    Action.MANAGE_SOURCES: frozenset({Role.DATA_ENGINEER, Role.ADMIN}),
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
PERMISSIONS[Action.VIEW_RELEASES] = PERMISSIONS[Action.DEID_RUN] | {Role.AUDITOR}


def can(actor: Actor, action: Action) -> bool:
    return bool(actor.roles & PERMISSIONS[action])


def check(actor: Actor, action: Action) -> None:
    """Raise PermissionDenied unless one of the actor's roles grants the action."""
    if not can(actor, action):
        raise PermissionDenied(f"Your roles do not allow this ({action.value}).")
