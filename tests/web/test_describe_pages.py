"""The describe-and-classify pages through the whole app: who sees and may do what, forms that
refuse bad input on the page they came from, CSRF, and the workflow from assignment to
publication and from suggestion to classification."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from accord.auth.actor import Actor
from accord.auth.tokens import create_token
from accord.auth.users import get_user
from accord.catalog.datasets import dataset_fields, list_datasets
from accord.catalog.describing import DESCRIPTION
from accord.catalog.fields import field_classifications
from accord.catalog.harvest.runs import harvest_now
from accord.catalog.sources import add_source
from accord.catalog.suggestions import open_suggestions, suggest
from accord.cli import app as cli
from accord.config import Settings
from accord.db.engine import transaction
from tests.catalog.sample import make_sqlite_source
from tests.factories import make_user
from tests.web.helpers import csrf_of, sign_in

COUNTY = "The county where the client lives."


@pytest.fixture
def people(settings: Settings) -> dict[str, Actor]:
    return {
        "engineer": make_user(settings, "eli", "data_engineer"),
        "steward": make_user(settings, "sam", "steward"),
        "reviewer": make_user(settings, "sue", "steward"),
        "security": make_user(settings, "sky", "security_officer"),
        "coordinator": make_user(settings, "cas", "data_coordinator"),
        "requester": make_user(settings, "rae", "requester"),
    }


@pytest.fixture
def ids(settings: Settings, people: dict[str, Actor], tmp_path: Path) -> dict[str, int]:
    """The sample clinic source, harvested; ids by dataset name and ``dataset.field``."""
    engineer = people["engineer"]
    with transaction(settings) as session:
        add_source(session, engineer, settings.key, name="clinic",
                   location=make_sqlite_source(tmp_path / "clinic.sqlite"))
    harvest_now(settings, engineer, "clinic")
    found: dict[str, int] = {}
    with transaction(settings) as session:
        for row in list_datasets(session, engineer):
            found[row.dataset.name] = row.dataset.id
            for f in dataset_fields(session, engineer, row.dataset.id):
                found[f"{row.dataset.name}.{f.name}"] = f.id
    return found


def as_user(client: TestClient, username: str) -> None:
    client.cookies.clear()
    sign_in(client, username)


def post(client: TestClient, page: str, action: str, data: dict[str, object]) -> httpx.Response:
    return client.post(action, data={**data, "csrf_token": csrf_of(client, page)},
                       follow_redirects=False)


def test_navigation_and_page_permissions(
    app_client: TestClient, people: dict[str, Actor], ids: dict[str, int]
) -> None:
    as_user(app_client, "rae")
    home = app_client.get("/catalog").text
    assert 'href="/catalog/my-work"' not in home and 'href="/catalog/suggestions"' not in home
    assert app_client.get("/catalog/my-work").status_code == 403
    # Anyone may look at the queue (dataset pages link to it) but only officers decide there.
    queue = app_client.get("/catalog/suggestions")
    assert queue.status_code == 200 and "Run the classifier" not in queue.text
    assert "Decide by field name" not in queue.text

    as_user(app_client, "sam")
    assert 'href="/catalog/my-work"' in app_client.get("/catalog").text
    response = post(app_client, "/catalog/my-work", "/catalog/suggestions/decide",
                    {"single": "accept:1"})
    assert response.status_code == 403
    dataset = ids["main.client"]
    response = post(app_client, f"/catalog/datasets/{dataset}",
                    f"/catalog/datasets/{dataset}/assign", {"steward": "sam", "scope": "all"})
    assert response.status_code == 403
    assert "Assign fields to a steward" not in app_client.get(f"/catalog/datasets/{dataset}").text

    as_user(app_client, "sky")
    page = app_client.get("/catalog").text
    assert 'href="/catalog/suggestions"' in page and 'href="/catalog/my-work"' not in page


def test_posts_need_the_csrf_token(
    app_client: TestClient, people: dict[str, Actor], ids: dict[str, int]
) -> None:
    as_user(app_client, "cas")
    dataset = ids["main.client"]
    response = app_client.post(f"/catalog/datasets/{dataset}/assign",
                               data={"steward": "sam", "scope": "all"})
    assert response.status_code == 403
    assert "CSRF" in response.text


def test_assign_describe_submit_review(
    app_client: TestClient, people: dict[str, Actor], ids: dict[str, int]
) -> None:
    dataset, ssn = ids["main.client"], ids["main.client.ssn"]
    as_user(app_client, "cas")
    page = f"/catalog/datasets/{dataset}"
    refused = post(app_client, page, f"{page}/assign", {"steward": "sam", "scope": "selected"})
    assert refused.status_code == 422
    assert "Choose at least one field." in refused.text
    assert "<details class=\"edit\" open>" in refused.text
    done = post(app_client, page, f"{page}/assign",
                {"steward": "sam", "scope": "selected",
                 "field_ids": [ssn, ids["main.client.county"]]})
    assert done.headers["location"] == f"{page}?notice=fields_assigned"
    assert "steward sam" in app_client.get(page).text

    as_user(app_client, "sam")
    work = app_client.get("/catalog/my-work").text
    assert "Fields assigned to you (2)" in work and f'href="/catalog/fields/{ssn}"' in work
    refused = post(app_client, "/catalog/my-work", f"/catalog/fields/{ssn}/submit", {})
    assert refused.status_code == 422
    assert "Write a definition before submitting it." in refused.text
    nothing = post(app_client, "/catalog/my-work", "/catalog/my-work/submit", {})
    assert "Tick the fields to submit for review." in nothing.text

    field = f"/catalog/fields/{ssn}"
    post(app_client, field, f"{field}/describe", {"definition": "The ssn."})
    assert "It restates the name" in app_client.get(field).text  # the hint beside the form
    post(app_client, field, f"{field}/describe",
         {"definition": "The client's Social Security number as issued by the SSA."})
    submitted = post(app_client, "/catalog/my-work", "/catalog/my-work/submit",
                     {"field_ids": [ssn]})
    assert submitted.headers["location"] == "/catalog/my-work?count=1&notice=submitted"
    text = app_client.get(field).text
    assert "In review" in text and "Publish the description" not in text
    assert "You submitted this description" in text
    # while in review the description reads, it is not a form
    assert "the description is read-only until the reviewer" in text
    assert "Save the description" not in text and 'id="fd-definition"' not in text
    assert "as issued by the SSA." in text

    as_user(app_client, "sue")
    assert "Waiting for your review (1)" in app_client.get("/catalog/my-work").text
    refused = post(app_client, "/catalog/my-work", f"{field}/description-review",
                   {"decision": "send_back", "note": " ", "back": "my-work"})
    assert refused.status_code == 422
    assert "Say what should change." in refused.text
    sent = post(app_client, "/catalog/my-work", f"{field}/description-review",
                {"decision": "send_back", "note": "Spell out SSA.", "back": "my-work"})
    assert sent.headers["location"] == "/catalog/my-work?notice=sent_back"

    as_user(app_client, "sam")
    work = app_client.get("/catalog/my-work").text
    assert "Spell out SSA." in work
    assert "Sent back by the reviewer" in app_client.get(field).text


def test_publishing_from_the_field_page(
    app_client: TestClient, people: dict[str, Actor], ids: dict[str, int]
) -> None:
    county = ids["main.client.county"]
    field = f"/catalog/fields/{county}"
    as_user(app_client, "sam")
    post(app_client, field, f"{field}/describe", {"definition": COUNTY})
    post(app_client, field, f"{field}/submit", {})
    as_user(app_client, "sue")
    response = post(app_client, field, f"{field}/description-review", {"decision": "publish"})
    assert response.headers["location"] == f"{field}?notice=description_published"
    text = app_client.get(response.headers["location"]).text
    assert "The description was published." in text and "wf-published" in text


def test_a_reviewer_whose_page_is_out_of_date_publishes_nothing(
    app_client: TestClient, people: dict[str, Actor], ids: dict[str, int]
) -> None:
    field = f"/catalog/fields/{ids['main.client.county']}"
    as_user(app_client, "sam")
    post(app_client, field, f"{field}/describe", {"definition": COUNTY})
    post(app_client, field, f"{field}/submit", {})
    as_user(app_client, "sue")
    seen = re.search(r'name="seen" value="(\w+)"', app_client.get(field).text)
    assert seen is not None
    reviewer_cookies = dict(app_client.cookies)
    as_user(app_client, "sam")  # meanwhile the steward rewrites it and submits it again
    post(app_client, field, f"{field}/describe", {"definition": "Rewritten after review began."})
    post(app_client, field, f"{field}/submit", {})
    app_client.cookies.clear()
    app_client.cookies.update(reviewer_cookies)
    refused = post(app_client, field, f"{field}/description-review",
                   {"decision": "publish", "seen": seen.group(1)})
    assert refused.status_code == 409
    assert "changed after you read it" in refused.text
    assert "Rewritten after review began." in refused.text  # the page shows the new text
    page = app_client.get(field).text
    assert "wf-in_review" in page and "wf-published" not in page


def test_an_illegal_describe_transition_is_refused_alike_by_page_api_and_cli(
    settings: Settings, app_client: TestClient, people: dict[str, Actor], ids: dict[str, int]
) -> None:
    """Publishing a description twice: the page shows why (409, the form's problem), the API
    answers the pinned error shape, the CLI exits 5; nothing is recorded twice."""
    county = ids["main.client.county"]
    field = f"/catalog/fields/{county}"
    as_user(app_client, "sam")
    post(app_client, field, f"{field}/describe", {"definition": COUNTY})
    post(app_client, field, f"{field}/submit", {})
    again = post(app_client, field, f"{field}/submit", {})
    assert again.status_code == 409
    assert f"Cannot submit the description of field {county}: it is in review." in again.text
    as_user(app_client, "sue")
    post(app_client, field, f"{field}/description-review", {"decision": "publish"})
    page = post(app_client, field, f"{field}/description-review", {"decision": "publish"})
    assert page.status_code == 409 and 'role="alert"' in page.text
    message = (
        f"Cannot publish the description of field {county}: it is published. It can be done "
        "when it is in review, by any data coordinator, data steward or program owner, but not "
        "its author."
    )
    assert message in page.text

    with transaction(settings) as session:
        secret = create_token(session, people["reviewer"], get_user(session, "sue"),
                              name="t", days=1)[1]
    answer = app_client.post(f"/api/v1/describe/{county}/review", json={"approve": True},
                             headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 409
    assert answer.json() == {
        "error": {
            "code": "invalid_transition",
            "message": message,
            "lifecycle": "description",
            "state": "published",
            "verb": "publish",
        }
    }

    env = {
        "ACCORD_DATABASE_URL": settings.resolved_database_url,
        "ACCORD_DATA_DIR": str(settings.data_dir),
        "ACCORD_SECRET_KEY": settings.key.decode(),
    }
    result = CliRunner().invoke(
        cli, ["describe", "review", "main.client", "county", "--publish", "--as", "sue"], env=env
    )
    assert result.exit_code == 5 and message in " ".join(result.output.split())
    with transaction(settings) as session:
        moves = [(m.verb, m.actor) for m in DESCRIPTION.history(session, county)]
    assert moves == [("submit", "sam"), ("publish", "sue")]


def test_completeness_and_statute_check(
    app_client: TestClient, people: dict[str, Actor], ids: dict[str, int]
) -> None:
    dataset, county = ids["main.client"], ids["main.client.county"]
    as_user(app_client, "sam")
    field = f"/catalog/fields/{county}"
    post(app_client, field, f"{field}/describe", {"definition": COUNTY})
    response = post(app_client, field, f"{field}/statute-check", {"none_apply": "true"})
    assert response.headers["location"] == f"{field}?notice=statute_check_saved"
    assert "Checked: no statute applies to this field." in app_client.get(field).text

    for key, words in (("full_name", "The client's name as on their documents."),
                       ("ssn", "The client's Social Security number.")):
        f = f"/catalog/fields/{ids[f'main.client.{key}']}"
        post(app_client, f, f"{f}/describe", {"definition": words})

    # client has five fields: three defined, one statute-checked, none classified (each share
    # its own number, so that one shown in another's place fails)
    for page in ("/catalog", "/catalog/sources/clinic", "/catalog/search?q=main"):
        text = app_client.get(page).text
        assert "Definitions 60% · Classified 0% · Statutes 20%" in text, page
        assert 'aria-label="Described 27% overall"' in text, page
    text = app_client.get(f"/catalog/datasets/{dataset}").text
    assert "3 of 5 fields have a definition" in text
    assert 'aria-label="Definitions: 60%">60%</meter> <strong>60%</strong>' in text
    assert 'aria-label="Statutes: 20%">20%</meter> <strong>20%</strong>' in text
    assert "No classification suggestion is waiting" in text


def test_running_and_deciding_suggestions(
    app_client: TestClient, settings: Settings, people: dict[str, Actor], ids: dict[str, int]
) -> None:
    as_user(app_client, "sky")
    source = app_client.get("/catalog/sources/clinic").text
    assert 'href="/catalog/suggestions?source=clinic#h-run"' in source
    assert '<option value="clinic" selected>' in app_client.get(
        "/catalog/suggestions?source=clinic").text
    refused = post(app_client, "/catalog/suggestions", "/catalog/suggestions/run",
                   {"source": "clinic", "sample_size": "lots"})
    assert refused.status_code == 422
    assert "Give a whole number from 0 to 1000" in refused.text
    ran = post(app_client, "/catalog/suggestions", "/catalog/suggestions/run",
               {"source": "clinic", "sample_size": "20"})
    assert ran.status_code == 200
    # visit_date dates a clinical event: PII and PHI (CLASSIFICATION.md), two suggestions.
    assert "12 new suggestions" in ran.text
    assert "12 open suggestions" in ran.text  # the queue read after the run, not before
    assert "12 open suggestions" in app_client.get("/catalog/suggestions").text
    dataset = ids["main.client"]
    listing = app_client.get("/catalog").text  # five for main.client, five for main.visit
    assert listing.count("5 open suggestions") >= 2

    with transaction(settings) as session:
        queue = {(i.field.name, i.dataset.name): i.suggestion.id
                 for i in open_suggestions(session, people["security"])}
    ssn = queue[("ssn", "main.client")]
    accepted = post(app_client, "/catalog/suggestions", "/catalog/suggestions/decide",
                    {"single": f"accept:{ssn}", "ids": [queue[("county", "main.client")]]})
    assert "notice=accepted" in accepted.headers["location"]
    again = post(app_client, "/catalog/suggestions", "/catalog/suggestions/decide",
                 {"single": f"reject:{ssn}"})
    assert again.status_code == 422 and "Already decided." in again.text
    none = post(app_client, "/catalog/suggestions", "/catalog/suggestions/decide",
                {"decision": "reject"})
    assert "Tick at least one suggestion." in none.text

    preview = app_client.get("/catalog/suggestions", params={"pattern": "*_date",
                                                              "decision": "reject"}).text
    assert "would decide 3 suggestions on 2 fields" in preview
    assert "Reject these 3 suggestions" in preview
    empty = app_client.get("/catalog/suggestions", params={"pattern": " "})
    assert empty.status_code == 422 and "Give a pattern such as *_ssn." in empty.text
    stale = post(app_client, "/catalog/suggestions", "/catalog/suggestions/pattern",
                 {"pattern": "*_date", "decision": "reject", "expected": 2})
    assert stale.status_code == 422
    assert "The queue changed since the preview" in stale.text
    assert "11 open suggestions" in app_client.get("/catalog/suggestions").text  # nothing decided
    done = post(app_client, "/catalog/suggestions", "/catalog/suggestions/pattern",
                {"pattern": "*_date", "decision": "reject", "expected": 3})
    assert done.headers["location"] == "/catalog/suggestions?count=3&notice=rejected"

    field = app_client.get(f"/catalog/fields/{ids['main.client.ssn']}").text
    assert "No suggestion is waiting for a decision on this field." in field
    with transaction(settings) as session:
        assert field_classifications(session, [ids["main.client.ssn"]])[ids["main.client.ssn"]] == [
            "PII:ssn"]
    assert "1 of 5 fields are classified" in app_client.get(f"/catalog/datasets/{dataset}").text


def test_deciding_on_the_field_page(
    app_client: TestClient, settings: Settings, people: dict[str, Actor], ids: dict[str, int]
) -> None:
    suggest(settings, people["security"], "clinic")
    name = ids["main.client.full_name"]
    as_user(app_client, "sam")
    text = app_client.get(f"/catalog/fields/{name}").text
    assert "PII:name" in text and "92%" in text and 'value="accept:' not in text
    as_user(app_client, "sky")
    text = app_client.get(f"/catalog/fields/{name}").text
    suggestion = re.search(r'value="reject:(\d+)"', text)
    assert suggestion
    response = post(app_client, f"/catalog/fields/{name}", f"/catalog/fields/{name}/suggestions",
                    {"single": f"reject:{suggestion.group(1)}"})
    assert response.headers["location"] == (
        f"/catalog/fields/{name}?notice=suggestion_rejected")
    bad = post(app_client, f"/catalog/fields/{name}", f"/catalog/fields/{name}/suggestions",
               {"single": f"reject:{suggestion.group(1)}"})
    assert bad.status_code == 422 and "Already decided." in bad.text


def test_submitting_a_datasets_described_fields(
    app_client: TestClient, people: dict[str, Actor], ids: dict[str, int]
) -> None:
    dataset, county = ids["main.client"], ids["main.client.county"]
    page = f"/catalog/datasets/{dataset}"
    as_user(app_client, "cas")
    post(app_client, page, f"{page}/assign", {"steward": "sam", "scope": "all"})
    as_user(app_client, "sam")
    assert 'class="submit-ready"' not in app_client.get(page).text  # nothing described yet
    field = f"/catalog/fields/{county}"
    post(app_client, field, f"{field}/describe", {"definition": COUNTY})
    text = app_client.get(page).text
    assert "Submit the described field for review" in text
    done = post(app_client, page, "/catalog/my-work/submit",
                {"dataset_id": dataset, "field_ids": [county]})
    assert done.headers["location"] == f"{page}?notice=descriptions_submitted"
    text = app_client.get(done.headers["location"]).text
    assert "The described fields were submitted for review." in text
    assert 'class="submit-ready"' not in text and "In review" in text
    refused = post(app_client, page, "/catalog/my-work/submit",
                   {"dataset_id": dataset, "field_ids": [ids["main.client.ssn"]]})
    assert refused.status_code == 422
    assert "Write a definition before submitting it." in refused.text
