"""A release made on the De-identify page is linked to the catalog dataset chosen on the
form (issue 12 item 4): the link is stored and shown on the release, in the history and on
the dataset's page; a dataset that cannot be linked is refused and nothing is released."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select

from accord.auth.actor import Actor
from accord.auth.models import AuditEntry
from accord.auth.roles import Role
from accord.catalog.datasets import Inventory, register_dataset
from accord.catalog.models import Dataset
from accord.config import Settings
from accord.db.base import utcnow
from accord.db.engine import transaction
from accord.releases.models import TableRelease
from accord.releases.service import RELEASES_FOLDER
from accord.web.pages.deid.linking import chosen_dataset
from tests.deid.conftest import COUNTY_AGE_CSV
from tests.factories import make_user
from tests.web.helpers import csrf_of, sign_in

SPEC = "title: Visits by county\ndimensions: [county, age]\ncount: n\nstatistics: [rate]\n"
TITLE, NAME = "Clinic visits", "clinic_visits"


def _datasets(settings: Settings) -> tuple[int, int]:
    """A dataset with a title and one removed from its source, registered by a steward."""
    steward = make_user(settings, "sam", "steward")
    with transaction(settings) as session:
        kept = register_dataset(
            session, steward, name=NAME, kind="extract", change=Inventory(title=TITLE)
        )
        gone = register_dataset(
            session,
            steward,
            name="old_visits",
            kind="extract",
            change=Inventory(title="Old visits"),
        )
        gone.removed_at = utcnow()
        return kept.id, gone.id


def _post(client: TestClient, step: str, dataset: str, spec: str = SPEC) -> Response:
    files = [("table", ("visits.csv", COUNTY_AGE_CSV.encode(), "text/csv"))]
    if spec:
        files.append(("spec", ("spec.yaml", spec.encode(), "application/yaml")))
    token = csrf_of(client, "/deid")
    data = {"csrf_token": token, "step": step, "dataset": dataset}
    response: Response = client.post("/deid", data=data, files=files, follow_redirects=False)
    return response


def _nothing_released(settings: Settings) -> None:
    with transaction(settings) as session:
        assert session.scalars(select(TableRelease)).all() == []
        actions = session.scalars(select(AuditEntry.action)).all()
        assert "deid.release" not in actions
    assert not (settings.data_dir / RELEASES_FOLDER).exists()


def test_the_form_offers_the_catalog_datasets_and_the_release_keeps_the_link(
    settings: Settings, app_client: TestClient
) -> None:
    kept, gone = _datasets(settings)
    sign_in(app_client, "sam")
    form = app_client.get("/deid").text
    assert '<label for="deid-dataset">Catalog dataset (optional)</label>' in form
    assert '<select id="deid-dataset" name="dataset"' in form
    assert f'<option value="{kept}">{TITLE} ({NAME})</option>' in form
    assert f'<option value="{gone}">' not in form  # removed from its source: not offered

    response = _post(app_client, "release", str(kept))
    assert response.status_code == 303, response.text
    address = response.headers["location"]
    number = int(address.rsplit("/", 1)[1])
    with transaction(settings) as session:
        record = session.get(TableRelease, number)
        assert record is not None and record.dataset_id == kept

    linked = f'<a href="/catalog/datasets/{kept}">{TITLE}</a> <span class="tech-name">{NAME}</span>'
    release = app_client.get(address).text
    assert re.search(rf"<dt>Catalog dataset</dt><dd>{re.escape(linked)}", release)
    history = app_client.get("/deid/releases").text
    row = history.split(f'<a href="/deid/releases/{number}">{number}</a>')[1].split("</tr>")[0]
    assert linked in row
    assert linked in app_client.get(f"/deid/releases?dataset={kept}").text
    other = app_client.get(f"/deid/releases?dataset={gone}").text
    assert f'href="/deid/releases/{number}"' not in other
    assert "No table has been released from this dataset yet." in other

    # the dataset's page lists it for those who may see releases, and only for them
    page = app_client.get(f"/catalog/datasets/{kept}").text
    assert "Tables released from this dataset" in page
    assert f'<a href="/deid/releases/{number}">Release {number}: Visits by county</a>' in page
    make_user(settings, "rae", "requester")
    app_client.cookies.clear()
    sign_in(app_client, "rae")
    page = app_client.get(f"/catalog/datasets/{kept}")
    assert page.status_code == 200 and "Tables released from this dataset" not in page.text
    assert "/deid/releases/" not in page.text


def test_the_chosen_dataset_is_kept_when_the_form_is_shown_again(
    settings: Settings, app_client: TestClient
) -> None:
    kept, _ = _datasets(settings)
    sign_in(app_client, "sam")
    response = _post(app_client, "release", str(kept), spec="")
    assert response.status_code == 422 and "choose the SPEC" in response.text
    assert f'<option value="{kept}" selected>{TITLE} ({NAME})</option>' in response.text
    _nothing_released(settings)


@pytest.mark.parametrize("which", ["missing", "word", "too large"])
def test_a_dataset_that_cannot_be_linked_is_refused_and_nothing_is_released(
    settings: Settings, app_client: TestClient, which: str
) -> None:
    kept, _ = _datasets(settings)
    chosen, said = {
        "missing": ("999999", "the catalog has no dataset '999999' that you may link"),
        "word": ("visits", "the catalog has no dataset 'visits' that you may link"),
        "too large": ("9" * 20, f"the catalog has no dataset '{'9' * 20}' that you may link"),
    }[which]
    sign_in(app_client, "sam")
    for step in ("release", "assess"):
        response = _post(app_client, step, chosen)
        assert response.status_code == 422, response.text
        page = html.unescape(response.text)
        assert "Please correct the following" in page
        assert f"<strong>Catalog dataset</strong>: {said}" in page, page
        assert 'name="table"' in page and f'<option value="{kept}">' in page
    _nothing_released(settings)
    with transaction(settings) as session:
        assert session.get(Dataset, kept) is not None


def test_a_dataset_the_person_may_not_see_is_refused_as_one_that_does_not_exist(
    settings: Settings,
) -> None:
    """The catalog service decides who may see a dataset; the page refuses what it refuses,
    in the words it uses for a dataset that does not exist (its existence is not told)."""
    kept, _ = _datasets(settings)
    nobody = Actor(user_id=None, username="nobody", roles=frozenset())
    sam = Actor(user_id=None, username="sam", roles=frozenset({Role.STEWARD}))
    with transaction(settings) as session:
        assert chosen_dataset(session, sam, f" {kept} ") == (kept, None)
        assert chosen_dataset(session, sam, "") == (None, None)
        dataset_id, problem = chosen_dataset(session, nobody, str(kept))
    assert dataset_id is None and problem is not None
    assert problem.field == "Catalog dataset"
    assert problem.message == (
        f"the catalog has no dataset '{kept}' that you may link a release to: "
        "choose one from the list, or none"
    )
