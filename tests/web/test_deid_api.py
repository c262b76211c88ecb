"""/api/v1/deid: the `accord deid` commands over HTTP, against the real application."""

from __future__ import annotations

import csv
import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from accord.auth.models import AuditEntry
from accord.auth.tokens import create_token
from accord.auth.users import get_user
from accord.config import Settings
from accord.db.engine import transaction
from accord.deid.findings import Finding
from accord.deid.io.isolated import inline
from accord.deid.model.tables import LoadedTable
from accord.deid.release import Release
from accord.deid.spec.spec import TableSpec
from accord.releases import service as release_service
from accord.web.pages.deid import uploads
from tests.deid.conftest import COUNTY_AGE_CSV
from tests.factories import make_user

TABLE = COUNTY_AGE_CSV
SPEC = (
    "title: Visits by county\ndimensions: [county, age]\ncount: n\nstatistics: [rate]\nscore: 14\n"
)
Upload = list[tuple[str, tuple[str, bytes, str]]]


def _headers(settings: Settings, username: str = "dee", *roles: str) -> dict[str, str]:
    actor = make_user(settings, username, *(roles or ("steward",)))
    with transaction(settings) as session:
        secret = create_token(session, actor, get_user(session, username), name="t", days=1)[1]
    return {"Authorization": f"Bearer {secret}"}


def _upload(
    table: str = TABLE, spec: str = SPEC, table_name: str = "visits.csv", **extra: str
) -> Upload:
    files = [
        ("table", (table_name, table.encode(), "text/csv")),
        ("spec", ("spec.yaml", spec.encode(), "application/yaml")),
    ]
    files += [("files", (name, text.encode(), "text/csv")) for name, text in extra.items()]
    return files


def _entries(settings: Settings, action: str) -> list[AuditEntry]:
    with transaction(settings) as session:
        found = session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()
        session.expunge_all()
        return list(found)


def test_assess_returns_the_cli_document(settings: Settings, app_client: TestClient) -> None:
    response = app_client.post("/api/v1/deid/assess", headers=_headers(settings), files=_upload())
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["score"] == 14 and doc["masking_required"] is True
    assert doc["step2"]["small_numerators"] >= 1 and doc["step2"]["next_step"] == 3


def test_release_returns_report_and_both_tables_and_is_audited(
    settings: Settings, app_client: TestClient
) -> None:
    headers = _headers(settings)
    response = app_client.post("/api/v1/deid/release", headers=headers, files=_upload())
    assert response.status_code == 200, response.text
    doc = response.json()
    published = list(csv.DictReader(doc["table_csv"].splitlines()))
    a_young = next(r for r in published if r["county"] == "A" and r["age"] == "young")
    assert a_young["n"] == "" and a_young["annotation"] == "1"
    assert len(doc["report"]["rows"]) == 12 and doc["report"]["summary"]["released"] is True
    assert "S: count below 11" in doc["table_markdown"]
    assert doc["metadata"].strip()

    [entry] = _entries(settings, "deid.release")
    after = json.loads(entry.after or "{}")
    number = doc["release"]["id"]
    assert entry.object_id == str(number) and entry.actor == "dee"
    assert after["table"] == "visits.csv" and after["outcome"] == "released"
    assert after["rows"] == 12 and after["primary"] >= 1
    assert "young" not in (entry.after or "")  # counts and outcome only, never the data

    # the release is kept: listed, and its files can be downloaded again
    [listed] = app_client.get("/api/v1/deid/releases", headers=headers).json()
    assert listed["id"] == number and listed["outcome"] == "released"
    assert listed["created_by"] == "dee" and listed["table"] == "visits.csv"
    again = app_client.get(listed["files"]["table.csv"], headers=headers)
    assert again.status_code == 200 and again.text == doc["table_csv"]
    one = app_client.get(f"/api/v1/deid/releases/{number}", headers=headers)
    assert "dimensions: [county, age]" in one.json()["spec"]


def test_blocked_release_answers_422_and_is_audited(
    settings: Settings, app_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = release_service.release_loaded

    def failing_audit(loaded: LoadedTable, spec: TableSpec) -> Release:
        rel = real(loaded, spec)
        rel.findings.append(Finding("audit-failed", "10.5", "cell A/young can be narrowed to 3"))
        return rel

    monkeypatch.setattr(release_service, "release_loaded", failing_audit)
    # the engine in this process, where the patch is (the server's pool runs it in another)
    monkeypatch.setattr(uploads, "engine", lambda _settings: inline)
    headers = _headers(settings)
    response = app_client.post("/api/v1/deid/release", headers=headers, files=_upload())
    assert response.status_code == 422
    body = response.json()
    assert "report" not in body and "table_csv" not in body
    assert [f["rule"] for f in body["error"]["findings"]] == ["audit-failed"]
    [entry] = _entries(settings, "deid.release")
    assert json.loads(entry.after or "{}")["outcome"] == "refused"
    # kept in the history without files, with what refused it
    [listed] = app_client.get("/api/v1/deid/releases", headers=headers).json()
    assert listed["outcome"] == "refused" and listed["files"] == {}
    assert [f["rule"] for f in listed["findings"]] == ["audit-failed"]


def test_a_release_suppression_cannot_protect_answers_with_a_tested_recode(
    settings: Settings, app_client: TestClient
) -> None:
    table = "county,age,n\n" + "".join(
        f"{c},{a},{n}\n"
        for c, a, n in [("A", "young", 40), ("A", "old", 50), ("B", "young", 30),
                        ("B", "old", 35), ("C", "young", 12), ("C", "old", 14),
                        ("D", "young", 1), ("D", "old", 2)]
    )
    spec = "dimensions: [county, age]\ncount: n\nscore: 14\n"
    response = app_client.post(
        "/api/v1/deid/release", headers=_headers(settings), files=_upload(table, spec)
    )
    assert response.status_code == 422
    findings = response.json()["error"]["findings"]
    assert {f["rule"] for f in findings} >= {"R4-audit", "aggregation-proposal"}
    merge, without = [f for f in findings if f["rule"] == "aggregation-proposal"]
    assert without["details"]["drop"] == ["age"] and without["details"]["passes"] is True
    proposal = merge
    assert proposal["details"]["passes"] is True
    recode = proposal["details"]["recode"]
    assert recode == {"county": {"C": "C + D", "D": "C + D"}}
    again = app_client.post(
        "/api/v1/deid/release",
        headers=_headers(settings, "dee2"),
        files=_upload(table, spec + "recode: " + json.dumps(recode) + "\n"),
    )
    assert again.status_code == 200, again.text
    assert again.json()["report"]["summary"]["released"] is True


def test_audit_of_a_published_table(settings: Settings, app_client: TestClient) -> None:
    """DDG 4.4.3 Example 3: XXX's 0.0% of 7,500 shows its count is 1 to 3."""
    published = (
        "area,n,pct,pop,annotation\nXXX,,0.0,7500,1\nYYY,15,1.0,1500,\n"
        "ZZZ,0,0.0,900,\nWWW,40,2.0,2000,\nTotal,58,,,\n"
    )
    spec = (
        "dimensions: [area]\ncount: n\ndenominator: pop\n"
        "statistics: [{column: pct, per: 100, decimals: 1}]\n"
    )
    response = app_client.post(
        "/api/v1/deid/audit", headers=_headers(settings), files=_upload(published, spec)
    )
    assert response.status_code == 200, response.text
    doc = response.json()
    assert doc["passed"] is False
    assert any(f["rule"] == "derived-not-suppressed" for f in doc["findings"])
    [entry] = _entries(settings, "deid.audit")
    assert json.loads(entry.after or "{}")["outcome"] == "failed"


def test_hierarchy_file_travels_with_the_spec(settings: Settings, app_client: TestClient) -> None:
    spec = SPEC + "hierarchies:\n  county: {file: counties.csv, child: county, parent: region}\n"
    files = _upload(spec=spec, **{"counties.csv": "county,region\nA,North\nB,North\nC,South\n"})
    response = app_client.post("/api/v1/deid/release", headers=_headers(settings), files=files)
    assert response.status_code == 200, response.text
    missing = app_client.post(
        "/api/v1/deid/release", headers=_headers(settings, "ed"), files=_upload(spec=spec)
    )
    assert missing.status_code == 422
    assert "was not uploaded" in missing.text and "/tmp" not in missing.text


@pytest.mark.parametrize(
    "path",
    ["../counties.csv", "/etc/passwd", "sub/counties.csv", "..\\\\counties.csv"],
)
def test_spec_cannot_reach_files_outside_the_upload(
    settings: Settings, app_client: TestClient, path: str
) -> None:
    spec = SPEC + f"hierarchies:\n  county: {{file: '{path}', child: county, parent: region}}\n"
    response = app_client.post(
        "/api/v1/deid/assess", headers=_headers(settings), files=_upload(spec=spec)
    )
    assert response.status_code == 422
    assert "plain file name" in response.json()["error"]["findings"][0]["message"]


def test_bad_input_lists_every_problem_and_produces_nothing(
    settings: Settings, app_client: TestClient
) -> None:
    bad = TABLE.replace("A,young,3,", "A,young,-3,").replace("B,old,30,", "B,old,x,")
    response = app_client.post(
        "/api/v1/deid/release", headers=_headers(settings), files=_upload(table=bad)
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed" and "report" not in response.json()
    rules = {f["rule"] for f in error["findings"]}
    assert {"count-negative", "count-not-integer"} <= rules
    assert {p["field"] for p in error["problems"]} == rules
    [entry] = _entries(settings, "deid.release")
    assert json.loads(entry.after or "{}")["outcome"] == "invalid"


@pytest.mark.parametrize(
    ("table_name", "table", "spec", "rule"),
    [
        ("visits.csv", TABLE.encode(), b"\xff\xfe\x00bad", "bad-spec"),
        ("visits.csv", TABLE.encode(), b"statistics: 1\n", "bad-spec"),
        ("visits.parquet", b"PAR1 not really", SPEC.encode(), "bad-table"),
        ("visits.csv", b"\xff\xfe\x00", SPEC.encode(), "bad-table"),
    ],
)
def test_unreadable_files_are_refused(
    settings: Settings,
    app_client: TestClient,
    table_name: str,
    table: bytes,
    spec: bytes,
    rule: str,
) -> None:
    files = [
        ("table", (table_name, table, "application/octet-stream")),
        ("spec", ("spec.yaml", spec, "application/yaml")),
    ]
    response = app_client.post("/api/v1/deid/assess", headers=_headers(settings), files=files)
    assert response.status_code == 422, response.text
    assert rule in {f["rule"] for f in response.json()["error"]["findings"]}


def test_unknown_column_in_spec(settings: Settings, app_client: TestClient) -> None:
    response = app_client.post(
        "/api/v1/deid/assess",
        headers=_headers(settings),
        files=_upload(spec=SPEC.replace("count: n", "count: people")),
    )
    assert response.status_code == 422
    assert "unknown-column" in {f["rule"] for f in response.json()["error"]["findings"]}


@pytest.mark.parametrize(
    "name", ["../visits.csv", "/tmp/visits.csv", "a/../../visits.csv", "..\\visits.csv", ".."]
)
def test_path_tricks_in_upload_names_are_refused(
    settings: Settings, app_client: TestClient, name: str
) -> None:
    response = app_client.post(
        "/api/v1/deid/audit", headers=_headers(settings), files=_upload(table_name=name)
    )
    assert response.status_code == 422
    assert "plain file name" in response.text
    [entry] = _entries(settings, "deid.audit")
    assert json.loads(entry.after or "{}")["outcome"] == "invalid"


def test_table_must_be_csv_or_parquet_and_names_distinct(
    settings: Settings, app_client: TestClient
) -> None:
    headers = _headers(settings)
    wrong = app_client.post(
        "/api/v1/deid/assess", headers=headers, files=_upload(table_name="visits.txt")
    )
    assert wrong.status_code == 422 and ".parquet" in wrong.text
    twice = app_client.post(
        "/api/v1/deid/assess", headers=headers, files=_upload(table_name="spec.yaml")
    )
    assert twice.status_code == 422 and "uploaded twice" in twice.text


def test_score(settings: Settings, app_client: TestClient) -> None:
    unit = {
        "events": {"min_nonzero_cell": 1},
        "time": {"period": "year"},
        "geography": {"basis": "residence", "min_population": 1163},
    }
    headers = _headers(settings)
    response = app_client.post("/api/v1/deid/score", headers=headers, json=unit)
    assert response.status_code == 200, response.text
    assert response.json()["total"] == 14 and response.json()["masking_required"] is True
    bad = app_client.post(
        "/api/v1/deid/score", headers=headers, json={"time": {"period": "fortnight"}}
    )
    assert bad.status_code == 422 and bad.json()["error"]["findings"]


@pytest.mark.parametrize("role", ["requester", "auditor", "legal"])
def test_roles_without_deid_run_are_refused(
    settings: Settings, app_client: TestClient, role: str
) -> None:
    headers = _headers(settings, "rita", role)
    for route in ("assess", "release", "audit"):
        response = app_client.post(f"/api/v1/deid/{route}", headers=headers, files=_upload())
        assert response.status_code == 403, route
        assert response.json()["error"]["code"] == "permission_denied"
    scored = app_client.post("/api/v1/deid/score", headers=headers, json={})
    assert scored.status_code == 403
    assert _entries(settings, "deid.release") == []


def test_unauthenticated_is_refused(app_client: TestClient) -> None:
    bogus = {"Authorization": "Bearer not-a-token"}
    for route in ("assess", "release", "audit"):
        response = app_client.post(f"/api/v1/deid/{route}", headers=bogus, files=_upload())
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"
        # Without any credentials the CSRF check refuses the write before anything runs.
        assert app_client.post(f"/api/v1/deid/{route}", files=_upload()).status_code == 403
    assert app_client.post("/api/v1/deid/score", headers=bogus, json={}).status_code == 401


def test_request_size_limit_applies(settings: Settings, app_client: TestClient) -> None:
    big = TABLE + "x" * (settings.max_request_mb * 2**20)
    response = app_client.post(
        "/api/v1/deid/assess", headers=_headers(settings), files=_upload(table=big)
    )
    assert response.status_code == 413


# 600 bytes that safe YAML loading expands to 9^9 strings: walking or printing it takes minutes
ALIAS_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n"
    for p, n in zip("abcdefgh", "bcdefghi", strict=True)
) + "dimensions: *i\ncount: n\n"


def test_a_yaml_alias_bomb_is_refused_at_once(settings: Settings, app_client: TestClient) -> None:
    response = app_client.post(
        "/api/v1/deid/assess", headers=_headers(settings), files=_upload(spec=ALIAS_BOMB)
    )
    assert response.status_code == 422
    assert "aliases (*name) are not accepted" in response.text
