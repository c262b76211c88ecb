"""The navigation: each entry shows only to roles allowed its action."""

from __future__ import annotations

from dataclasses import dataclass

from accord.auth.actor import Actor
from accord.auth.permissions import Action, can


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    action: Action


NAV = [
    NavItem("Home", "/", Action.VIEW_HOME),
    NavItem("Proposals", "/proposals", Action.VIEW_PROPOSALS),
    NavItem("Catalog", "/catalog", Action.VIEW_CATALOG),
    NavItem("Search", "/catalog/search", Action.VIEW_CATALOG),
    NavItem("Sources", "/catalog/sources", Action.VIEW_CATALOG),
    NavItem("Glossary", "/catalog/glossary", Action.VIEW_CATALOG),
    NavItem("Statutes", "/catalog/statutes", Action.VIEW_CATALOG),
    NavItem("My work", "/catalog/my-work", Action.REVIEW_DESCRIPTIONS),
    NavItem("Suggestions", "/catalog/suggestions", Action.CLASSIFY_FIELDS),
    NavItem("De-identify", "/deid", Action.DEID_RUN),
    NavItem("Releases", "/deid/releases", Action.VIEW_RELEASES),
    NavItem("Users", "/admin/users", Action.VIEW_USERS),
    NavItem("Audit log", "/audit", Action.VIEW_AUDIT),
    NavItem("API tokens", "/account/tokens", Action.MANAGE_OWN_TOKENS),
]


def nav_for(actor: Actor | None) -> list[NavItem]:
    if actor is None:
        return []
    return [item for item in NAV if can(actor, item.action)]
