"""Which department this installation belongs to: the one whose catalog it holds."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.auth.models import Department

_HOME_DEPARTMENTS: dict[str, int] = {}


def home_department_id(session: Session) -> int | None:
    """The department whose catalog this installation holds: the first one set up (None
    before any is). Read once per database by each process: it never changes."""
    database = session.get_bind().engine.url.render_as_string()
    found = _HOME_DEPARTMENTS.get(database)
    if found is None:
        found = session.scalar(select(func.min(Department.id)))
        if found is not None:
            _HOME_DEPARTMENTS[database] = found
    return found


def is_home(session: Session, department_id: int | None) -> bool:
    """Whether a user of ``department_id`` works for the home department (a user of no
    department is the installation's own, like its operator)."""
    return department_id is None or department_id == home_department_id(session)
