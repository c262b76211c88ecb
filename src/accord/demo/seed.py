"""The demo department: the guidebook's fictional California Department of Wellness.

Seeding creates the department (and one partner department that requests data), a demo user
for every role, one generated source database per program, and harvests those sources into the
catalog with their program and a few business definitions (published, but for the program
whose review is in progress), then the catalog work in progress
(``accord.demo.workflow``: glossary, steward assignments, retention due, a failed harvest), then
the partner's proposals in
every state (``accord.demo.proposals``), each step done by the demo user whose role it is. It
runs once, on an empty installation; running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.auth.actor import Actor, actor_for
from accord.auth.models import Department, User
from accord.auth.permissions import Action, check
from accord.auth.roles import Role
from accord.auth.users import create_department, create_user, get_user
from accord.catalog.datasets import Inventory, list_datasets, update_inventory
from accord.catalog.describing import review_description, submit_for_review
from accord.catalog.fields import Description, describe_field
from accord.catalog.harvest.runs import harvest_now
from accord.catalog.models import CatalogField, Dataset, Source
from accord.catalog.sources import add_source
from accord.catalog.statutes import add_statute, set_field_statutes
from accord.catalog.suggestions import decide, open_suggestions, suggest
from accord.config import Settings
from accord.db.base import utcnow
from accord.db.engine import transaction
from accord.demo.deliveries import seed_deliveries
from accord.demo.proposals import seed_proposals
from accord.demo.sources import (
    PROGRAM_DESCRIPTIONS,
    TABLE_DESCRIPTIONS,
    EventsWritten,
    ProgramSource,
    describe_sources,
    generate_sources,
)
from accord.demo.workflow import REVIEWED_PROGRAM, seed_workflow

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
    # the partner department's side of a proposal: each role BUCP.md §2.2 names for it
    DemoUser("dcs.coordinator", "Marisol Ortega", "DCS", (Role.DATA_COORDINATOR,)),
    DemoUser("dcs.program", "Jamal Carter", "DCS", (Role.PROGRAM_OWNER,)),
    DemoUser("dcs.legal", "Daniel Whitfield", "DCS", (Role.LEGAL,)),
    DemoUser("dcs.privacy", "Priya Raman", "DCS", (Role.PRIVACY_OFFICER,)),
    DemoUser("dcs.security", "Kevin Tran", "DCS", (Role.SECURITY_OFFICER,)),
    DemoUser("dcs.sponsor", "Angela Brooks", "DCS", (Role.EXECUTIVE,)),
]
MAIL_DOMAINS = {"CDW": "wellness.example", "DCS": "community-services.example"}


def is_seeded(session: Session) -> bool:
    return session.scalar(select(Department.id).where(Department.code == "CDW")) is not None


def seed_demo(
    settings: Settings,
    actor: Actor,
    *,
    events: int = 5_000,
    seed: int = 2024,
    progress: EventsWritten | None = None,
) -> list[ProgramSource]:
    """Create the demo department, its users, its program sources and their catalog, once."""
    check(actor, Action.SEED_DEMO)
    sources = generate_sources(
        settings.data_dir / "sources", seed=seed, events=events, progress=progress
    )
    with transaction(settings) as session:
        if is_seeded(session):
            return sources
        _people(session, actor)
        steward = _demo_actor(session, "steward")
        for citation, title in STATUTES.items():
            add_statute(session, steward, citation, title=title, url=_statute_url(citation))
    for program in sources:
        _catalog(settings, program)
        _classify(settings, program)
    seed_workflow(settings, utcnow().date())
    seed_proposals(settings)
    seed_deliveries(settings)
    return sources


# Statutes that govern the demo's data, with where to read them.
STATUTES = {
    "WIC 10850": "Confidentiality of public social services records",
    "WIC 14100.2": "Confidentiality of Medi-Cal applicant and beneficiary information",
    "HSC 123100": "Patient access to health records",
    "CIV 1798.24": "Information Practices Act: disclosure of personal information",
    "45 CFR 164.514(b)": "HIPAA de-identification standard",
}
LEGINFO = "https://leginfo.legislature.ca.gov/faces/codes_displaySection.xhtml"
CITATIONS = {  # column -> statutes cited on it in every program database
    "ssn": ["CIV 1798.24", "WIC 10850"],
    "medi_cal_cin": ["WIC 14100.2"],
    "birth_date": ["CIV 1798.24"],
    "icd10_code": ["45 CFR 164.514(b)"],
    "a1c_percent": ["45 CFR 164.514(b)", "HSC 123100"],
    "bmi": ["45 CFR 164.514(b)"],
}


def _statute_url(citation: str) -> str:
    code, _, section = citation.partition(" ")
    if code in ("WIC", "HSC", "CIV"):
        return f"{LEGINFO}?lawCode={code}&sectionNum={section}"
    return "https://www.ecfr.gov/current/title-45/section-164.514"


def _people(session: Session, actor: Actor) -> None:
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
                email=f"{demo.username}@{MAIL_DOMAINS[demo.department]}",
            )


def _demo_actor(session: Session, username: str) -> Actor:
    return actor_for(get_user(session, username), via="demo")


def _classify(settings: Settings, program: ProgramSource) -> None:
    """The demo's security officer runs the classifier and accepts its surest suggestions;
    the rest stay open in the queue, so the workflow has something to show."""
    with transaction(settings) as session:
        security = _demo_actor(session, "security")
    suggest(settings, security, program.slug, sample_size=50)
    with transaction(settings) as session:
        source_id = session.scalar(select(Source.id).where(Source.name == program.slug))
        sure = [
            item.suggestion.id
            for item in open_suggestions(session, security, limit=10_000)
            if item.dataset.source_id == source_id and item.suggestion.confidence >= 0.9
        ]
        if sure:
            decide(session, security, sure, accept=True)
        steward = _demo_actor(session, "steward")
        for field_id, column in session.execute(
            select(CatalogField.id, CatalogField.name)
            .join(Dataset)
            .where(Dataset.source_id == source_id, CatalogField.name.in_(CITATIONS))
        ).all():
            set_field_statutes(session, steward, field_id, CITATIONS[column])


def _catalog(settings: Settings, program: ProgramSource) -> None:
    with transaction(settings) as session:
        engineer = _demo_actor(session, "engineer")
        add_source(
            session,
            engineer,
            settings.key,
            name=program.slug,
            location=f"sqlite:///{program.path.resolve()}",
            kind="database",
            description=PROGRAM_DESCRIPTIONS[program.slug],
        )
    harvest_now(settings, engineer, program.slug)
    definitions = describe_sources()[program.slug]
    with transaction(settings) as session:
        coordinator = _demo_actor(session, "coordinator")
        steward = _demo_actor(session, "steward")
        source_id = session.scalar(select(Source.id).where(Source.name == program.slug))
        for row in list_datasets(session, coordinator, source_id=source_id):
            update_inventory(
                session,
                coordinator,
                row.dataset.id,
                Inventory(
                    description=TABLE_DESCRIPTIONS.get(
                        row.dataset.name.split(".", 1)[-1], ""
                    ).format(program=program.program),
                    program=program.program,
                    system=f"{program.program} enrollment system",
                    owner=f"{program.program} program office",
                    retention_months=84,
                    # the public request-data page lists the programs whose dictionary is settled
                    listed_publicly=program.slug != REVIEWED_PROGRAM,
                ),
            )
        fields = session.execute(
            select(CatalogField.id, Dataset.name, CatalogField.name)
            .join(Dataset)
            .where(Dataset.source_id == source_id)
        ).all()
        described = []
        for field_id, table, column in fields:
            text = definitions.get(table.split(".", 1)[-1], {}).get(column)
            if text:
                describe_field(session, steward, field_id, Description(definition=text))
                described.append(field_id)
        if program.slug != REVIEWED_PROGRAM and described:
            # the program's settled dictionary, read by other departments too; the reviewed
            # program's definitions are the steward's work in progress (accord.demo.workflow)
            submit_for_review(session, steward, described)
            for field_id in described:
                review_description(session, coordinator, field_id, approve=True)
