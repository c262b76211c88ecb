"""A proposal's files and the data dictionary of its requested fields over the API: upload
(multipart) refused with every problem and nothing stored, download byte for byte, an
opinion's files kept from every role and department that may not read opinions (404, 403 to
upload for a role that may not), each restricted download audited; the routes in OpenAPI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.auth.actor import Actor
from accord.auth.models import AuditEntry
from accord.config import Settings
from accord.db.engine import transaction
from accord.proposals import reviews
from accord.proposals.attachments import MAX_BYTES
from tests.proposals.conftest import World, build_world
from tests.proposals.stages import run, start, to_review
from tests.web.test_proposal_api import Api

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> World:
    return build_world(settings, tmp_path)


@pytest.fixture
def api(app_client: TestClient, settings: Settings) -> Api:
    return Api(app_client, settings)


def upload(api: Api, actor: Actor, pid: int, name: str, data: bytes, **form: Any) -> Any:
    return api.client.post(
        f"/api/v1/proposals/{pid}/attachments",
        files={"file": (name, data, "application/octet-stream")},
        data={k: str(v) for k, v in form.items()},
        headers={"Authorization": f"Bearer {api.token(actor)}"},
    )


def stored(w: World, pid: int) -> list[str]:
    folder = w.settings.data_dir / "proposals" / str(pid)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def reads(settings: Settings, username: str) -> list[Any]:
    with transaction(settings, read_only=True) as session:
        return [
            json.loads(e.after or "[]")
            for e in session.scalars(
                select(AuditEntry)
                .where(
                    AuditEntry.action == "proposal.restricted_read", AuditEntry.actor == username
                )
                .order_by(AuditEntry.seq)
            )
        ]


def test_a_file_is_uploaded_listed_and_downloaded_byte_for_byte(world: World, api: Api) -> None:
    pid = start(world)
    requester, provider = world.dcs["requester"], world.cdw["steward"]
    response = upload(api, requester, pid, "Use case (v2).pdf", PDF)
    assert response.status_code == 201, response.text
    added = response.json()
    assert added["filename"] == "Use case (v2).pdf" and added["size"] == len(PDF)
    assert added["uploaded_by"] == requester.username and added["restricted"] is False
    listed = api(provider, "GET", f"/proposals/{pid}/attachments")
    assert [a["id"] for a in listed] == [added["id"]]
    assert [a["id"] for a in api(provider, "GET", f"/proposals/{pid}")["attachments"]] == [
        added["id"]
    ]
    file = api.raw(provider, "GET", f"/proposals/{pid}/attachments/{added['id']}")
    assert file.status_code == 200 and file.content == PDF
    assert file.headers["content-type"] == "application/pdf"
    assert file.headers["content-disposition"] == 'attachment; filename="Use case (v2).pdf"'
    assert reads(world.settings, provider.username) == []  # the proposal's own: not restricted


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("tool.exe", b"MZ\x90\x00", "Accepted types"),
        ("opinion.pdf", b"<html>not a pdf</html>", "not a .pdf file"),
        ("../secrets.txt", b"x", "Name the file"),
        ("huge.txt", b"x" * (MAX_BYTES + 1), "limited to 10 MB"),
    ],
)
def test_a_refused_upload_is_422_listing_the_problem_and_stores_nothing(
    world: World, api: Api, name: str, data: bytes, says: str
) -> None:
    pid = start(world)
    response = upload(api, world.dcs["requester"], pid, name, data)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert [p["field"] for p in error["problems"]] == ["file"]
    assert says in error["problems"][0]["message"]
    assert stored(world, pid) == []
    assert api(world.dcs["requester"], "GET", f"/proposals/{pid}/attachments") == []


def test_an_upload_without_a_file_is_422_naming_the_file(world: World, api: Api) -> None:
    pid = start(world)
    response = api.client.post(
        f"/api/v1/proposals/{pid}/attachments",
        data={"opinion_id": "1"},
        headers={"Authorization": f"Bearer {api.token(world.dcs['requester'])}"},
    )
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["error"]["problems"]] == ["file"]


def test_an_opinions_file_is_kept_from_who_may_not_read_opinions_and_audited_for_who_may(
    world: World, api: Api, settings: Settings
) -> None:
    pid = to_review(world)
    legal = world.cdw["legal"]
    opinion = run(world, reviews.register_opinion, legal, pid, "See the memo.")
    refused = upload(api, world.dcs["legal"], pid, "Theirs.pdf", PDF, opinion_id=opinion.id)
    assert refused.status_code == 422 and stored(world, pid) == []
    response = upload(api, legal, pid, "Legal memo.pdf", PDF, opinion_id=opinion.id)
    assert response.status_code == 201, response.text
    memo = response.json()
    assert memo["restricted"] is True and memo["opinion_id"] == opinion.id
    plain = upload(api, world.dcs["requester"], pid, "Scope.txt", b"Scope.").json()
    path = f"/proposals/{pid}/attachments/{memo['id']}"

    reader = world.dcs["privacy_officer"]  # the other department's reviewer reads opinions
    assert {a["id"] for a in api(reader, "GET", f"/proposals/{pid}/attachments")} == {
        memo["id"],
        plain["id"],
    }
    assert api.raw(reader, "GET", path).content == PDF
    assert reads(settings, reader.username) == [[f"attachment:{memo['id']}"]]

    # roles of the parties that may not read opinions: the file is not listed and is 404
    for who in (world.dcs["steward"], world.cdw["data_engineer"]):
        listed = api(who, "GET", f"/proposals/{pid}/attachments")
        assert [a["id"] for a in listed] == [plain["id"]], who.username
        seen = api(who, "GET", f"/proposals/{pid}")["attachments"]
        assert [a["id"] for a in seen] == [plain["id"]], who.username
        missing = api(who, "GET", path, status=404)["error"]
        assert missing == {
            "code": "not_found",
            "message": f"No attachment {memo['id']} on proposal {pid}.",
        }
        assert not [r for entry in reads(settings, who.username) for r in entry if "attach" in r]
    # a department that is no party learns nothing, not even that the proposal exists
    no_party = {"code": "not_found", "message": f"No proposal {pid}."}
    for tail in ("/attachments", f"/attachments/{memo['id']}", f"/attachments/{plain['id']}"):
        assert api(world.other, "GET", f"/proposals/{pid}{tail}", status=404)["error"] == no_party
    assert upload(api, world.other, pid, "Mine.pdf", PDF).json()["error"] == no_party
    # a role that may not comment may not attach
    auditor = upload(api, world.dcs["auditor"], pid, "Audit.pdf", PDF)
    assert auditor.status_code == 403
    assert auditor.json()["error"]["code"] == "permission_denied"
    assert len(stored(world, pid)) == 2  # the memo and the scope


def test_the_dictionary_of_the_requested_fields_in_the_catalogs_formats(
    world: World, api: Api
) -> None:
    pid = start(world, ("client.ssn", "client.county"))
    reader = world.cdw["legal"]
    (listed,) = api(reader, "GET", f"/proposals/{pid}/dictionaries")
    assert listed["dataset"] == "main.client" and sorted(listed["fields"]) == ["county", "ssn"]
    assert {"csv", "xlsx", "table-schema"} <= set(listed["formats"])
    path = f"/proposals/{pid}/dictionaries/{listed['dataset_id']}"
    sheet = api.raw(reader, "GET", path, format="csv")
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert sorted(r["name"] for r in rows) == ["county", "ssn"]
    assert rows[0]["classifications"] == "PII:ssn"
    schema = api(reader, "GET", path, format="table-schema")
    assert sorted(f["name"] for f in schema["fields"]) == ["county", "ssn"]
    workbook = api.raw(reader, "GET", path, format="xlsx")
    assert workbook.status_code == 200 and workbook.content.startswith(b"PK\x03\x04")
    assert api(reader, "GET", path, status=422, format="html")["error"]["code"] == (
        "validation_failed"
    )
    other = f"/proposals/{pid}/dictionaries/999"
    assert api(reader, "GET", other, status=404)["error"]["code"] == "not_found"
    assert api(world.other, "GET", path, status=404)["error"]["message"] == f"No proposal {pid}."


def test_the_openapi_document_describes_the_attachment_routes(app_client: TestClient) -> None:
    paths = app_client.get("/openapi.json").json()["paths"]
    base = "/api/v1/proposals/{proposal_id}"
    assert set(paths[f"{base}/attachments"]) == {"get", "post"}
    assert set(paths[f"{base}/attachments/{{attachment_id}}"]) == {"get"}
    assert set(paths[f"{base}/dictionaries"]) == {"get"}
    assert set(paths[f"{base}/dictionaries/{{dataset_id}}"]) == {"get"}
    post = paths[f"{base}/attachments"]["post"]
    assert "multipart/form-data" in post["requestBody"]["content"]


def test_no_file_is_attached_once_the_proposal_is_no_longer_discussed(
    world: World, api: Api
) -> None:
    pid = start(world)
    requester = world.dcs["requester"]
    api(requester, "POST", f"/proposals/{pid}/transitions", {"verb": "withdraw", "note": "Done."})
    response = upload(api, requester, pid, "Late.pdf", PDF)
    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["state"]) == ("invalid_transition", "withdrawn")
    assert stored(world, pid) == []
