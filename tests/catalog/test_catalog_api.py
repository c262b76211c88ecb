from __future__ import annotations

from fastapi.testclient import TestClient

from accord.auth.tokens import create_token
from accord.auth.users import get_user
from accord.config import Settings
from accord.db.engine import transaction
from accord.jobs.worker import run_pending
from tests.catalog.sample import make_sqlite_source
from tests.factories import make_user


def bearer(settings: Settings, username: str, *roles: str) -> dict[str, str]:
    actor = make_user(settings, username, *roles)
    with transaction(settings) as session:
        secret = create_token(session, actor, get_user(session, username), name="t", days=1)[1]
    return {"Authorization": f"Bearer {secret}"}


def test_source_harvest_and_metadata_over_the_api(
    settings: Settings, app_client: TestClient, tmp_path
) -> None:
    engineer = bearer(settings, "eli", "data_engineer")
    steward = bearer(settings, "sam", "steward")
    security = bearer(settings, "sky", "security_officer")
    url = make_sqlite_source(tmp_path / "c.sqlite")
    created = app_client.post(
        "/api/v1/sources", headers=engineer, json={"name": "clients", "location": url}
    )
    assert created.status_code == 201 and created.json()["kind"] == "database"
    run = app_client.post("/api/v1/sources/clients/harvest", headers=engineer)
    assert run.status_code == 202 and run.json()["status"] == "queued"
    assert run_pending(settings) == 1  # what the worker beside the server does
    status = app_client.get(f"/api/v1/harvests/{run.json()['id']}", headers=engineer).json()
    assert status["status"] == "succeeded" and status["report"]["fields_total"] == 11
    listed = app_client.get("/api/v1/datasets", headers=steward).json()
    client = next(d for d in listed if d["name"] == "main.client")
    found = app_client.get("/api/v1/datasets", headers=steward,
                           params={"q": "CLIENT", "sort": "name", "order": "desc"})
    assert [d["name"] for d in found.json()] == ["main.client", "main.active_client"]
    refused = app_client.get("/api/v1/datasets", headers=steward, params={"sort": "size"})
    assert refused.status_code == 422 and "Sort by one of" in refused.text
    detail = app_client.get(f"/api/v1/datasets/{client['id']}", headers=steward).json()
    ssn = next(f for f in detail["fields"] if f["name"] == "ssn")
    patched = app_client.patch(
        f"/api/v1/fields/{ssn['id']}",
        headers=steward,
        json={"definition": "Social Security number of the client."},
    )
    assert patched.status_code == 200
    refused = app_client.put(
        f"/api/v1/fields/{ssn['id']}/classifications", headers=steward, json={"codes": ["PII:ssn"]}
    )
    assert refused.status_code == 403
    ok = app_client.put(
        f"/api/v1/fields/{ssn['id']}/classifications", headers=security, json={"codes": ["PII:ssn"]}
    )
    assert ok.json() == ["PII:ssn"]
    hits = app_client.get(
        "/api/v1/search", headers=steward, params={"q": "social security", "classification": "PII"}
    ).json()
    assert [(h["kind"], h["title"]) for h in hits] == [("field", "ssn")]
    csv_ = app_client.get(
        f"/api/v1/datasets/{client['id']}/dictionary", params={"format": "csv"}, headers=steward
    )
    assert csv_.status_code == 200 and "Social Security number of the client." in csv_.text
    rollup = app_client.post("/api/v1/rollup", headers=steward, json={"field_ids": [ssn["id"]]})
    assert [g["key"] for g in rollup.json()["classifications"]] == ["PII", "PII:ssn"]


def test_source_password_never_returned(settings: Settings, app_client: TestClient) -> None:
    engineer = bearer(settings, "eli", "data_engineer")
    created = app_client.post(
        "/api/v1/sources",
        headers=engineer,
        json={"name": "hr", "location": "postgresql+psycopg://u:topsecret@127.0.0.1:1/x"},
    )
    assert created.status_code == 201 and "topsecret" not in created.text
    assert "topsecret" not in app_client.get("/api/v1/sources", headers=engineer).text
    run = app_client.post("/api/v1/sources/hr/harvest", headers=engineer).json()
    run_pending(settings)
    status = app_client.get(f"/api/v1/harvests/{run['id']}", headers=engineer).json()
    assert status["status"] == "failed" and "topsecret" not in str(status)
