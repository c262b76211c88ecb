"""An approved, filed agreement fulfilled and delivered, in a real browser, as its users do it.

CDW's data engineer runs the plan into a package and sends it by SFTP and by a download link;
DCS's data engineer records their SFTP server (Accord signs in to it and writes a probe file
first), downloads the package with the link, verifies its checksums, reads the Parquet with
its data dictionary, and acknowledges it. The SFTP server is a real one on loopback; the
worker of ``accord serve`` runs the jobs. Last, the quarterly agreement is scheduled and the
worker sends the first due package by itself; and the recipient gives a public key, for which
the next package is encrypted.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import time
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from playwright.sync_api import Browser, Page, expect
from pyrage import x25519

from accord.config import Settings
from accord.fulfillment.verify import verify_package
from tests.browser.test_navigation import sign_in
from tests.fulfillment.agreements import filed_agreement, fulfil_world
from tests.serving import running_server
from tests.sftp_server import SftpTestServer

pytestmark = [pytest.mark.browser, pytest.mark.db]
SHOTS = os.environ.get("ACCORD_SCREENSHOTS", "")
SFTP_PASSWORD = "recipient-drop-password"


def _person(browser: Browser, base: str, username: str) -> Page:
    page = browser.new_context(accept_downloads=True).new_page()
    page.set_default_timeout(15_000)
    sign_in(page, base, username)
    return page


def _shot(page: Page, tmp_path: Path, name: str) -> None:
    folder = Path(SHOTS) if SHOTS else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_an_agreement_is_fulfilled_and_delivered_over_sftp_and_a_link(
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    browser: Browser,
) -> None:
    w = fulfil_world(settings, tmp_path)
    pid = filed_agreement(w, monkeypatch)
    with (
        running_server(settings, "--worker", ACCORD_JOB_PERIODIC_SECONDS="0.5") as running,
        SftpTestServer(tmp_path / "sftp", password=SFTP_PASSWORD) as sftp,
    ):
        (sftp.root / "incoming").mkdir()
        base = running.base
        url = f"{base}/proposals/{pid}/fulfillment"

        recipient = _person(browser, base, "dcs_data_engineer")
        recipient.goto(url)
        expect(recipient.get_by_role("heading", name="SFTP destinations")).to_be_visible()
        expect(recipient.get_by_role("button", name="Extract and package now")).to_have_count(0)
        recipient.get_by_text("Add the recipient's SFTP server").click()
        recipient.get_by_label("Name", exact=True).fill("DCS research enclave")
        recipient.get_by_label("Host", exact=True).fill(sftp.host)
        recipient.get_by_label("Port", exact=True).fill(str(sftp.port))
        recipient.get_by_label("Account", exact=True).fill(sftp.username)
        recipient.get_by_label("Folder", exact=True).fill("incoming")
        recipient.get_by_label("Server's public host key").fill(sftp.host_key)
        recipient.get_by_label("Password", exact=True).fill(SFTP_PASSWORD)
        recipient.get_by_role("button", name="Test and save").click()
        expect(recipient.get_by_role("status")).to_contain_text("destination was saved")

        provider = _person(browser, base, "cdw_data_engineer")
        provider.goto(url)
        plan = provider.get_by_role("table", name="Authorised fields")
        expect(plan.get_by_role("row", name="ssn")).to_contain_text("Dropped")
        provider.get_by_role("button", name="Extract and package now").click()
        runs = provider.get_by_role("table", name="Runs, newest first")
        expect(runs).to_contain_text("Finished", timeout=60_000)
        provider.get_by_label("or by SFTP to").select_option(label="DCS research enclave")
        provider.get_by_role("button", name="Send by SFTP").click()
        deliveries = provider.get_by_role("table", name="What was sent where")
        expect(deliveries).to_contain_text("Sent", timeout=60_000)
        provider.get_by_role("button", name="Make a download link").click()
        link = provider.get_by_label("Link", exact=True).input_value()
        assert link.startswith(f"{base}/download/")
        _shot(provider, tmp_path, "fulfillment-provider")

        answer = recipient.request.get(link)
        assert answer.ok, answer.status
        body = answer.body()
        digest = hashlib.sha256(body).hexdigest()
        assert answer.headers["x-checksum-sha256"] == digest
        package = tmp_path / "received.zip"
        package.write_bytes(body)
        assert verify_package(package).problems == ()
        (sent,) = (sftp.root / "incoming").iterdir()
        assert sent.read_bytes() == body  # the same package by both routes

        with zipfile.ZipFile(package) as z:
            names = z.namelist()
            data = next(n for n in names if n.endswith("client.parquet"))
            clients = pq.read_table(io.BytesIO(z.read(data))).to_pydict()
            schema = next(n for n in names if n.endswith("client.csv") and "dictionary" in n)
            described = {
                r["name"] for r in csv.DictReader(io.StringIO(z.read(schema).decode("utf-8-sig")))
            }
        assert "ssn" not in clients and "full_name" not in clients
        assert set(clients) <= described
        assert len(clients["client_id"][0]) == 32

        recipient.goto(url)
        recipient.get_by_role(
            "button", name="We received it and the checksum matches"
        ).first.click()
        expect(recipient.get_by_role("status")).to_contain_text("recorded as received")
        _shot(recipient, tmp_path, "fulfillment-recipient")

        refused = recipient.request.get(link + "x")
        assert refused.status == 404

        # the agreement is quarterly: from now on the worker delivers it on schedule
        provider.goto(url)
        schedule = provider.get_by_role("region", name="Scheduled deliveries")
        expect(schedule).to_contain_text("calls for a delivery every quarter")
        schedule.get_by_label("Send each package to").select_option(label="DCS research enclave")
        schedule.get_by_role("button", name="Deliver every quarter on schedule").click()
        expect(provider.get_by_role("status")).to_contain_text("Deliveries are scheduled")
        incoming = sftp.root / "incoming"
        deadline = time.monotonic() + 90
        while len(list(incoming.iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len(list(incoming.iterdir())) == 2, "the due delivery was not sent"
        provider.reload()
        expect(schedule).to_contain_text("the next delivery is due on")
        expect(schedule).to_contain_text("Sending the package of run 2")
        _shot(provider, tmp_path, "fulfillment-schedule")

        # the recipient gives a public key: the next package is sealed for it
        recipient.goto(url)
        identity = x25519.Identity.generate()
        recipient.get_by_label("The recipient's public key").fill(str(identity.to_public()))
        recipient.get_by_role("button", name="Encrypt packages for this key").click()
        expect(recipient.get_by_role("status")).to_contain_text("encrypted for that key")
        provider.goto(url)
        provider.get_by_role("button", name="Extract and package now").click()
        expect(runs.get_by_role("row").nth(1)).to_contain_text(
            "encrypted for the recipient", timeout=60_000
        )
        _shot(provider, tmp_path, "fulfillment-encrypted")
