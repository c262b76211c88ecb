"""The demo department: the guidebook's fictional California Department of Wellness.

Seeding creates the department (and one partner department that requests data), a demo user
for every role, and one generated source database per program. It runs once, on an empty
installation; running it again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.auth.actor import Actor
from accord.auth.models import Department, User
from accord.auth.permissions import Action, check
from accord.auth.roles import Role
from accord.auth.users import create_department, create_user
from accord.demo.sources import ProgramSource, generate_sources

DEMO_PASSWORD = "wellness-demo"  # noqa: S105 - published demo credential, demo data only

DEPARTMENTS = {
    "CDW": "California Department of Wellness",
    "DCS": "Department of Community Services",
}


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    department: str
    roles: tuple[Role, ...]


DEMO_USERS = [
    DemoUser("admin", "Alex Admin", "CDW", (Role.ADMIN,)),
    DemoUser("coordinator", "Casey Coordinator", "CDW", (Role.DATA_COORDINATOR,)),
    DemoUser("steward", "Sam Steward", "CDW", (Role.STEWARD,)),
    DemoUser("security", "Sky Security", "CDW", (Role.SECURITY_OFFICER,)),
    DemoUser("privacy", "Pat Privacy", "CDW", (Role.PRIVACY_OFFICER,)),
    DemoUser("legal", "Lee Legal", "CDW", (Role.LEGAL,)),
    DemoUser("owner", "Olive Owner", "CDW", (Role.PROGRAM_OWNER,)),
    DemoUser("engineer", "Eli Engineer", "CDW", (Role.DATA_ENGINEER,)),
    DemoUser("executive", "Evan Executive", "CDW", (Role.EXECUTIVE,)),
    DemoUser("auditor", "Ava Auditor", "CDW", (Role.AUDITOR,)),
    DemoUser("requester", "Riley Requester", "DCS", (Role.REQUESTER,)),
]


def is_seeded(session: Session) -> bool:
    return session.scalar(select(Department.id).where(Department.code == "CDW")) is not None


def seed_demo(
    session: Session,
    actor: Actor,
    data_dir: Path,
    *,
    events: int = 5_000,
    seed: int = 2024,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[ProgramSource]:
    """Create the demo department, its users and its program sources, once."""
    check(actor, Action.SEED_DEMO)
    sources = generate_sources(data_dir / "sources", seed=seed, events=events, progress=progress)
    if is_seeded(session):
        return sources
    for code, name in DEPARTMENTS.items():
        create_department(session, actor, code, name)
    for demo in DEMO_USERS:
        if session.scalar(select(User.id).where(User.username == demo.username)) is None:
            create_user(
                session,
                actor,
                username=demo.username,
                full_name=demo.full_name,
                password=DEMO_PASSWORD,
                department_code=demo.department,
                roles=[r.value for r in demo.roles],
                email=f"{demo.username}@wellness.example",
            )
    return sources
