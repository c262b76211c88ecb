"""Two departments with a person in every role, and a harvested catalog to ask data of.

The provider (CDW, set up first, so its catalog is the installation's) holds a small program
database; the recipient (DCS) asks for its fields. Every step goes through the real services.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from accord.auth.actor import Actor
from accord.catalog.fields import classify_field
from accord.catalog.harvest.runs import harvest_now
from accord.catalog.models import CatalogField, Dataset
from accord.catalog.sources import add_source
from accord.catalog.statutes import add_statute, set_field_statutes
from accord.config import Settings
from accord.db.engine import transaction
from tests.catalog.sample import make_sqlite_source
from tests.factories import make_user

ROLES = (
    "requester",
    "data_coordinator",
    "steward",
    "legal",
    "privacy_officer",
    "security_officer",
    "executive",
    "data_engineer",
    "auditor",
    "program_owner",
    "admin",
)


@dataclass
class World:
    settings: Settings
    cdw: dict[str, Actor]  # provider, by role
    dcs: dict[str, Actor]  # recipient, by role
    other: Actor  # a coordinator of a department that is no party
    fields: dict[str, int]  # "client.ssn" -> field id


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> World:
    return build_world(settings, tmp_path)


def build_world(settings: Settings, tmp_path: Path) -> World:
    cdw = {role: make_user(settings, f"cdw_{role}", role, department="CDW") for role in ROLES}
    dcs = {role: make_user(settings, f"dcs_{role}", role, department="DCS") for role in ROLES}
    other = make_user(settings, "xyz_coordinator", "data_coordinator", department="XYZ")
    location = make_sqlite_source(tmp_path / "program.sqlite")
    with transaction(settings) as session:
        add_source(session, cdw["data_engineer"], settings.key, name="program", location=location)
    harvest_now(settings, cdw["data_engineer"], "program")
    with transaction(settings) as session:
        fields = {
            f"{d.rpartition('.')[2]}.{f}": i
            for i, d, f in session.execute(
                select(CatalogField.id, Dataset.name, CatalogField.name).join(Dataset)
            )
        }
        classify_field(session, cdw["security_officer"], fields["client.ssn"], ["PII:ssn"])
        classify_field(session, cdw["security_officer"], fields["visit.diagnosis_code"], ["PHI"])
        add_statute(session, cdw["steward"], "WIC 10850", title="Confidentiality")
        set_field_statutes(session, cdw["steward"], fields["client.ssn"], ["WIC 10850"])
    return World(settings, cdw, dcs, other, fields)
