"""The demo's catalog work in progress, so every role's first screen has something real on it.

After the programs are harvested and described (``accord.demo.seed``), the demo people do
what a department's week leaves behind: the steward writes glossary terms and links them to
fields; the coordinator assigns Healthy Habits fields to the steward, who submits some, and
the coordinator publishes two and sends one back with a note, so descriptions stand in every
state; Your Environment's older datasets reach the end of their retention period; and a
vendor's extract folder vanished, so its harvest failed. All of it goes through the services,
as the person whose role it is, and is audited like any other change.
"""

from __future__ import annotations

import shutil
from contextlib import suppress
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.auth.actor import Actor, actor_for
from accord.auth.users import get_user
from accord.catalog.datasets import Inventory, add_months, update_inventory
from accord.catalog.describing import assign_steward, review_description, submit_for_review
from accord.catalog.glossary import link_term, save_term
from accord.catalog.harvest.runs import harvest_now
from accord.catalog.models import CatalogField, Dataset, Source
from accord.catalog.sources import add_source
from accord.config import Settings
from accord.db.engine import transaction
from accord.errors import AccordError

# term, acronym, definition, the columns it explains in every program database
GLOSSARY = [
    (
        "Client Index Number",
        "CIN",
        "The identifier the Medi-Cal Eligibility Data System gives each beneficiary.",
        ["medi_cal_cin"],
    ),
    (
        "Social Security number",
        "SSN",
        "The nine-digit number the Social Security Administration issues to a person.",
        ["ssn"],
    ),
    (
        "Hemoglobin A1c",
        "A1C",
        "The share of hemoglobin with glucose attached, in percent; a measure of average "
        "blood sugar over about three months.",
        ["a1c_percent", "mean_a1c_percent", "a1c_at_or_above_6_5"],
    ),
    (
        "Body mass index",
        "BMI",
        "Weight in kilograms divided by the square of height in metres.",
        ["bmi", "mean_bmi"],
    ),
    (
        "International Classification of Diseases, 10th revision",
        "ICD-10",
        "The diagnosis code set used in United States health records since October 2015.",
        ["icd10_code"],
    ),
    (
        "Federal Information Processing Standards county code",
        "FIPS",
        "The three-digit code the federal government gives each county within its state.",
        ["county_code"],
    ),
]

REVIEWED_PROGRAM = "healthyhabits"
ASSIGNED = 10  # fields of the reviewed program assigned to the steward
SUBMITTED = 6  # of which the steward submits these (all have definitions)
SEND_BACK_NOTE = "Say which screening types this covers and the unit of each measure."

# dataset -> (lifecycle, days until its retention period ends; negative: overdue)
RETENTION_PROGRAM = "yourenvironment"
RETENTION_MONTHS = 84
RETENTION = {
    "main.site_inspection": ("active", 30),
    "main.facility": ("archival_candidate", -15),
    "main.monitoring_site": ("archived", 60),
}

FAILED_SOURCE = "walk2work-vendor-extract"
FAILED_DESCRIPTION = (
    "Monthly trip extract the Walk2Work app vendor drops on the department's SFTP server."
)


def seed_workflow(settings: Settings, today: date) -> None:
    """Glossary, steward assignments, retention due and a failed harvest (see the module)."""
    with transaction(settings) as session:
        _glossary(session, _demo_actor(session, "steward"))
        _stewardship(session, _demo_actor(session, "coordinator"), _demo_actor(session, "steward"))
        _retention(session, _demo_actor(session, "coordinator"), today)
    _failed_harvest(settings)


def _demo_actor(session: Session, username: str) -> Actor:
    return actor_for(get_user(session, username), via="demo")


def _glossary(session: Session, steward: Actor) -> None:
    columns = {c for *_, cs in GLOSSARY for c in cs}
    fields: dict[str, list[int]] = {}
    for field_id, name in session.execute(
        select(CatalogField.id, CatalogField.name)
        .where(CatalogField.name.in_(columns), CatalogField.removed_at.is_(None))
        .order_by(CatalogField.id)
    ):
        fields.setdefault(name, []).append(field_id)
    for term, acronym, definition, linked in GLOSSARY:
        saved = save_term(session, steward, term=term, acronym=acronym, definition=definition)
        for column in linked:
            for field_id in fields.get(column, []):
                link_term(session, steward, field_id, saved.id)


def _stewardship(session: Session, coordinator: Actor, steward: Actor) -> None:
    rows = session.execute(
        select(CatalogField.id, CatalogField.definition)
        .join(Dataset, CatalogField.dataset_id == Dataset.id)
        .join(Source, Dataset.source_id == Source.id)
        .where(Source.name == REVIEWED_PROGRAM, CatalogField.removed_at.is_(None))
        .order_by(Dataset.name, CatalogField.position)
    ).all()
    defined = [i for i, definition in rows if definition.strip()][:SUBMITTED]
    undefined = [i for i, definition in rows if not definition.strip()]
    assigned = defined + undefined[: ASSIGNED - len(defined)]
    assign_steward(session, coordinator, steward.username, field_ids=assigned)
    submit_for_review(session, steward, defined)
    # two published, one sent back with a note, the rest left waiting for a reviewer
    for field_id in defined[:2]:
        review_description(session, coordinator, field_id, approve=True)
    if len(defined) > 2:
        review_description(session, coordinator, defined[2], approve=False, note=SEND_BACK_NOTE)


def _retention(session: Session, coordinator: Actor, today: date) -> None:
    datasets = dict(
        session.execute(
            select(Dataset.name, Dataset.id)
            .join(Source, Dataset.source_id == Source.id)
            .where(Source.name == RETENTION_PROGRAM, Dataset.name.in_(RETENTION))
        ).all()
    )
    for name, (lifecycle, days_left) in RETENTION.items():
        if name not in datasets:
            continue
        ends = today + timedelta(days=days_left)
        update_inventory(
            session,
            coordinator,
            datasets[name],
            Inventory(
                lifecycle=lifecycle,
                lifecycle_since=add_months(ends, -RETENTION_MONTHS),
                retention_months=RETENTION_MONTHS,
            ),
        )


def _failed_harvest(settings: Settings) -> None:
    """The vendor's folder existed when the engineer added it, and was gone at the harvest:
    the failure a data engineer meets most, left for them to look at."""
    folder = settings.data_dir / "sources" / FAILED_SOURCE
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "trips_2025_06.csv").write_text("trip_id,trip_date,minutes\n1,2025-06-02,23\n")
    with transaction(settings) as session:
        engineer = _demo_actor(session, "engineer")
        add_source(
            session,
            engineer,
            settings.key,
            name=FAILED_SOURCE,
            location=str(folder.resolve()),
            kind="files",
            description=FAILED_DESCRIPTION,
        )
    shutil.rmtree(folder)
    with suppress(AccordError):  # the failure is the point: its job and message stay on record
        harvest_now(settings, engineer, FAILED_SOURCE)
