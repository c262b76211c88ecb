"""Who is acting: the identity every service receives and the audit log records."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from accord.auth.roles import Role

if TYPE_CHECKING:
    from accord.auth.models import User


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    roles: frozenset[Role]
    department_id: int | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    via: str = "web"
    # Works for the department whose catalog this installation holds (``home_department_id``),
    # as the installation's operator does; others see the catalog but change nothing in it.
    home: bool = True

    @classmethod
    def system(cls, via: str = "cli") -> Actor:
        """The operator of the installation (migrations, demo seeding, the first admin)."""
        return cls(user_id=None, username="system", roles=frozenset({Role.ADMIN}), via=via)


def actor_for(user: User, *, via: str = "web", request_id: str | None = None) -> Actor:
    from sqlalchemy.orm import object_session

    from accord.auth.departments import is_home

    session = object_session(user)
    roles = frozenset(Role(r) for r in user.role_names)
    return Actor(
        user.id,
        user.username,
        roles,
        user.department_id,
        request_id=request_id or uuid.uuid4().hex,
        via=via,
        home=session is None or is_home(session, user.department_id),
    )
