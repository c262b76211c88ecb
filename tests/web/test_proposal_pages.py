"""The proposal pages through the whole app, signed in as each person of two departments: the
basket from the catalog to a draft, the proposal page for every role, restricted answers kept
out of the HTML of those who may not read them (and audited for those who may), the form's
optimistic locking losing nothing, moves refused with every problem listed, CSRF on every POST,
and the whole path to an agreement clicked through the pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from accord.auth.actor import Actor
from accord.auth.models import AuditEntry
from accord.catalog.models import CatalogField
from accord.config import Settings
from accord.db.engine import transaction
from accord.proposals import reviews
from accord.proposals.access import load
from accord.proposals.basket import basket_field_ids
from accord.proposals.drafting import elements
from accord.proposals.models import Proposal
from tests.proposals.conftest import ROLES, World, build_world
from tests.proposals.stages import (
    REVIEW_ANSWERS,
    SEND_ANSWERS,
    SIGN_ANSWERS,
    ready_to_send,
    run,
    save,
    start,
    to_review,
    to_signatures,
)
from tests.web.helpers import CSRF, sign_in
from tests.web.test_routes import _api_routes

Browse = Callable[[Actor], TestClient]


@pytest.fixture
def world(settings: Settings, tmp_path: Path) -> World:
    return build_world(settings, tmp_path)


@pytest.fixture
def browse(app_client: TestClient) -> Browse:
    """A browser per person (each with its own cookies), signed in on first use."""
    clients: dict[str, TestClient] = {}

    def as_person(actor: Actor) -> TestClient:
        if actor.username not in clients:
            client = TestClient(app_client.app, raise_server_exceptions=False)
            sign_in(client, actor.username)
            clients[actor.username] = client
        return clients[actor.username]

    return as_person


def post(client: TestClient, page: str, action: str, data: dict[str, object]) -> object:
    """Post a form as a browser does: with the CSRF token of the page it is on."""
    match = CSRF.search(client.get(page).text)
    assert match, f"no form on {page}"
    return client.post(action, data={**data, "csrf_token": match.group(1)}, follow_redirects=False)


def state_of(w: World, pid: int) -> str:
    with transaction(w.settings, read_only=True) as session:
        return session.get(Proposal, pid).state  # type: ignore[union-attr]


def restricted_reads(w: World, username: str) -> list[AuditEntry]:
    with transaction(w.settings, read_only=True) as session:
        return list(
            session.scalars(
                select(AuditEntry).where(
                    AuditEntry.action == "proposal.restricted_read", AuditEntry.actor == username
                )
            )
        )


# --- the basket ------------------------------------------------------------------------------


def test_the_basket_from_the_catalog_to_a_started_draft(world: World, browse: Browse) -> None:
    w = world
    requester = browse(w.dcs["requester"])
    client_id = w.fields["client.ssn"]
    with transaction(w.settings, read_only=True) as session:
        dataset_id = session.get(CatalogField, client_id).dataset_id  # type: ignore[union-attr]
    page = requester.get(f"/catalog/datasets/{dataset_id}")
    assert "Add the whole dataset to a request" in page.text
    response = post(
        requester,
        f"/catalog/datasets/{dataset_id}",
        "/basket/add",
        {"dataset_id": dataset_id, "back": f"/catalog/datasets/{dataset_id}"},
    )
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"].startswith(f"/catalog/datasets/{dataset_id}?basket=added")  # type: ignore[attr-defined]
    page = requester.get(f"/catalog/datasets/{dataset_id}?basket=added")
    assert "In your request" in page.text and "Added to your request." in page.text
    assert "In your request" in requester.get(f"/catalog/fields/{client_id}").text
    # one field of another dataset, from its field page
    visit_field = w.fields["visit.diagnosis_code"]
    assert "Add this field to a request" in requester.get(f"/catalog/fields/{visit_field}").text
    post(requester, f"/catalog/fields/{visit_field}", "/basket/add", {"field_ids": visit_field})
    basket_page = requester.get("/basket")
    assert "diagnosis_code" in basket_page.text and "ssn" in basket_page.text
    # the department holding the catalog asks nobody: no button for its coordinator
    coordinator = browse(w.cdw["data_coordinator"])
    assert "Add the whole dataset" not in coordinator.get(f"/catalog/datasets/{dataset_id}").text
    # a steward drafts no proposal
    assert browse(w.dcs["steward"]).get("/basket").status_code == 403
    # starting refuses an unknown path with the problem listed, and keeps what was typed
    refused = post(
        requester, "/basket", "/basket/start", {"use_case_name": "Clinic study", "path": "nope"}
    )
    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert "Choose one of" in refused.text and 'value="Clinic study"' in refused.text  # type: ignore[attr-defined]
    started = post(
        requester,
        "/basket",
        "/basket/start",
        {"use_case_name": "Clinic study", "path": "chhs", "program": "Research"},
    )
    assert started.status_code == 303  # type: ignore[attr-defined]
    pid = int(re.search(r"/proposals/(\d+)", started.headers["location"]).group(1))  # type: ignore[attr-defined, union-attr]
    with transaction(w.settings, read_only=True) as session:
        assert basket_field_ids(session, w.dcs["requester"]) == set()
        proposal = load(session, w.dcs["requester"], pid)
        assert proposal.path == "chhs" and proposal.title == "Clinic study"
        assert visit_field in {e.field_id for e in elements(session, proposal)}
    page = requester.get(f"/proposals/{pid}")
    assert "Clinic study" in page.text and "CalHHS Intra-Agency" in page.text


# --- who sees what ---------------------------------------------------------------------------


def test_every_role_of_both_sides_sees_the_pages_and_a_third_department_nothing(
    world: World, browse: Browse
) -> None:
    w = world
    pid = to_review(w)
    for side, people in (("provider", w.cdw), ("recipient", w.dcs)):
        for role in ROLES:
            client = browse(people[role])
            for path in ("/", "/proposals", f"/proposals/{pid}", f"/proposals/{pid}/versions"):
                response = client.get(path)
                assert response.status_code == 200, (side, role, path, response.text[:500])
            page = client.get(f"/proposals/{pid}").text
            assert "Housing stability and clinic visits" in page and "In review" in page
            listed = client.get(f"/proposals?side={side}").text
            assert f'href="/proposals/{pid}"' in listed, (side, role)
            other = "recipient" if side == "provider" else "provider"
            assert f'href="/proposals/{pid}"' not in client.get(f"/proposals?side={other}").text
    outsider = browse(w.other)
    for path in (
        f"/proposals/{pid}",
        f"/proposals/{pid}/edit",
        f"/proposals/{pid}/versions",
        f"/proposals/{pid}/public-record",
        f"/proposals/{pid}/public-record.json",
    ):
        assert outsider.get(path).status_code == 404, path
    assert f"/proposals/{pid}" not in outsider.get("/proposals").text
    refused = post(outsider, "/proposals", f"/proposals/{pid}/comments", {"body": "Hello?"})
    assert refused.status_code == 404  # type: ignore[attr-defined]


def test_restricted_answers_are_absent_for_those_who_may_not_read_them_and_audited_for_others(
    world: World, browse: Browse
) -> None:
    w = world
    pid = to_signatures(w)
    opinion = "Reviewed by legal: no objection."
    secrets = (
        SIGN_ANSWERS["security_requirements"],
        SIGN_ANSWERS["privacy_requirements"],
        opinion,
        "Enclave details for the legal team",
    )
    # a comment on a restricted question is restricted text too (written while it could be)
    with transaction(w.settings) as session:
        proposal = session.get(Proposal, pid)
        assert proposal is not None
        proposal.state = "in_review"
    run(
        w,
        reviews.add_comment,
        w.cdw["legal"],
        pid,
        "Enclave details for the legal team",
        question="security_requirements",
    )
    with transaction(w.settings) as session:
        proposal = session.get(Proposal, pid)
        assert proposal is not None
        proposal.state = "awaiting_signatures"
    # may not read: the provider's requester and program owner (they wrote nothing), the
    # recipient's steward, engineers (the administrative part), administrators
    for who in (
        w.cdw["requester"],
        w.cdw["program_owner"],
        w.dcs["steward"],
        w.cdw["data_engineer"],
        w.dcs["admin"],
    ):
        client = browse(who)
        for path in (f"/proposals/{pid}", f"/proposals/{pid}/versions?a=1&b=4"):
            html = client.get(path).text
            for secret in secrets:
                assert secret not in html, (who.username, path, secret)
        html = client.get(f"/proposals/{pid}").text
        for key in ("security_requirements", "privacy_requirements"):
            block = html[html.index(f'id="q-{key}"') :]
            block = block[: block.index('class="question"')]
            assert "Restricted: visible only to the data coordinators" in block, who.username
        if who is not w.cdw["data_engineer"]:
            assert restricted_reads(w, who.username) == [], who.username
    # the engineer reads the technical restricted answer, and that read is audited
    engineer = browse(w.cdw["data_engineer"])
    assert "DCS analytics enclave" in engineer.get(f"/proposals/{pid}").text
    assert [e.after for e in restricted_reads(w, "cdw_data_engineer")][-1] == '["data_management"]'
    # may read: the author, the other side's coordinator and legal representative
    for who in (w.dcs["requester"], w.cdw["data_coordinator"], w.dcs["legal"]):
        before = len(restricted_reads(w, who.username))
        html = browse(who).get(f"/proposals/{pid}").text
        for secret in secrets:
            assert secret in html, (who.username, secret)
        logged = restricted_reads(w, who.username)
        assert len(logged) == before + 1, who.username
        read = logged[-1].after or ""
        for part in ("security_requirements", "privacy_requirements", "opinion:legal"):
            assert part in read, (who.username, part)
        assert "comment:security_requirements" in read
    # the public-records copy withholds every restricted text, whoever asks for it
    coordinator = browse(w.cdw["data_coordinator"])
    release = coordinator.get(f"/proposals/{pid}/public-record")
    assert release.status_code == 200 and "Withheld" in release.text
    assert "script-src" not in release.headers["content-security-policy"]
    as_json = coordinator.get(f"/proposals/{pid}/public-record.json")
    assert as_json.json()["proposal"] == pid
    for secret in secrets:
        assert secret not in release.text and secret not in as_json.text


# --- the form ----------------------------------------------------------------------------------


def _base_version(html: str) -> int:
    found = re.search(r'name="base_version" value="(\d+)"', html)
    assert found, "no base_version on the form"
    return int(found.group(1))


def test_a_stale_save_shows_the_conflict_and_keeps_what_was_typed(
    world: World, browse: Browse
) -> None:
    w = world
    pid = start(w)
    requester, coordinator = w.dcs["requester"], w.dcs["data_coordinator"]
    client = browse(requester)
    form = client.get(f"/proposals/{pid}/edit")
    assert form.status_code == 200
    opened = _base_version(form.text)
    # meanwhile the coordinator changes the purpose and the contacts
    save(
        w,
        coordinator,
        pid,
        {"purpose": "Purpose written by the coordinator.", "contacts": "Coordinator's contacts."},
    )
    typed = "My contacts, typed while someone else saved."
    token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
    response = client.post(
        f"/proposals/{pid}/edit",
        data={
            "csrf_token": token,
            "base_version": opened,
            "q:use_case_name": "Housing study",
            "q:contacts": typed,
            "q:purpose": "",
        },
    )
    assert response.status_code == 409
    html = response.text
    assert "saved this proposal while you were editing" in html
    assert "nothing you typed is lost" in html
    assert "make them again" not in html  # nobody is told to type it all again
    assert typed in html  # kept in the form
    assert "Coordinator&#39;s contacts." in html  # theirs, shown beside to reconcile
    assert "Purpose written by the coordinator." in html  # only they changed it: brought in
    with transaction(w.settings, read_only=True) as session:
        proposal = session.get(Proposal, pid)
        assert proposal is not None
        assert proposal.answers["contacts"] == "Coordinator's contacts."  # nothing saved
        newest = proposal.version
    assert _base_version(html) == newest
    # saving the shown form again keeps both people's work
    again = client.post(
        f"/proposals/{pid}/edit",
        data={
            "csrf_token": token,
            "base_version": newest,
            "q:use_case_name": "Housing study",
            "q:contacts": typed,
            "q:purpose": "Purpose written by the coordinator.",
        },
        follow_redirects=False,
    )
    assert again.status_code == 303
    with transaction(w.settings, read_only=True) as session:
        answers = session.get(Proposal, pid).answers  # type: ignore[union-attr]
    assert answers["contacts"] == typed
    assert answers["purpose"] == "Purpose written by the coordinator."


def test_a_refused_save_lists_its_problems_at_the_questions(world: World, browse: Browse) -> None:
    w = world
    pid = start(w)
    client = browse(w.dcs["requester"])
    form = client.get(f"/proposals/{pid}/edit").text
    response = post(
        client,
        f"/proposals/{pid}/edit",
        f"/proposals/{pid}/edit",
        {
            "base_version": _base_version(form),
            "q:start_date": "next spring",
            "q:frequency": "hourly",
            "q:purpose": "A purpose worth keeping.",
        },
    )
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert "Start date must be a date" in html and "Frequency must be one of" in html
    assert "A purpose worth keeping." in html and 'aria-invalid="true"' in html
    with transaction(w.settings, read_only=True) as session:
        assert "purpose" not in session.get(Proposal, pid).answers  # type: ignore[union-attr]


def test_sending_with_missing_answers_lists_every_problem_and_changes_nothing(
    world: World, browse: Browse
) -> None:
    w = world
    pid = start(w)
    client = browse(w.dcs["requester"])
    page = client.get(f"/proposals/{pid}").text
    assert "Send to the provider" in page
    with transaction(w.settings, read_only=True) as session:
        version = session.get(Proposal, pid).version  # type: ignore[union-attr]
    response = post(client, f"/proposals/{pid}", f"/proposals/{pid}/move", {"verb": "send"})
    assert response.status_code == 422  # type: ignore[attr-defined]
    html = response.text  # type: ignore[attr-defined]
    assert "Nothing was changed" in html
    missing = [k for k in SEND_ANSWERS if k not in ("use_case_name", "data_categories")]
    from accord.proposals.form import BY_KEY

    for key in missing:
        assert f"{BY_KEY[key].label} is required before this step." in html, key
    assert "State the legal authority for PII." in html
    with transaction(w.settings, read_only=True) as session:
        proposal = session.get(Proposal, pid)
        assert proposal is not None and proposal.state == "draft" and proposal.version == version
    # a withdrawal needs its reason
    refused = post(client, f"/proposals/{pid}", f"/proposals/{pid}/move", {"verb": "withdraw"})
    assert refused.status_code == 422 and "Give the reason" in refused.text  # type: ignore[attr-defined]
    assert state_of(w, pid) == "draft"


def test_a_mark_made_before_joint_development_waits_for_it_in_the_pages_words(
    world: World, browse: Browse
) -> None:
    """The provider may mark a field as soon as it has the proposal; the requester answers the
    mark in joint development, and the page says so rather than ask for it now."""
    from accord.proposals import drafting

    w = world
    pid = ready_to_send(w)
    run(w, drafting.transition, w.dcs["requester"], pid, "send")
    with transaction(w.settings, read_only=True) as session:
        element = elements(session, load(session, w.dcs["requester"], pid))[0]
    run(w, drafting.mark_not_needed, w.cdw["data_coordinator"], pid, element.id, "Not needed.")
    page = browse(w.dcs["requester"]).get(f"/proposals/{pid}").text
    assert "says why the use needs it once joint development begins." in page
    assert "Answer the mark" not in page
    run(w, drafting.transition, w.cdw["data_coordinator"], pid, "begin_development")
    page = browse(w.dcs["requester"]).get(f"/proposals/{pid}").text
    assert "says why the use needs it." in page and "Answer the mark" in page


def test_every_post_needs_the_csrf_token(
    world: World, browse: Browse, app_client: TestClient
) -> None:
    w = world
    pid = start(w)
    requester = browse(w.dcs["requester"])
    posts = [
        r.path
        for r in _api_routes(list(app_client.app.routes))  # type: ignore[attr-defined]
        if "POST" in r.methods and r.path.startswith(("/proposals", "/basket"))
    ]
    assert len(posts) >= 18
    with transaction(w.settings, read_only=True) as session:
        before = session.scalar(select(func.count()).select_from(AuditEntry))
    for path in posts:
        url = (
            path.replace("{proposal_id:int}", str(pid))
            .replace("{element_id:int}", "1")
            .replace("{change_id:int}", "1")
            .replace("{concern_id:int}", "1")
        )
        response = requester.post(url, data={"verb": "withdraw", "note": "x", "body": "x"})
        assert response.status_code == 403, url
        assert "CSRF" in response.text, url
    with transaction(w.settings, read_only=True) as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == before
    assert state_of(w, pid) == "draft"


# --- the whole path, clicked -------------------------------------------------------------------


def test_the_whole_path_through_the_pages_ends_in_an_agreement(
    world: World, browse: Browse
) -> None:
    w = world
    pid = start(w)
    page = f"/proposals/{pid}"

    def act(actor: Actor, action: str, data: dict[str, object], status: int = 303) -> str:
        response = post(browse(actor), page, page + action, data)
        assert response.status_code == status, response.text[:3000]  # type: ignore[attr-defined]
        return str(response.text)  # type: ignore[attr-defined]

    def edit(actor: Actor, answers: dict[str, str]) -> None:
        client = browse(actor)
        form = client.get(f"{page}/edit").text
        data = {f"q:{k}": v for k, v in answers.items()} | {"base_version": _base_version(form)}
        response = post(client, f"{page}/edit", f"{page}/edit", data)
        assert response.status_code == 303, response.text[:3000]  # type: ignore[attr-defined]

    requester, dcs_dc, cdw_dc = (
        w.dcs["requester"],
        w.dcs["data_coordinator"],
        w.cdw["data_coordinator"],
    )
    edit(requester, SEND_ANSWERS)
    act(
        requester,
        "/authority",
        {f"a:{k}": f"WIC 10850(a) permits {k}." for k in ("PHI", "PII", "WIC § 10850")},
    )
    act(requester, "/comments", {"body": "Kickoff on Monday?"})
    # a comment on one question: back at that question, opened, with the notice there
    response = post(
        browse(requester), page, f"{page}/comments", {"body": "Scope?", "question": "purpose"}
    )
    location = response.headers["location"]  # type: ignore[attr-defined]
    assert location.endswith("?notice=commented&at=q-purpose#q-purpose")
    html = browse(requester).get(location.partition("#")[0]).text
    question = html[html.index('id="q-purpose"') :]
    question = question[: question.index('class="question"')]
    assert '<details class="comments" open>' in question and "Your comment was added." in question
    assert "Scope?" in question
    act(requester, "/move", {"verb": "send"})
    assert state_of(w, pid) == "sent_to_provider"
    home = browse(cdw_dc).get("/").text
    assert "Proposals received, to begin developing" in home and f'href="/proposals/{pid}"' in home
    act(cdw_dc, "/move", {"verb": "begin_development"})
    # minimum necessary: the steward marks a field, the requester answers
    with transaction(w.settings, read_only=True) as session:
        county = next(
            e.id
            for e in elements(session, load(session, requester, pid))
            if e.field_name == "county"
        )
    act(w.cdw["steward"], f"/elements/{county}/mark", {"reason": "County is not needed."})
    assert "Provider: not needed" in browse(requester).get(page).text
    act(requester, f"/elements/{county}/justify", {"justification": "Reports are by county."})
    # a change request by the provider, accepted by the recipient
    act(
        cdw_dc,
        "/changes",
        {"question": "redisclosure", "proposed": "No re-disclosure.", "reason": "Policy"},
    )
    html = browse(dcs_dc).get(page).text
    assert "Accept the change" in html
    assert "Accept the change" not in browse(cdw_dc).get(page).text  # not their own
    change = int(re.search(r'id="change-(\d+)"', html).group(1))  # type: ignore[union-attr]
    act(dcs_dc, f"/changes/{change}/decide", {"decision": "accept", "note": "Agreed."})
    edit(cdw_dc, REVIEW_ANSWERS | SIGN_ANSWERS)
    # the form shows restricted answers to who may read them: that view is audited too
    before = len(restricted_reads(w, cdw_dc.username))
    assert SIGN_ANSWERS["security_requirements"] in browse(cdw_dc).get(f"{page}/edit").text
    logged = restricted_reads(w, cdw_dc.username)
    assert len(logged) == before + 1 and "security_requirements" in (logged[-1].after or "")
    act(cdw_dc, "/move", {"verb": "start_review"})
    assert state_of(w, pid) == "in_review"
    # opinions, and a concern raised, answered and resolved
    for dept in (w.cdw, w.dcs):
        for role in ("legal", "privacy_officer", "security_officer"):
            act(dept[role], "/opinions", {"text": f"{role}: no objection."})
    act(w.cdw["security_officer"], "/concerns", {"text": "Is the enclave FedRAMP?"})
    html = browse(dcs_dc).get(page).text
    concern = int(re.search(r'id="concern-(\d+)"', html).group(1))  # type: ignore[union-attr]
    act(dcs_dc, f"/concerns/{concern}/answer", {"answer": "FedRAMP Moderate."})
    act(w.cdw["security_officer"], f"/concerns/{concern}/resolve", {"note": ""})
    act(cdw_dc, "/move", {"verb": "request_signatures"})
    assert state_of(w, pid) == "awaiting_signatures"
    # a signature needs the attestation, and a title; the problems are listed at the form
    refused = act(w.cdw["executive"], "/sign", {"title": ""}, status=422)
    assert "Confirm that you have read every registered opinion" in refused
    for dept in (w.cdw, w.dcs):
        act(dept["executive"], "/sign", {"title": "Deputy Director", "attest": "true"})
    for dept in (w.cdw, w.dcs):
        act(
            dept["data_coordinator"],
            "/final-review",
            {"title": "Data coordinator", "confirm": "true"},
        )
    assert state_of(w, pid) == "approved"
    html = browse(requester).get(page).text
    assert "Agreement record" in html and "Fields authorised (3)" in html
    assert "Not filed yet" in html and "the Statewide Chief Data Officer" in html
    record = html[html.index('id="agreement"') :]
    assert "WIC § 10850 — Confidentiality" in record
    assert "Social Security number" in record
    act(dcs_dc, "/move", {"verb": "file"})
    assert state_of(w, pid) == "filed"
    record = browse(requester).get(page).text
    record = record[record.index('id="agreement"') :]
    assert f"by {dcs_dc.username} (Department DCS) with the Statewide Chief Data Officer" in record
    history = browse(requester).get(page).text
    for words in ("Sent to provider", "In joint development", "Approved", "Filed"):
        assert words in history
    versions = browse(requester).get(f"{page}/versions?a=1&b=3").text
    assert "Use case description and purpose" in versions and SEND_ANSWERS["purpose"] in versions


def test_the_list_pages_and_filters_and_a_field_gone_from_the_catalog_stays_marked(
    world: World, browse: Browse, monkeypatch: pytest.MonkeyPatch
) -> None:
    from accord.db.base import utcnow
    from accord.web.pages.proposals import listing

    w = world
    first, second = start(w, ("client.county",)), start(w, ("client.ssn",))
    run(w, lambda session: setattr(session.get(Proposal, first), "state", "withdrawn"))
    monkeypatch.setattr(listing, "PAGE_SIZE", 1)
    client = browse(w.dcs["data_coordinator"])
    page_one = client.get("/proposals?side=recipient").text
    assert (
        f'href="/proposals/{second}"' in page_one and f'href="/proposals/{first}"' not in page_one
    )
    assert "Page 1 of 2" in page_one and 'href="/proposals?page=2&amp;side=recipient"' in page_one
    page_two = client.get("/proposals?side=recipient&page=2").text
    assert f'href="/proposals/{first}"' in page_two
    withdrawn = client.get("/proposals?state=withdrawn").text
    assert f'href="/proposals/{first}"' in withdrawn and f"/proposals/{second}" not in withdrawn
    assert "Your department is not party" not in client.get("/proposals?state=nonsense").text
    # the catalog drops a requested field: the proposal keeps it, marked
    with transaction(w.settings) as session:
        session.get(CatalogField, w.fields["client.ssn"]).removed_at = utcnow()  # type: ignore[union-attr]
    html = client.get(f"/proposals/{second}").text
    assert "no longer in the catalog" in html and "1 requested field is no longer" in html


def test_the_legal_authority_form_names_each_statute_by_citation_and_title(
    world: World, browse: Browse
) -> None:
    pid = start(world)
    html = browse(world.dcs["requester"]).get(f"/proposals/{pid}").text
    form = html[html.index('id="authority"') :]
    form = form[: form.index("</form>")]
    assert "WIC § 10850 — Confidentiality" in form
    # the reader who may not state it sees the same words
    html = browse(world.cdw["data_coordinator"]).get(f"/proposals/{pid}").text
    section = html[html.index('id="authority"') :]
    assert "WIC § 10850 — Confidentiality" in section[: section.index("</section>")]
