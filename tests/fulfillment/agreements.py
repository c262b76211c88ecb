"""An approved, filed agreement to fulfil, reached through the real proposal services.

The recipient (DCS) asks the provider (CDW) for client and visit records; the agreement
requires record-level de-identification. Classifications follow the department's policy:
the name and SSN are direct identifiers, the client number links records, dates are tied to a
person.
"""

from __future__ import annotations

import functools
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from accord.catalog.fields import classify_field
from accord.db.engine import transaction
from accord.proposals.drafting import transition
from accord.proposals.models import Agreement
from tests.proposals import stages
from tests.proposals.conftest import World, build_world
from tests.sftp_server import SftpTestServer

FIELDS = (
    "client.client_id",
    "client.full_name",
    "client.ssn",
    "client.birth_date",
    "client.county",
    "visit.visit_id",
    "visit.client_id",
    "visit.visit_date",
    "visit.diagnosis_code",
)
CLASSIFIED = {
    "client.client_id": ["PII:other_id"],
    "visit.client_id": ["PII:other_id"],
    "client.full_name": ["PII:name"],
    "client.birth_date": ["PII:date"],
    "visit.visit_date": ["PII:date"],
}


def fulfil_world(settings: object, tmp_path: Path) -> World:
    w = build_world(settings, tmp_path)  # type: ignore[arg-type]
    with transaction(w.settings) as session:
        for name, codes in CLASSIFIED.items():
            classify_field(session, w.cdw["security_officer"], w.fields[name], codes)
    return w


def filed_agreement(
    w: World, monkeypatch: pytest.MonkeyPatch, deidentification: str = "record_level"
) -> int:
    """A proposal for FIELDS taken to a filed agreement that is in force today."""
    monkeypatch.setattr(stages, "start", functools.partial(stages.start, fields=FIELDS))
    monkeypatch.setitem(stages.REVIEW_ANSWERS, "deidentification", deidentification)
    pid = stages.to_approved(w)
    stages.run(w, transition, w.dcs["data_coordinator"], pid, "file")  # IDEA: the recipient files
    with transaction(w.settings) as session:
        agreement = session.scalar(select(Agreement).where(Agreement.proposal_id == pid))
        assert agreement is not None
        # the stages write a start date in 2027; the agreement must be in force to deliver
        agreement.start_date = date.today() - timedelta(days=1)
    return pid


def sftp_destination(w: World, pid: int, server: SftpTestServer) -> int:
    """The recipient records its (real, test) SFTP server for the agreement; Accord signs in."""
    from accord.fulfillment.deliveries import add_destination
    from tests.fulfillment.conftest import PASSWORD, UPLOAD_DIR

    with transaction(w.settings) as session:
        return add_destination(
            session,
            w.dcs["data_coordinator"],
            w.settings,
            pid,
            name="DCS research enclave",
            host=server.host,
            port=server.port,
            username=server.username,
            remote_dir=f"/{UPLOAD_DIR}",
            host_key=server.host_key,
            password=PASSWORD,
        ).id
