"""/deid: the De-identify page, driven like a browser against the real application."""

from __future__ import annotations

import base64
import csv
import html
import json
import re
import textwrap
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlalchemy import select

from accord.auth.models import AuditEntry
from accord.config import Settings
from accord.db.engine import transaction
from accord.deid.findings import Finding
from accord.deid.io.isolated import inline
from accord.deid.io.report import render_html
from accord.deid.model.tables import LoadedTable
from accord.deid.release import Release
from accord.deid.spec.spec import TableSpec
from accord.releases import service as release_service
from accord.web.pages.deid import releases as release_pages
from accord.web.pages.deid import tables as deid_pages
from accord.web.pages.deid import uploads
from accord.web.pages.deid.tables import EXAMPLE_SPEC, REMEDY
from tests.deid.conftest import COUNTY_AGE_CSV
from tests.deid.test_drop import SPEC as DROP_SPEC
from tests.deid.test_drop import two_year_table
from tests.factories import make_user
from tests.web.helpers import csrf_of, sign_in

SPEC = (
    "title: Visits by county\ndimensions: [county, age]\ncount: n\nstatistics: [rate]\nscore: 14\n"
)
README = Path(__file__).resolve().parents[2] / "README.md"
Upload = list[tuple[str, tuple[str, bytes, str]]]


def _upload(table: str = COUNTY_AGE_CSV, spec: str = SPEC, name: str = "visits.csv") -> Upload:
    return [
        ("table", (name, table.encode(), "text/csv")),
        ("spec", ("spec.yaml", spec.encode(), "application/yaml")),
        # an unchosen optional file field, as a browser sends it
        ("files", ("", b"", "application/octet-stream")),
    ]


def _steward(settings: Settings, client: TestClient) -> str:
    make_user(settings, "sam", "steward")
    sign_in(client, "sam")
    return csrf_of(client, "/deid")


def _post(client: TestClient, token: str, step: str, files: Upload | None = None) -> str:
    response = client.post(
        "/deid", data={"csrf_token": token, "step": step}, files=files or _upload()
    )
    return f"{response.status_code} {response.text}"


def _entries(settings: Settings) -> list[dict[str, object]]:
    with transaction(settings) as session:
        found = session.scalars(select(AuditEntry).where(AuditEntry.action == "deid.release"))
        return [json.loads(e.after or "{}") | {"object": e.object_id} for e in found]


def _data_link(page: str, name: str) -> str:
    match = re.search(rf'href="data:[^;]+;charset=utf-8;base64,([^"]+)" download="{name}"', page)
    assert match, f"no download link for {name}"
    return base64.b64decode(match.group(1)).decode()


def _stored(client: TestClient, page: str, name: str) -> str:
    """A file of the stored release the page shows, downloaded again."""
    match = re.search(rf'href="(/deid/releases/\d+/files/{re.escape(name)})" download', page)
    assert match, f"no download link for {name}"
    response = client.get(match.group(1))
    assert response.status_code == 200
    return response.text


def _stored_spec(page: str) -> str:
    match = re.search(r"The SPEC it was released with</h2>\s*<pre>(.*?)</pre>", page, re.S)
    assert match, "no SPEC on the release page"
    return html.unescape(match.group(1))


def test_form_explains_both_choices_and_shows_the_readme_spec(
    settings: Settings, app_client: TestClient
) -> None:
    _steward(settings, app_client)
    page = app_client.get("/deid")
    assert page.status_code == 200
    assert 'name="step" value="assess" checked' in page.text
    assert 'name="step" value="release"' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    assert 'href="/deid" aria-current="page">De-identify<' in page.text
    assert "county: {file: counties.csv, child: county, parent: region}" in page.text
    readme = README.read_text(encoding="utf-8")
    block = readme.split("hold counts. SPEC is YAML:\n\n", 1)[1].split("\n\n", 1)[0]
    assert textwrap.dedent(block) + "\n" == EXAMPLE_SPEC


@pytest.mark.parametrize("role", ["requester", "auditor"])
def test_roles_without_deid_run_are_refused(
    settings: Settings, app_client: TestClient, role: str
) -> None:
    make_user(settings, "rae", role)
    sign_in(app_client, "rae")
    assert 'href="/deid"' not in app_client.get("/").text
    assert app_client.get("/deid").status_code == 403
    token = csrf_of(app_client, "/")
    assert _post(app_client, token, "release").startswith("403 ")
    assert _entries(settings) == []


def test_signed_out_is_sent_to_sign_in(app_client: TestClient) -> None:
    response = app_client.get("/deid", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/deid"


def test_release_needs_the_form_token(settings: Settings, app_client: TestClient) -> None:
    _steward(settings, app_client)
    answer = _post(app_client, "not-the-token", "release")
    assert answer.startswith("403 ") and "CSRF" in answer
    assert _entries(settings) == []


def test_missing_files_are_listed_together(settings: Settings, app_client: TestClient) -> None:
    token = _steward(settings, app_client)
    response = app_client.post(
        "/deid",
        data={"csrf_token": token, "step": "publish"},
        files=[("table", ("", b"", "application/octet-stream"))],
    )
    assert response.status_code == 422
    assert "Please correct the following" in response.text
    for problem in ("choose Assess or Release", "choose the table", "choose the SPEC"):
        assert problem in response.text


def test_bad_input_lists_every_problem_and_produces_nothing(
    settings: Settings, app_client: TestClient
) -> None:
    token = _steward(settings, app_client)
    bad_spec = "dimensions: [county, region]\ncount: visits\nscore: 14\n"
    answer = _post(app_client, token, "release", _upload(spec=bad_spec))
    assert answer.startswith("422 ")
    assert "Please correct the following" in answer and "nothing was produced" in answer
    assert "region" in answer and "visits" in answer
    assert 'download="table.csv"' not in answer and 'name="table"' in answer
    [entry] = _entries(settings)
    assert entry["outcome"] == "invalid"

    answer = _post(app_client, token, "assess", _upload(name="visits.xlsx"))
    assert answer.startswith("422 ") and "upload a .csv or .parquet file" in answer


def test_assess_shows_steps_two_and_three(settings: Settings, app_client: TestClient) -> None:
    token = _steward(settings, app_client)
    answer = _post(app_client, token, "assess")
    assert answer.startswith("200 ")
    assert "Assessment of visits.csv" in answer and "Masking is required" in answer
    assert re.search(r"Values that come from 1 to 10 people</th><td class=\"num\">1<", answer)
    assert "The publication score is <strong>14</strong>, as the SPEC gives it." in answer
    assert _entries(settings) == []  # an assessment publishes nothing


def test_release_shows_the_report_and_offers_the_files(
    settings: Settings, app_client: TestClient
) -> None:
    token = _steward(settings, app_client)
    answer = _post(app_client, token, "release")
    assert answer.startswith("200 ")
    assert "Release 1: Visits by county" in answer
    assert "<title>Release 1 · Accord</title>" in answer
    assert "<dt>Small counts withheld (primary)</dt><dd>1</dd>" in answer
    row = re.search(r"<tr>\s*<td class=\"num\">1</td>(.*?)</tr>", answer, re.S)
    assert row and "<td>A</td><td>young</td>" in row.group(1)
    assert "Small count (below 11)" in row.group(1) and "1 to 10 (10 possible values)" in row.group(
        1
    )

    published = list(csv.DictReader(_stored(app_client, answer, "table.csv").splitlines()))
    a_young = next(r for r in published if r["county"] == "A" and r["age"] == "young")
    assert a_young["n"] == "" and a_young["annotation"] == "1"
    assert "S: count below 11" in _stored(app_client, answer, "table.md")
    assert json.loads(_stored(app_client, answer, "report.json"))["summary"]["primary"] == 1
    assert "<h1>" in _stored(app_client, answer, "report.html")

    [entry] = _entries(settings)
    assert entry["outcome"] == "released" and entry["object"] == "1"
    assert entry["table"] == "visits.csv"
    assert entry["primary"] == 1 and entry["audit_passed"] is True
    # the history lists it, and refreshing the report does not release again
    history = app_client.get("/deid/releases")
    assert history.status_code == 200 and '<a href="/deid/releases/1">Visits by county</a>' in (
        history.text
    )
    assert app_client.get("/deid/releases/1").status_code == 200
    assert len(_entries(settings)) == 1
    # an auditor reads the releases but is offered no De-identify link, which would refuse them
    make_user(settings, "ava", "auditor")
    app_client.cookies.clear()
    sign_in(app_client, "ava")
    for path in ("/deid/releases", "/deid/releases/1"):
        page = app_client.get(path)
        assert page.status_code == 200 and 'href="/deid"' not in page.text, path


def test_blocked_release_says_why_and_what_to_do(
    settings: Settings, app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = release_service.release_loaded

    def failing_audit(loaded: LoadedTable, spec: TableSpec) -> Release:
        rel = real(loaded, spec)
        rel.findings.append(
            Finding("R4-audit", "10.5", "can be narrowed to 3 value(s)", cell={"county": "A"})
        )
        return rel

    monkeypatch.setattr(release_service, "release_loaded", failing_audit)
    # the engine in this process, where the patch is (the server's pool runs it in another)
    monkeypatch.setattr(uploads, "engine", lambda _settings: inline)
    token = _steward(settings, app_client)
    answer = _post(app_client, token, "release")
    assert answer.startswith("422 ")
    assert "The table cannot be protected as it is" in answer
    assert "<strong>Cell county = A</strong>: can be narrowed to 3 value(s) (DDG §10.5)" in answer
    assert REMEDY in answer and 'download="table.csv"' not in answer
    assert 'value="release" checked' in answer
    [entry] = _entries(settings)
    assert entry["outcome"] == "refused"


TINY_COUNTY_CSV = """county,age,n
A,young,40
A,old,50
B,young,30
B,old,35
C,young,25
C,old,60
D,young,12
D,old,14
E,young,1
E,old,2
"""


def test_a_table_suppression_cannot_protect_gets_a_tested_recode(
    settings: Settings, app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """County E's total (3) could hide only behind another county's total, and totals are
    never complements: the page proposes merging E with the smallest county, and that SPEC
    line, pasted in, releases the table."""
    token = _steward(settings, app_client)
    spec = "title: Visits by county\ndimensions: [county, age]\ncount: n\nscore: 14\n"
    monkeypatch.setattr(deid_pages, "SHOWN_FINDINGS", 1)
    answer = _post(app_client, token, "release", _upload(TINY_COUNTY_CSV, spec))
    assert answer.startswith("422 ") and "The table cannot be protected as it is" in answer
    assert "<li>… and 3 more (3 R4-audit)</li>" in answer
    assert "Combining these categories lets the table pass" in answer
    assert "<li><strong>county</strong>: D + E</li>" in answer
    snippet = re.search(r'<pre class="snippet">(.*?)</pre>', answer, re.S)
    assert snippet
    recode = snippet.group(1).replace("&#39;", "'").replace("&#34;", '"')
    answer = _post(app_client, token, "release", _upload(TINY_COUNTY_CSV, spec + recode))
    assert answer.startswith("200 "), answer[:2000]
    published = list(csv.DictReader(_stored(app_client, answer, "table.csv").splitlines()))
    merged = {r["age"]: r["n"] for r in published if r["county"] == "D + E"}
    assert merged == {"young": "13", "old": "16"}
    report = json.loads(_stored(app_client, answer, "report.json"))
    assert report["recode"] == {"county": {"D": "D + E", "E": "D + E"}}
    combined = "<dt>Categories combined first (DDG §10.1)</dt><dd>county: D + E</dd>"
    assert combined in render_html(report)
    assert "<dt>Categories combined first (DDG §10.1)</dt><dd>county: D + E</dd>" in answer
    metadata = _stored(app_client, answer, "metadata.txt")
    assert "combined before suppression (DDG §10.1): D + E." in metadata
    assert [e["outcome"] for e in _entries(settings)] == ["refused", "released"]


def test_the_sample_table_and_spec_on_the_page_release(
    settings: Settings, app_client: TestClient
) -> None:
    token = _steward(settings, app_client)
    page = app_client.get("/deid").text
    table, spec = _data_link(page, "healthy-habits.csv"), _data_link(page, "healthy-habits.yaml")
    answer = _post(app_client, token, "release", _upload(table, spec, "healthy-habits.csv"))
    assert answer.startswith("200 ")
    assert "<dt>Small counts withheld (primary)</dt><dd>5</dd>" in answer


def test_a_long_list_of_withheld_cells_is_cut_on_the_page(
    settings: Settings, app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(release_pages, "SHOWN_CELLS", 2)
    token = _steward(settings, app_client)
    answer = _post(
        app_client, token, "release", _upload(deid_pages.SAMPLE_TABLE, deid_pages.SAMPLE_SPEC)
    )
    assert answer.startswith("200 ")
    assert "… and 6 more withheld cells: report.json lists every one." in answer


def test_both_restructurings_are_offered_when_leaving_out_the_year_keeps_more(
    settings: Settings, app_client: TestClient
) -> None:
    token = _steward(settings, app_client)
    answer = _post(app_client, token, "release", _upload(two_year_table(), DROP_SPEC))
    assert answer.startswith("422 ")
    assert "<h4>Combine categories</h4>" in answer
    assert "<h4>Or: publish the table without year</h4>" in answer
    assert answer.index("Or: publish two linked tables") < answer.index("Or: publish the table")
    assert "Adding the table up over year lets the table pass" in answer
    assert "The table keeps 18 of its 54 cells (totals included)." in answer
    assert '<pre class="snippet">drop:\n- year\n</pre>' in answer
    # or the years in a second table beside it, linked by county: the page's SPEC releases
    assert "<h4>Or: publish two linked tables, county × sex and county × year</h4>" in answer
    assert "Publishing the table as two tables that share their county totals" in answer
    assert "The table keeps 30 of its 54 cells (totals included)." in answer
    snippets = re.findall(r'<pre class="snippet">(.*?)</pre>', answer, re.S)
    assert snippets[1] == "publish:\n- - county\n  - sex\n- - county\n  - year\n"
    upload = _upload(two_year_table(), DROP_SPEC + snippets[1])
    released = _post(app_client, token, "release", upload)
    assert released.startswith("200 ")
    assert (
        "<dt>Linked tables (sharing their totals)</dt><dd>county × sex; county × year</dd>"
        in released
    )


def _described(client: TestClient, token: str, step: str, table: str, **fields: str) -> str:
    """Post the form with a table and a description instead of a SPEC file."""
    files: Upload = [
        ("table", ("visits.csv", table.encode(), "text/csv")),
        ("spec", ("", b"", "application/octet-stream")),
    ]
    data = {"csrf_token": token, "step": step, **fields}
    response = client.post("/deid", data=data, files=files)
    return f"{response.status_code} {response.text}"


def test_a_table_described_on_the_page_is_released_and_its_spec_offered(
    settings: Settings, app_client: TestClient
) -> None:
    token = _steward(settings, app_client)
    fields = {
        "title": "Visits by county",
        "dimensions": "county, age",
        "count": "n",
        "statistics": "rate",
        "score": "14",
        "totals": "published",
    }
    answer = _described(app_client, token, "release", COUNTY_AGE_CSV, **fields)
    assert answer.startswith("200 "), answer[:3000]
    assert "Release 1: Visits by county" in answer
    assert "<dt>Small counts withheld (primary)</dt><dd>1</dd>" in answer
    written = yaml.safe_load(_stored_spec(answer))
    assert written == {
        "title": "Visits by county",
        "dimensions": ["county", "age"],
        "count": "n",
        "statistics": ["rate"],
        "score": 14,
    }
    # the SPEC it wrote, chosen as a file, gives the same release
    again = _post(app_client, token, "release", _upload(spec=yaml.safe_dump(written)))
    assert _stored(app_client, again, "table.csv") == _stored(app_client, answer, "table.csv")
    assessed = _described(app_client, token, "assess", COUNTY_AGE_CSV, **fields)
    assert assessed.startswith("200 ") and "Masking is required" in assessed
    assert "The SPEC written from your description" in assessed


def test_a_description_with_problems_is_shown_again_as_typed(
    settings: Settings, app_client: TestClient
) -> None:
    token = _steward(settings, app_client)
    answer = _described(
        app_client, token, "release", COUNTY_AGE_CSV, dimensions="county, age", score="high"
    )
    assert answer.startswith("422 ")
    assert "Count column" in answer and "name the column that holds the counts" in answer
    assert "&#39;high&#39; is not a whole number" in answer
    assert 'value="county, age"' in answer and 'value="high"' in answer
    assert '<details class="edit" id="deid-describe" open>' in answer
    # a column the table does not have is the engine's finding, shown with the description
    answer = _described(
        app_client, token, "release", COUNTY_AGE_CSV, dimensions="county, region", count="n"
    )
    assert answer.startswith("422 ") and "region" in answer
    assert 'value="county, region"' in answer
    assert _entries(settings)[-1]["outcome"] == "invalid"


def test_a_spec_file_and_a_description_together_are_refused(
    settings: Settings, app_client: TestClient
) -> None:
    token = _steward(settings, app_client)
    response = app_client.post(
        "/deid",
        data={"csrf_token": token, "step": "release", "dimensions": "county", "count": "n"},
        files=_upload(),
    )
    assert response.status_code == 422
    assert "choose a SPEC file or describe the table on this page, not both" in response.text
    assert _entries(settings) == []


def test_a_refusal_offers_the_whole_spec_with_the_proposed_change(
    settings: Settings, app_client: TestClient
) -> None:
    """A described table that needs combined counties: the page offers the SPEC it wrote
    with the recode added, and that file releases the table."""
    token = _steward(settings, app_client)
    answer = _described(
        app_client,
        token,
        "release",
        TINY_COUNTY_CSV,
        dimensions="county, age",
        count="n",
        score="14",
    )
    assert answer.startswith("422 ") and "Combining these categories lets the table pass" in answer
    changed = yaml.safe_load(_data_link(answer, "spec.yaml"))
    assert changed["dimensions"] == ["county", "age"]
    assert changed["recode"] == {"county": {"D": "D + E", "E": "D + E"}}
    upload = _upload(TINY_COUNTY_CSV, yaml.safe_dump(changed))
    released = _post(app_client, token, "release", upload)
    assert released.startswith("200 ")


# issue 12's spreadsheet export: one column per age band and their total
WIDE_CSV = (
    "County,0-17,18-44,45-64,65+,Total\nAlpine,3,7,12,5,27\nButte,40,120,95,60,315\n"
    "Colusa,22,41,30,18,111\nDel Norte,25,38,33,26,122\n"
)
WIDE_DESCRIPTION = {
    "dimensions": "County",
    "count": "n",
    "wide_dimension": "age_band",
    "wide_columns": "0-17, 18-44, 45-64, 65+",
    "wide_total": "Total",
    "score": "14",
}


def test_a_wide_table_described_on_the_page_is_assessed(
    settings: Settings, app_client: TestClient
) -> None:
    """The wide fields write `wide:` (the dimension added to the dimensions), and the
    engine reads each row as one count per age band: Alpine's 3, 7 and 5 are small."""
    token = _steward(settings, app_client)
    answer = _described(app_client, token, "assess", WIDE_CSV, **WIDE_DESCRIPTION)
    assert answer.startswith("200 "), answer[:3000]
    assert "Assessment of visits.csv" in answer and "Masking is required" in answer
    assert re.search(r"Values that come from 1 to 10 people</th><td class=\"num\">3<", answer)
    written = yaml.safe_load(_data_link(answer, "spec.yaml"))
    assert written == {
        "dimensions": ["County", "age_band"],
        "count": "n",
        "wide": {
            "dimension": "age_band",
            "columns": ["0-17", "18-44", "45-64", "65+"],
            "total": "Total",
        },
        "score": 14,
    }
    # named among the dimensions already, it is not added twice; pass-through columns go in
    fields = WIDE_DESCRIPTION | {"dimensions": "age_band, County", "pass_through": "Region"}
    lines = WIDE_CSV.splitlines()
    with_region = "\n".join([lines[0] + ",Region"] + [row + ",North" for row in lines[1:]])
    answer = _described(app_client, token, "assess", with_region, **fields)
    assert answer.startswith("200 "), answer[:3000]
    written = yaml.safe_load(_data_link(answer, "spec.yaml"))
    assert written["dimensions"] == ["age_band", "County"]
    assert written["pass_through"] == ["Region"]


def test_an_incomplete_wide_description_says_what_is_missing(
    settings: Settings, app_client: TestClient
) -> None:
    token = _steward(settings, app_client)
    answer = _described(
        app_client, token, "assess", WIDE_CSV, dimensions="County", wide_total="Total"
    )
    assert answer.startswith("422 ")
    assert "name the dimension the category columns make" in answer
    assert "name the columns whose headers are its categories" in answer
    assert "name the new column the counts go in" in answer
    assert 'value="Total"' in answer  # shown again as typed, the wide part open
    assert '<details class="edit" id="deid-wide" open>' in answer


def test_a_wide_table_read_as_long_is_refused_naming_its_other_columns(
    settings: Settings, app_client: TestClient
) -> None:
    """Issue 12: the old guess (County the dimension, 65+ the count) would have published
    the other age bands and the total unprotected; now the release is refused by name."""
    token = _steward(settings, app_client)
    answer = _described(
        app_client, token, "release", WIDE_CSV, dimensions="County", count="65+", score="14"
    )
    assert answer.startswith("422 "), answer[:3000]
    for column in ("0-17", "18-44", "45-64", "Total"):
        assert f"column &#39;{column}&#39; is not described by the SPEC" in answer
    assert "column &#39;65+&#39; is not described" not in answer
    # a description to correct, not a table to coarsen: no remedies for small counts
    assert "Please correct the following" in answer
    assert "The table cannot be protected as it is" not in answer
    assert 'value="65+"' in answer  # the description is shown again to correct


def test_any_description_gets_a_page_never_a_server_error(
    settings: Settings, app_client: TestClient
) -> None:
    """Whatever is typed into the description, the answer is the release or the form with
    its problems: never a server error, and nothing released from a bad description."""
    token = _steward(settings, app_client)
    columns = st.sampled_from(["county", "age", "n", "rate", "Total", "", " ", "n,n", "ü"])
    text = st.one_of(columns, st.text(max_size=30))
    fields = st.fixed_dictionaries(
        {
            "dimensions": st.one_of(
                st.just("county, age"), text, st.lists(columns, max_size=4).map(", ".join)
            ),
            "count": st.one_of(st.just("n"), text),
            "score": st.one_of(st.just(""), st.integers(-5, 40).map(str), text),
            "totals": st.sampled_from(["published", "unpublished", "x"]),
            "statistics": text,
            "denominator": text,
            "title": text,
            "wide_dimension": st.one_of(st.just(""), st.just("age"), text),
            "wide_columns": st.one_of(st.just(""), st.lists(columns, max_size=3).map(", ".join)),
            "wide_total": st.one_of(st.just(""), text),
            "pass_through": st.one_of(st.just(""), text),
        }
    )

    @hypothesis_settings(
        max_examples=40,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(typed=fields)
    def post(typed: dict[str, str]) -> None:
        answer = _described(app_client, token, "release", COUNTY_AGE_CSV, **typed)
        assert answer[:4] in ("200 ", "422 "), answer[:500]
        if answer.startswith("200 "):
            assert "The SPEC written from your description" in answer

    post()
