"""The group-to-role table: which groups at an identity provider give which Accord role.

Administrators edit it (``users.groups.map``) on a page and with ``accord group-roles``; each
sign-in through the provider reads it to set the person's roles, so a change here takes effect
at their next sign-in. Every change is audited.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.auth import audit
from accord.auth.actor import Actor
from accord.auth.models import GroupRole
from accord.auth.permissions import Action, check
from accord.auth.roles import Role
from accord.errors import Conflict, NotFound, Problem, ValidationFailed


def list_group_roles(session: Session, actor: Actor) -> list[GroupRole]:
    check(actor, Action.MAP_GROUPS)
    return list(
        session.scalars(
            select(GroupRole).order_by(GroupRole.provider, GroupRole.group_name, GroupRole.role)
        )
    )


def add_group_role(
    session: Session,
    actor: Actor,
    *,
    provider: str,
    group: str,
    role: str,
    providers: Collection[str],
) -> GroupRole:
    """Give ``role`` to the members of ``group`` at ``provider`` (one of ``providers``, the
    configured ones). Raises ValidationFailed listing every problem, Conflict if present."""
    check(actor, Action.MAP_GROUPS)
    group = group.strip()
    problems = []
    if provider not in providers:
        known = ", ".join(sorted(providers)) or "none is configured"
        problems.append(Problem("provider", f"No identity provider {provider!r} ({known})."))
    if not group or len(group) > 255:
        problems.append(Problem("group", "Give the group's name or id (at most 255 characters)."))
    if role not in {r.value for r in Role}:
        problems.append(Problem("role", f"Unknown role {role!r}."))
    if problems:
        raise ValidationFailed(problems)
    exists = session.scalar(
        select(GroupRole.id).where(
            GroupRole.provider == provider, GroupRole.group_name == group, GroupRole.role == role
        )
    )
    if exists:
        raise Conflict(f"Group {group!r} at {provider} already gives {role}.")
    mapping = GroupRole(provider=provider, group_name=group, role=role)
    session.add(mapping)
    session.flush()
    audit.record(session, actor, "group_role.add", "group_role", mapping.id, after=_view(mapping))
    return mapping


def remove_group_role(session: Session, actor: Actor, mapping_id: int) -> GroupRole:
    """Stop giving a role to a group; its members lose it at their next sign-in."""
    check(actor, Action.MAP_GROUPS)
    mapping = session.get(GroupRole, mapping_id)
    if mapping is None:
        raise NotFound(f"No group mapping {mapping_id}.")
    session.delete(mapping)
    session.flush()
    audit.record(
        session, actor, "group_role.remove", "group_role", mapping_id, before=_view(mapping)
    )
    return mapping


def roles_for_groups(session: Session, provider: str, groups: Iterable[str]) -> set[Role]:
    """The roles the table gives to a member of ``groups`` at ``provider`` (no permission:
    this is read while signing someone in, before there is an actor)."""
    names = list(dict.fromkeys(groups))
    if not names:
        return set()
    rows = session.scalars(
        select(GroupRole.role).where(
            GroupRole.provider == provider, GroupRole.group_name.in_(names)
        )
    )
    return {Role(role) for role in rows}


def _view(mapping: GroupRole) -> dict[str, str]:
    return {"provider": mapping.provider, "group": mapping.group_name, "role": mapping.role}
