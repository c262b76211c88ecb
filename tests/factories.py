"""Build users and departments through the real services."""

from __future__ import annotations

from sqlalchemy import Executable, select, text

from accord.auth.actor import Actor, actor_for
from accord.auth.models import Department
from accord.auth.users import create_department, create_user
from accord.config import Settings
from accord.db.engine import get_engine, transaction

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


def tamper_with_audit_log(settings: Settings, sql: str | Executable) -> None:
    """Someone with database rights removes the append-only guard and changes rows."""
    engine = get_engine(settings.resolved_database_url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
        else:
            conn.execute(text("DROP TRIGGER audit_entry_no_update"))
            conn.execute(text("DROP TRIGGER audit_entry_no_delete"))
        conn.execute(text(sql) if isinstance(sql, str) else sql)
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER audit_entry_append_only"))
