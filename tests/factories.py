"""Build users and departments through the real services."""

from __future__ import annotations

from sqlalchemy import select

from accord.auth.actor import Actor, actor_for
from accord.auth.models import Department
from accord.auth.users import create_department, create_user
from accord.config import Settings
from accord.db.engine import transaction

PASSWORD = "correct-horse-battery"


def make_user(settings: Settings, username: str, *roles: str, department: str = "CDW") -> Actor:
    """Create a user (and the department if new) and return them as an actor."""
    with transaction(settings) as session:
        if session.scalar(select(Department).where(Department.code == department)) is None:
            create_department(session, Actor.system(), department, f"Department {department}")
        user = create_user(
            session,
            Actor.system(),
            username=username,
            full_name=username.title(),
            password=PASSWORD,
            department_code=department,
            roles=list(roles),
        )
        return actor_for(user)
