"""The proposal API: the whole path over HTTP with API tokens of two departments' people, the
error shapes a client relies on, and restricted content kept from those who may not read it
and audited for those who may."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.auth.actor import Actor
from accord.auth.models import AuditEntry
from accord.auth.roles import Role
from accord.auth.tokens import create_token
from accord.auth.users import get_user
from accord.config import Settings
from accord.db.engine import transaction
from accord.proposals.models import ChangeRequest, Concern, ProposalElement
from accord.proposals.records import WITHHELD
from accord.proposals.reviews import raise_concern, request_change
from tests.factories import make_user
from tests.proposals.conftest import World, build_world
from tests.proposals.stages import (
    REVIEW_ANSWERS,
    SEND_ANSWERS,
    SIGN_ANSWERS,
    run,
    start,
    to_approved,
    to_review,
    to_signatures,
)


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> World:
    return build_world(settings, tmp_path)


class Api:
    """Calls /api/v1 as a person, with an API token of theirs."""

    def __init__(self, client: TestClient, settings: Settings) -> None:
        self.client, self.settings = client, settings
        self.tokens: dict[str, str] = {}

    def token(self, actor: Actor) -> str:
        if actor.username not in self.tokens:
            with transaction(self.settings) as session:
                user = get_user(session, actor.username)
                self.tokens[actor.username] = create_token(
                    session, actor, user, name="api", days=1
                )[1]
        return self.tokens[actor.username]

    def raw(self, actor: Actor, method: str, path: str, body: Any = None, **params: Any) -> Any:
        return self.client.request(
            method,
            "/api/v1" + path,
            json=body,
            params=params or None,
            headers={"Authorization": f"Bearer {self.token(actor)}"},
        )

    def __call__(
        self,
        actor: Actor,
        method: str,
        path: str,
        body: Any = None,
        status: int = 200,
        **params: Any,
    ) -> Any:
        response = self.raw(actor, method, path, body, **params)
        assert response.status_code == status, response.text
        return response.json()


@pytest.fixture
def api(app_client: TestClient, settings: Settings) -> Api:
    return Api(app_client, settings)


READ = "proposal.restricted_read"


def _reads(settings: Settings, username: str) -> list[list[str]]:
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


def test_the_whole_path_over_http_from_basket_to_filed_agreement(world: World, api: Api) -> None:
    w = world
    requester, provider = w.dcs["requester"], w.cdw["data_coordinator"]
    recipient_dc = w.dcs["data_coordinator"]
    wanted = ("client.ssn", "client.county", "client.full_name", "visit.diagnosis_code")
    added = api(requester, "POST", "/basket", {"field_ids": [w.fields[f] for f in wanted]})
    assert added["changed"] == 4 and len(added["items"]) == 4
    left = api(requester, "DELETE", "/basket", field_id=[w.fields["client.county"]])
    assert left["changed"] == 1 and len(left["items"]) == 3
    api(requester, "POST", "/basket", {"field_ids": [w.fields["client.county"]]})

    started = api(requester, "POST", "/proposals", {"use_case_name": "Housing study"}, 201)
    pid = started["id"]
    assert started["state"] == "draft" and "send" in {m["verb"] for m in started["moves"]}
    assert api(requester, "GET", "/basket")["items"] == []  # the proposal took the basket
    seen = api(requester, "GET", f"/proposals/{pid}")
    assert seen["governing"] == ["PHI", "PII", "WIC § 10850"]
    assert seen["my_side"] == "recipient" and seen["problems"]["send"]

    saved = api(
        requester, "PATCH", f"/proposals/{pid}", {"answers": SEND_ANSWERS, "base_version": 1}
    )
    assert saved["version"] == 2
    stated = api(
        requester,
        "PUT",
        f"/proposals/{pid}/authority",
        {"statements": {k: f"WIC 10850(a) permits {k}." for k in seen["governing"]}},
    )
    assert {a["governs"] for a in stated} == set(seen["governing"])
    sent = api(requester, "POST", f"/proposals/{pid}/transitions", {"verb": "send"})
    assert sent["state"] == "sent_to_provider"
    api(provider, "POST", f"/proposals/{pid}/transitions", {"verb": "begin_development"})

    # minimum necessary: the provider's steward marks a field, the requester takes it out
    names = {e["field"]: e["id"] for e in api(provider, "GET", f"/proposals/{pid}")["elements"]}
    marked = api(
        w.cdw["steward"],
        "POST",
        f"/proposals/{pid}/elements/{names['full_name']}",
        {"action": "mark_not_needed", "text": "Aggregate output needs no names."},
    )
    assert marked["not_needed"].startswith("Aggregate")
    blocked = api(provider, "POST", f"/proposals/{pid}/transitions", {"verb": "start_review"}, 409)[
        "error"
    ]
    assert blocked["code"] == "invalid_transition" and "minimum-necessary" in blocked["message"]
    removed = api(
        requester, "POST", f"/proposals/{pid}/elements/{names['full_name']}", {"action": "remove"}
    )
    assert removed["removed"] is True

    # a change request by the provider, decided by the recipient
    change = api(
        provider,
        "POST",
        f"/proposals/{pid}/change-requests",
        {"question": "redisclosure", "proposed": "No re-disclosure at all.", "reason": "Policy"},
        201,
    )
    decided = api(
        recipient_dc,
        "POST",
        f"/proposals/{pid}/change-requests/{change['id']}/decide",
        {"accept": True},
    )
    assert decided["status"] == "accepted"
    current = api(provider, "GET", f"/proposals/{pid}")
    answers = {k: v for k, v in {**REVIEW_ANSWERS, **SIGN_ANSWERS}.items() if k != "redisclosure"}
    api(
        provider,
        "PATCH",
        f"/proposals/{pid}",
        {"answers": answers, "base_version": current["version"]},
    )
    api(provider, "POST", f"/proposals/{pid}/transitions", {"verb": "start_review"})
    work = api(w.cdw["legal"], "GET", "/my-work")
    assert [t["proposal_id"] for g in work if g["kind"] == "opinion" for t in g["tasks"]] == [pid]

    # review: three opinions per department; a concern, answered and resolved
    for dept in (w.cdw, w.dcs):
        for role in ("legal", "privacy_officer", "security_officer"):
            api(dept[role], "POST", f"/proposals/{pid}/opinions", {"text": "No objection."}, 201)
    concern = api(
        w.cdw["security_officer"],
        "POST",
        f"/proposals/{pid}/concerns",
        {"text": "Is the enclave FedRAMP?"},
        201,
    )
    refused = api(
        recipient_dc, "POST", f"/proposals/{pid}/transitions", {"verb": "request_signatures"}, 409
    )
    assert "concern" in refused["error"]["message"]
    api(
        recipient_dc,
        "POST",
        f"/proposals/{pid}/concerns/{concern['id']}/answer",
        {"answer": "FedRAMP Moderate."},
    )
    resolved = api(
        w.cdw["security_officer"], "POST", f"/proposals/{pid}/concerns/{concern['id']}/resolve", {}
    )
    assert resolved["resolved_at"] is not None
    api(recipient_dc, "POST", f"/proposals/{pid}/transitions", {"verb": "request_signatures"})

    # both sponsors sign, both coordinators confirm, the recipient files (IDEA)
    first = api(
        w.cdw["executive"],
        "POST",
        f"/proposals/{pid}/signatures",
        {"title": "Chief Deputy Director", "attest": True},
        201,
    )
    assert first["state"] == "awaiting_signatures"
    second = api(
        w.dcs["executive"],
        "POST",
        f"/proposals/{pid}/signatures",
        {"title": "Deputy Director", "attest": True},
        201,
    )
    assert second["state"] == "awaiting_dc_final_review"
    api(provider, "POST", f"/proposals/{pid}/final-review", {"confirm": True}, 201)
    approved = api(recipient_dc, "POST", f"/proposals/{pid}/final-review", {"confirm": True}, 201)
    assert approved["state"] == "approved" and approved["agreement_id"]
    filed = api(recipient_dc, "POST", f"/proposals/{pid}/transitions", {"verb": "file"})
    assert filed["state"] == "filed" and filed["moves"] == []

    agreement = api(requester, "GET", f"/agreements/{approved['agreement_id']}")
    assert [(e["dataset_name"], e["field_name"]) for e in agreement["elements"]] == [
        ("main.client", "county"),
        ("main.client", "ssn"),
        ("main.visit", "diagnosis_code"),
    ]
    assert agreement["redisclosure"] == "No re-disclosure at all." and agreement["recurring"]
    assert agreement["filed_with"] == "the Statewide Chief Data Officer (BUCP Inventory Form)"
    assert agreement["filed_at"] and agreement["filed_by"] == recipient_dc.username
    ssn = next(e for e in agreement["elements"] if e["field_name"] == "ssn")
    assert ssn["statutes"] == [{"citation": "WIC § 10850", "title": "Confidentiality"}]
    assert ssn["classification_labels"] == {"PII:ssn": "Social Security number"}
    final = api(requester, "GET", f"/proposals/{pid}")
    assert final["agreement_id"] == approved["agreement_id"]
    assert [h["verb"] for h in final["history"]] == [
        "send",
        "begin_development",
        "start_review",
        "request_signatures",
        "signed",
        "approve",
        "file",
    ]
    assert {(s["kind"], s["department_id"]) for s in final["signatures"]} == {
        (kind, dept) for kind in ("sponsor", "final_review") for dept in (1, 2)
    }
    listed = api(requester, "GET", "/proposals", state="filed", side="recipient")
    assert listed["total"] == 1 and listed["items"][0]["id"] == pid
    assert api(requester, "GET", "/proposals", side="provider")["total"] == 0

    record = api(requester, "GET", f"/proposals/{pid}/public-record")
    text = json.dumps(record)
    assert WITHHELD in text and SIGN_ANSWERS["security_requirements"] not in text
    assert REVIEW_ANSWERS["data_management"] not in text
    versions = api(requester, "GET", f"/proposals/{pid}/versions")
    assert [v["number"] for v in versions] == list(range(1, len(versions) + 1))
    assert "main.client.full_name" not in versions[-1]["elements"]
    diff = api(requester, "GET", f"/proposals/{pid}/diff", a=1, b=versions[-1]["number"])
    assert diff["fields_removed"] == ["main.client.full_name"]
    assert {c["key"] for c in diff["answers"]} >= {"purpose", "redisclosure", "data_management"}


def test_a_department_that_is_no_party_gets_404_from_every_route(
    world: World, api: Api, settings: Settings
) -> None:
    approved = to_approved(world)
    review = to_review(world)  # with an open change request and concern, so their ids are real
    run(world, request_change, world.cdw["data_coordinator"], review, "redisclosure", "None.")
    run(world, raise_concern, world.cdw["legal"], review, "Which statute?")
    with transaction(settings) as session:
        element = session.scalar(
            select(ProposalElement.id).where(ProposalElement.proposal_id == review)
        )
        change = session.scalar(select(ChangeRequest.id).where(ChangeRequest.proposal_id == review))
        concern = session.scalar(select(Concern.id).where(Concern.proposal_id == review))
    agreement = api(world.dcs["requester"], "GET", f"/proposals/{approved}")["agreement_id"]
    calls: list[tuple[int, str, str, Any]] = [
        (review, "GET", "", None),
        (review, "PATCH", "", {"answers": {"purpose": "x"}, "base_version": 1}),
        (review, "POST", "/transitions", {"verb": "withdraw", "note": "x"}),
        (review, "GET", "/versions", None),
        (review, "GET", "/diff?a=1&b=2", None),
        (review, "POST", f"/elements/{element}", {"action": "remove"}),
        (review, "PUT", "/authority", {"statements": {}}),
        (review, "GET", "/comments", None),
        (review, "POST", "/comments", {"body": "Hello?"}),
        (review, "GET", "/opinions", None),
        (review, "POST", "/opinions", {"text": "x", "area": "legal"}),
        (review, "POST", "/change-requests", {"question": "purpose", "proposed": "x"}),
        (review, "POST", f"/change-requests/{change}/decide", {"accept": False}),
        (review, "POST", "/concerns", {"text": "x", "area": "legal"}),
        (review, "POST", f"/concerns/{concern}/answer", {"answer": "x"}),
        (review, "POST", f"/concerns/{concern}/resolve", {}),
        (review, "GET", "/public-record", None),
        (approved, "POST", "/signatures", {"title": "x", "attest": True}),
        (approved, "POST", "/final-review", {"confirm": True}),
        (approved, "POST", "/transitions", {"verb": "file"}),
    ]
    outsider = make_user(settings, "xyz_everyone", *[r.value for r in Role], department="XYZ")
    wrong = []
    for who in (outsider, world.other):
        for pid, method, tail, body in calls:
            response = api.raw(who, method, f"/proposals/{pid}{tail}", body)
            error = response.json()["error"]
            if who is world.other and response.status_code == 403:
                continue  # a coordinator's roles never allow this, whatever the proposal
            if (response.status_code, error) != (
                404,
                {"code": "not_found", "message": f"No proposal {pid}."},
            ):
                wrong.append(f"{who.username} {method} {tail}: {response.status_code} {error}")
    assert not wrong, "\n".join(wrong)
    assert api.raw(outsider, "GET", f"/agreements/{agreement}").status_code == 404
    listed = api(outsider, "GET", "/proposals")
    assert listed == {"total": 0, "limit": 100, "offset": 0, "items": []}
    assert api(outsider, "GET", "/my-work") == []
    assert api(world.dcs["auditor"], "GET", f"/agreements/{agreement}")["proposal_id"] == approved


def test_a_save_on_an_outdated_version_is_409_naming_what_changed(world: World, api: Api) -> None:
    pid = start(world)
    a, b = world.dcs["requester"], world.dcs["data_coordinator"]
    opened = api(b, "GET", f"/proposals/{pid}")["version"]
    api(a, "PATCH", f"/proposals/{pid}", {"answers": {"purpose": "First."}, "base_version": opened})
    refused = api(
        b,
        "PATCH",
        f"/proposals/{pid}",
        {"answers": {"purpose": "Second."}, "base_version": opened},
        409,
    )["error"]
    assert refused["code"] == "conflict"
    assert "saved by dcs_requester" in refused["message"]
    assert "changed since: Use case description and purpose" in refused["message"]
    assert api(a, "GET", f"/proposals/{pid}")["answers"]["purpose"] == "First."


def test_a_save_on_a_version_that_does_not_exist_is_422_naming_the_latest(
    world: World, api: Api
) -> None:
    pid = start(world)
    requester = world.dcs["requester"]
    current = api(requester, "GET", f"/proposals/{pid}")["version"]
    refused = api(
        requester,
        "PATCH",
        f"/proposals/{pid}",
        {"answers": {"purpose": "Ahead."}, "base_version": current + 1},
        422,
    )["error"]
    assert refused["code"] == "validation_failed"
    assert refused["problems"] == [
        {
            "field": "base_version",
            "message": f"Proposal {pid} has no version {current + 1}; the latest is version "
            f"{current}. Reload it and make your changes again.",
        }
    ]
    after = api(requester, "GET", f"/proposals/{pid}")
    assert after["version"] == current and "purpose" not in after["answers"]


def test_a_move_not_possible_now_is_409_with_the_lifecycle_state_and_verb(
    world: World, api: Api
) -> None:
    pid = start(world)
    refused = api(
        world.cdw["data_coordinator"],
        "POST",
        f"/proposals/{pid}/transitions",
        {"verb": "start_review"},
        409,
    )["error"]
    assert refused == {
        "code": "invalid_transition",
        "message": f"Cannot start review proposal {pid} (Housing study): it is draft. It can "
        "be done when it is in joint development, by the data coordinator of the department "
        "providing the data.",
        "lifecycle": "proposal",
        "state": "draft",
        "verb": "start_review",
    }
    editing = api(
        world.dcs["requester"],
        "POST",
        f"/proposals/{pid}/elements/999",
        {"action": "justify", "text": "Needed."},
        404,
    )
    assert editing["error"]["code"] == "not_found"


def test_refused_input_is_422_listing_every_problem(world: World, api: Api) -> None:
    pid = start(world)
    requester = world.dcs["requester"]
    bad = {"frequency": "hourly", "start_date": "soon", "nope": "x", "purpose": "ok"}
    refused = api(
        requester, "PATCH", f"/proposals/{pid}", {"answers": bad, "base_version": 1}, 422
    )["error"]
    assert refused["code"] == "validation_failed"
    assert {p["field"] for p in refused["problems"]} == {"frequency", "start_date", "nope"}
    assert "purpose" not in api(requester, "GET", f"/proposals/{pid}")["answers"]
    not_ready = api(requester, "POST", f"/proposals/{pid}/transitions", {"verb": "send"}, 422)
    fields = {p["field"] for p in not_ready["error"]["problems"]}
    assert {"purpose", "data_users", "transfer_method", "research"} <= fields
    assert {"authority:PII", "authority:PHI", "authority:WIC § 10850"} <= fields
    empty = api(requester, "POST", "/basket", {}, 422)["error"]
    assert empty["code"] == "validation_failed" and empty["problems"]


def test_restricted_content_is_absent_for_who_may_not_read_it_and_audited_for_who_may(
    world: World, api: Api, settings: Settings
) -> None:
    pid = to_signatures(world)
    secrets = [REVIEW_ANSWERS["data_management"], SIGN_ANSWERS["security_requirements"]]
    api(
        world.cdw["security_officer"],
        "POST",
        f"/proposals/{pid}/comments",
        {"body": "Which HSM vendor?", "question": "security_requirements"},
        201,
    )
    steward = world.dcs["steward"]  # the recipient's steward: not their data
    seen = api.raw(steward, "GET", f"/proposals/{pid}")
    assert seen.status_code == 200
    body = seen.json()
    assert not any(s in seen.text for s in secrets) and "Which HSM vendor?" not in seen.text
    assert {"data_management", "security_requirements", "privacy_requirements"} <= set(
        body["hidden"]
    )
    assert "data_management" not in body["answers"] and body["opinions"] == []
    assert api(steward, "GET", f"/proposals/{pid}/opinions") == []
    assert api(steward, "GET", f"/proposals/{pid}/comments") == []
    diff = api(steward, "GET", f"/proposals/{pid}/diff", a=1, b=body["version"])
    hidden = [c for c in diff["answers"] if c["restricted"]]
    assert hidden and all(c["before"] == c["after"] == "" for c in hidden)
    assert _reads(settings, steward.username) == []

    officer = world.cdw["security_officer"]
    shown = api(officer, "GET", f"/proposals/{pid}")
    assert shown["answers"]["security_requirements"] == secrets[1]
    assert {o["area"] for o in shown["opinions"]} == {"legal", "privacy", "security"}
    logged = _reads(settings, officer.username)
    assert logged == [
        [
            "data_management",
            "privacy_requirements",
            "security_requirements",
            "opinion:legal",
            "opinion:privacy",
            "opinion:security",
            "comment:security_requirements",
        ]
    ]
    api(officer, "GET", f"/proposals/{pid}/opinions")
    api(officer, "GET", f"/proposals/{pid}/comments")
    api(officer, "GET", f"/proposals/{pid}/diff", a=1, b=shown["version"])
    assert _reads(settings, officer.username)[1:] == [
        ["opinion:legal", "opinion:privacy", "opinion:security"],
        ["comment:security_requirements"],
        ["data_management", "security_requirements", "privacy_requirements"],  # form order
    ]


def test_the_openapi_document_describes_every_proposal_route(app_client: TestClient) -> None:
    doc = app_client.get("/openapi.json").json()
    paths = doc["paths"]
    expected = {
        "/api/v1/basket": {"get", "post", "delete"},
        "/api/v1/proposals": {"get", "post"},
        "/api/v1/proposals/{proposal_id}": {"get", "patch"},
        "/api/v1/proposals/{proposal_id}/transitions": {"post"},
        "/api/v1/proposals/{proposal_id}/versions": {"get"},
        "/api/v1/proposals/{proposal_id}/diff": {"get"},
        "/api/v1/proposals/{proposal_id}/elements/{element_id}": {"post"},
        "/api/v1/proposals/{proposal_id}/authority": {"put"},
        "/api/v1/proposals/{proposal_id}/comments": {"get", "post"},
        "/api/v1/proposals/{proposal_id}/change-requests": {"post"},
        "/api/v1/proposals/{proposal_id}/change-requests/{change_id}/decide": {"post"},
        "/api/v1/proposals/{proposal_id}/opinions": {"get", "post"},
        "/api/v1/proposals/{proposal_id}/concerns": {"post"},
        "/api/v1/proposals/{proposal_id}/concerns/{concern_id}/answer": {"post"},
        "/api/v1/proposals/{proposal_id}/concerns/{concern_id}/resolve": {"post"},
        "/api/v1/proposals/{proposal_id}/signatures": {"post"},
        "/api/v1/proposals/{proposal_id}/final-review": {"post"},
        "/api/v1/proposals/{proposal_id}/public-record": {"get"},
        "/api/v1/agreements/{agreement_id}": {"get"},
        "/api/v1/my-work": {"get"},
        "/api/v1/proposals/{proposal_id}/attachments": {"get", "post"},
        "/api/v1/proposals/{proposal_id}/dictionaries": {"get"},
    }
    for path, methods in expected.items():
        assert set(paths.get(path, {})) == methods, path
        for method in methods:
            ok = next(r for s, r in paths[path][method]["responses"].items() if s.startswith("2"))
            assert "$ref" in json.dumps(ok) or "items" in json.dumps(ok), (path, method)
    proposal_id = paths["/api/v1/proposals/{proposal_id}"]["get"]["parameters"][0]["schema"]
    assert proposal_id["minimum"] == 1 and proposal_id["maximum"] == 2**31 - 1
