"""The Attachments section of the proposal page: a file attached with the page's CSRF token
and listed with its size, who and when; a refused file shown at the form with nothing stored;
an opinion's file listed and downloadable only for who reads opinions, its download audited;
the requested fields' dictionary downloadable in the catalog's formats."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from accord.auth.actor import Actor
from accord.config import Settings
from accord.proposals import reviews
from accord.proposals.attachments import add_attachment
from tests.proposals.conftest import World, build_world
from tests.proposals.stages import run, start, to_review
from tests.web.helpers import CSRF, sign_in
from tests.web.test_proposal_pages import restricted_reads

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"
Browse = Callable[[Actor], TestClient]


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> World:
    return build_world(settings, tmp_path)


@pytest.fixture
def browse(app_client: TestClient) -> Browse:
    clients: dict[str, TestClient] = {}

    def as_person(actor: Actor) -> TestClient:
        if actor.username not in clients:
            client = TestClient(app_client.app, raise_server_exceptions=False)
            sign_in(client, actor.username)
            clients[actor.username] = client
        return clients[actor.username]

    return as_person


def attach(client: TestClient, pid: int, name: str, data: bytes, opinion_id: str = "") -> object:
    match = CSRF.search(client.get(f"/proposals/{pid}").text)
    assert match, "no form on the proposal page"
    return client.post(
        f"/proposals/{pid}/attachments",
        data={"csrf_token": match.group(1), "opinion_id": opinion_id},
        files={"file": (name, data, "application/octet-stream")},
        follow_redirects=False,
    )


def stored(w: World, pid: int) -> list[str]:
    folder = w.settings.data_dir / "proposals" / str(pid)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_file_attached_on_the_page_is_listed_and_downloaded(world: World, browse: Browse) -> None:
    pid = start(world)
    requester = browse(world.dcs["requester"])
    page = requester.get(f"/proposals/{pid}").text
    assert 'id="attachments"' in page and 'enctype="multipart/form-data"' in page
    response = attach(requester, pid, "Use case (v2).pdf", PDF)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"].endswith("notice=attached&at=attachments#attachments")  # type: ignore[attr-defined]
    shown = browse(world.cdw["steward"]).get(f"/proposals/{pid}").text
    assert "Use case (v2).pdf" in shown and f"{len(PDF)} bytes" in shown
    assert world.dcs["requester"].username in shown
    link = f"/proposals/{pid}/attachments/"
    attachment_id = shown.split(link, 1)[1].split('"', 1)[0]
    file = browse(world.cdw["steward"]).get(link + attachment_id)
    assert file.status_code == 200 and file.content == PDF
    assert file.headers["content-disposition"].startswith("attachment;")
    # a party that may not comment (an auditor) sees the file but no upload form
    auditor = browse(world.dcs["auditor"]).get(f"/proposals/{pid}").text
    assert "Use case (v2).pdf" in auditor and "Attach the file" not in auditor


def test_a_refused_file_is_shown_at_the_form_and_nothing_is_stored(
    world: World, browse: Browse
) -> None:
    pid = start(world)
    requester = browse(world.dcs["requester"])
    for name, data, says in (
        ("tool.exe", b"MZ\x90\x00", "Accepted types"),
        ("scan.png", b"%PDF-1.7 pretending", "not a .png file"),
        ("", b"", "Choose a file to attach."),
    ):
        refused = attach(requester, pid, name, data)
        assert refused.status_code == 422, name  # type: ignore[attr-defined]
        text = refused.text  # type: ignore[attr-defined]
        form_at = text.index('id="h-attachments"')
        assert says in text[form_at:] and "<strong>File</strong>" in text[form_at:]
    assert stored(world, pid) == []
    assert "No files attached" in requester.get(f"/proposals/{pid}").text
    no_token = requester.post(
        f"/proposals/{pid}/attachments", files={"file": ("a.pdf", PDF, "application/pdf")}
    )
    assert no_token.status_code == 403 and stored(world, pid) == []


def test_an_opinions_file_only_for_who_reads_opinions_and_its_download_audited(
    world: World, browse: Browse
) -> None:
    pid = to_review(world)
    legal = world.cdw["legal"]
    opinion = run(world, reviews.register_opinion, legal, pid, "See the memo.")
    legal_page = browse(legal).get(f"/proposals/{pid}").text
    assert f'<option value="{opinion.id}">' in legal_page  # offered to add to its opinion
    assert attach(browse(legal), pid, "Legal memo.pdf", PDF, str(opinion.id)).status_code == 303  # type: ignore[attr-defined]
    memo_link = f"/proposals/{pid}/attachments/"
    reader = world.dcs["privacy_officer"]
    seen = browse(reader).get(f"/proposals/{pid}").text
    assert "Legal memo.pdf" in seen and "Restricted" in seen
    assert "s legal opinion</span>" in seen  # "Added to <provider>'s legal opinion"
    memo_id = seen.split(memo_link, 1)[1].split('"', 1)[0]
    before = len(restricted_reads(world, reader.username))
    assert browse(reader).get(memo_link + memo_id).content == PDF
    after = restricted_reads(world, reader.username)
    assert len(after) == before + 1 and f"attachment:{memo_id}" in (after[-1].after or "")
    for who in (world.dcs["steward"], world.cdw["data_engineer"]):
        page = browse(who).get(f"/proposals/{pid}").text
        assert "Legal memo.pdf" not in page, who.username
        assert browse(who).get(memo_link + memo_id).status_code == 404, who.username
    assert browse(world.other).get(memo_link + memo_id).status_code == 404
    # the other department's reviewer is not offered the opinion of this one
    assert (
        f'<option value="{opinion.id}">'
        not in browse(world.dcs["legal"]).get(f"/proposals/{pid}").text
    )


def test_the_requested_fields_dictionary_is_downloadable_from_the_page(
    world: World, browse: Browse
) -> None:
    pid = start(world, ("client.ssn", "client.county"))
    client = browse(world.cdw["legal"])
    page = client.get(f"/proposals/{pid}").text
    link = page.split(f'href="/proposals/{pid}/dictionaries/', 1)[1].split('"', 1)[0]
    dataset_id = link.split(".", 1)[0]
    assert {f"{dataset_id}.csv", f"{dataset_id}.xlsx", f"{dataset_id}.table-schema"} <= {
        part.split('"', 1)[0] for part in page.split(f'href="/proposals/{pid}/dictionaries/')[1:]
    }
    sheet = client.get(f"/proposals/{pid}/dictionaries/{dataset_id}.csv")
    assert sheet.status_code == 200
    assert 'filename="proposal-' in sheet.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert sorted(r["name"] for r in rows) == ["county", "ssn"]
    assert client.get(f"/proposals/{pid}/dictionaries/{dataset_id}.html").status_code == 422
    assert client.get(f"/proposals/{pid}/dictionaries/999.csv").status_code == 404
    outsider = browse(world.other).get(f"/proposals/{pid}/dictionaries/{dataset_id}.csv")
    assert outsider.status_code == 404


def test_a_file_attached_through_the_service_appears_on_the_page_for_every_party(
    world: World, browse: Browse
) -> None:
    pid = start(world)
    store = world.settings.data_dir
    run(world, add_attachment, world.dcs["requester"], store, pid, "Scope.txt", b"Scope.")
    for who in (world.cdw["data_coordinator"], world.dcs["auditor"]):
        assert "Scope.txt" in browse(who).get(f"/proposals/{pid}").text
    assert browse(world.other).get(f"/proposals/{pid}").status_code == 404
