"""Fulfillment over /api/v1 as automation uses it: the plan read and changed (422 listing every
field outside the agreement or rule not allowed, nothing saved), a run queued and run by the
worker, the package taken by the recipient (recorded as a delivery), a link made once, 404 for
a department that is no party and 403 for a party without the role or side."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pyrage
import pytest
from fastapi.testclient import TestClient
from pyrage import x25519

from accord.config import Settings
from accord.db.engine import transaction
from accord.fulfillment import deliveries
from accord.jobs.worker import run_pending
from tests.fulfillment.agreements import filed_agreement, fulfil_world
from tests.fulfillment.conftest import (  # noqa: F401 - the SFTP server fixtures
    PASSWORD,
    UPLOAD_DIR,
    client_key,
    sftp_server,
    start_sftp_server,
)
from tests.fulfillment.test_encryption import AGE_KEY
from tests.fulfillment.test_roles import FAKE_HOST_KEY  # a destination never signed into
from tests.proposals.conftest import World
from tests.sftp_server import SftpTestServer
from tests.web.test_proposal_api import Api

pytestmark = pytest.mark.db


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> World:
    return fulfil_world(settings, tmp_path)


@pytest.fixture
def api(app_client: TestClient, settings: Settings) -> Api:
    return Api(app_client, settings)


def test_the_plan_is_read_and_a_bad_change_is_refused_whole(
    world: World, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = filed_agreement(world, monkeypatch)
    engineer = world.cdw["data_engineer"]
    plan = api.raw(engineer, "GET", f"/agreements/{pid}/plan").json()
    rules = {f"{f['dataset']}.{f['field']}": f["rule"] for f in plan["fields"]}
    assert rules["main.client.ssn"] == "drop" and plan["release"] == "record_level"
    refused = api.raw(
        engineer,
        "PUT",
        f"/agreements/{pid}/plan",
        {"rules": {"main.client.ssn": "keep", "main.client.county": "drop", "x.y": "keep"}},
    )
    assert refused.status_code == 422
    text = refused.text
    assert "main.client.ssn may only be" in text and "does not authorise x.y" in text
    again = api.raw(engineer, "GET", f"/agreements/{pid}/plan").json()
    assert {f"{f['dataset']}.{f['field']}": f["rule"] for f in again["fields"]} == rules
    changed = api.raw(
        engineer, "PUT", f"/agreements/{pid}/plan", {"rules": {"main.client.county": "drop"}}
    )
    assert changed.status_code == 200, changed.text
    county = next(f for f in changed.json()["fields"] if f["field"] == "county")
    assert county["rule"] == "drop" and county["default"] == "keep"


def test_a_run_is_queued_run_and_its_package_taken_by_the_recipient(
    world: World, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = filed_agreement(world, monkeypatch)
    engineer, receiver = world.cdw["data_engineer"], world.dcs["data_engineer"]
    queued = api.raw(engineer, "POST", f"/agreements/{pid}/runs")
    assert queued.status_code == 202, queued.text
    run_id = queued.json()["id"]
    assert queued.json()["status"] == "queued"
    assert api.raw(engineer, "POST", f"/agreements/{pid}/runs").status_code == 409  # one at a time
    run_pending(world.settings)
    run = api.raw(receiver, "GET", f"/fulfillment/runs/{run_id}").json()
    assert run["status"] == "succeeded" and run["package"]
    assert "main.client.ssn" not in run["fields"] and "main.client.county" in run["fields"]
    assert api.raw(engineer, "GET", f"/fulfillment/runs/{run_id}/package").status_code == 403
    taken = api.raw(receiver, "GET", f"/fulfillment/runs/{run_id}/package")
    assert taken.status_code == 200
    assert hashlib.sha256(taken.content).hexdigest() == run["sha256"]
    assert taken.headers["x-checksum-sha256"] == run["sha256"]
    (delivery,) = api.raw(receiver, "GET", f"/agreements/{pid}/deliveries").json()
    assert delivery["method"] == "api" and delivery["status"] == "sent"
    linked = api.raw(engineer, "POST", f"/fulfillment/runs/{run_id}/links", {"days": 3})
    assert linked.status_code == 201
    url = linked.json()["url"]
    assert "/download/" in url
    assert api.client.get(url.split("testserver", 1)[1]).content == taken.content
    assert (
        api.raw(engineer, "POST", f"/fulfillment/runs/{run_id}/links", {"days": 99}).status_code
        == 422
    )


def test_strangers_get_404_and_the_wrong_side_403(
    world: World, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = filed_agreement(world, monkeypatch)
    assert api.raw(world.other, "GET", f"/agreements/{pid}/plan").status_code == 404
    assert api.raw(world.other, "GET", f"/agreements/{pid}/deliveries").status_code == 404
    assert api.raw(world.dcs["data_engineer"], "POST", f"/agreements/{pid}/runs").status_code == 403
    assert api.raw(world.cdw["requester"], "POST", f"/agreements/{pid}/runs").status_code == 403


def test_deliveries_are_scheduled_read_and_stopped_and_bad_requests_change_nothing(
    world: World, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = filed_agreement(world, monkeypatch)
    coordinator, recipient = world.cdw["data_coordinator"], world.dcs["data_coordinator"]
    assert api.raw(coordinator, "GET", f"/agreements/{pid}/schedule").status_code == 404
    with transaction(world.settings) as session:
        destination = deliveries.add_destination(
            session,
            recipient,
            world.settings,
            pid,
            name="Enclave",
            host="sftp.example",
            port=22,
            username="drop",
            remote_dir="incoming",
            host_key=FAKE_HOST_KEY,
            password="x",
            check=False,
        ).id
    body = {"destination_id": destination, "first_due": "2001-01-01"}
    refused = api.raw(coordinator, "PUT", f"/agreements/{pid}/schedule", body)
    assert refused.status_code == 422 and "soonest" in refused.text
    assert (
        api.raw(
            recipient, "PUT", f"/agreements/{pid}/schedule", {"destination_id": destination}
        ).status_code
        == 403
    )
    assert api.raw(world.other, "GET", f"/agreements/{pid}/schedule").status_code == 404

    made = api.raw(
        coordinator, "PUT", f"/agreements/{pid}/schedule", {"destination_id": destination}
    )
    assert made.status_code == 200, made.text
    assert made.json()["active"] and made.json()["next_due"] == date.today().isoformat()
    seen = api.raw(recipient, "GET", f"/agreements/{pid}/schedule").json()
    assert seen == made.json()
    stopped = api.raw(coordinator, "DELETE", f"/agreements/{pid}/schedule")
    assert stopped.status_code == 200 and not stopped.json()["active"]
    assert api.raw(coordinator, "DELETE", f"/agreements/{pid}/schedule").status_code == 409


def test_packages_are_encrypted_for_the_key_the_recipient_gives(
    world: World, api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = filed_agreement(world, monkeypatch)
    engineer, receiver = world.cdw["data_engineer"], world.dcs["data_engineer"]
    identity = x25519.Identity.generate()
    path = f"/agreements/{pid}/encryption"
    leaked = api.raw(receiver, "PUT", path, {"recipient_key": str(identity)})
    assert leaked.status_code == 422 and "That is a private key" in leaked.text
    assert api.raw(world.other, "PUT", path, {"recipient_key": AGE_KEY}).status_code == 404
    assert api.raw(engineer, "GET", f"/agreements/{pid}/plan").json()["recipient_key"] == ""
    public = str(identity.to_public())
    made = api.raw(receiver, "PUT", path, {"recipient_key": public})
    assert made.status_code == 200 and made.json()["recipient_key"] == public
    run_id = api.raw(engineer, "POST", f"/agreements/{pid}/runs").json()["id"]
    run_pending(world.settings)
    run = api.raw(receiver, "GET", f"/fulfillment/runs/{run_id}").json()
    assert run["encrypted_for"] == public and run["zip_sha256"] != run["sha256"]
    taken = api.raw(receiver, "GET", f"/fulfillment/runs/{run_id}/package")
    assert taken.status_code == 200 and taken.headers["content-type"] == "application/octet-stream"
    assert hashlib.sha256(taken.content).hexdigest() == run["sha256"]
    opened = pyrage.decrypt(taken.content, [identity])
    assert hashlib.sha256(opened).hexdigest() == run["zip_sha256"]


def test_the_recipient_records_and_lists_its_sftp_server(
    world: World,
    api: Api,
    monkeypatch: pytest.MonkeyPatch,
    sftp_server: SftpTestServer,  # noqa: F811
) -> None:
    pid = filed_agreement(world, monkeypatch)
    receiver, engineer = world.dcs["data_engineer"], world.cdw["data_engineer"]
    body = {
        "name": "DCS enclave",
        "host": sftp_server.host,
        "port": sftp_server.port,
        "username": sftp_server.username,
        "remote_dir": f"/{UPLOAD_DIR}",
        "host_key": FAKE_HOST_KEY,  # not the server's: Accord refuses to sign in
        "password": PASSWORD,
    }
    path = f"/agreements/{pid}/destinations"
    refused = api.raw(receiver, "POST", path, body)
    assert refused.status_code == 422 and "host key" in refused.text.lower()
    assert api.raw(world.other, "POST", path, body).status_code == 404
    made = api.raw(receiver, "POST", path, body | {"host_key": sftp_server.host_key})
    assert made.status_code == 201, made.text
    listed = api.raw(engineer, "GET", path).json()
    assert [d["id"] for d in listed] == [made.json()["id"]]
    assert PASSWORD not in made.text and "password" not in listed[0]
    assert listed[0]["auth"] == "password"
