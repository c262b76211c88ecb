from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.config import Settings
from tests.catalog.sample import make_sqlite_source
from tests.cli.test_cli import cli_env  # noqa: F401 - fixture
from tests.factories import make_user


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def engineer(cli_env: Settings) -> str:  # noqa: F811
    make_user(cli_env, "eli", "data_engineer", "steward")
    return "eli"


def test_source_harvest_dictionary_search(cli_env: Settings, engineer: str, tmp_path) -> None:  # noqa: F811
    url = make_sqlite_source(tmp_path / "clients.sqlite")
    code, output = run("source", "add", "clients", url, "--as", engineer)
    assert code == 0, output
    code, output = run("harvest", "clients", "--as", engineer)
    assert code == 0, output
    assert "Harvested 3 datasets, 11 fields." in output
    code, output = run("dictionary", "clients/main.client", "--format", "csv", "--as", engineer)
    assert code == 0, output
    rows = list(csv.DictReader(io.StringIO(output)))
    assert [r["name"] for r in rows] == ["client_id", "full_name", "ssn", "birth_date", "county"]
    out_file = tmp_path / "dict.json"
    code, output = run(
        "dictionary",
        "main.visit",
        "--format",
        "table-schema",
        "--out",
        str(out_file),
        "--as",
        engineer,
    )
    assert code == 0, output
    schema = json.loads(out_file.read_text())
    assert schema["primaryKey"] in (["visit_id"], "visit_id")
    code, output = run("search", "diagnosis", "--as", engineer)
    assert code == 0 and "diagnosis_code" in output
    code, output = run("search", "dagnosis", "--as", engineer)
    assert code == 0 and "No matches. Did you mean: diagnosis?" in output


def test_reharvest_shows_drift(cli_env: Settings, engineer: str, tmp_path) -> None:  # noqa: F811
    path = tmp_path / "clients.sqlite"
    run("source", "add", "clients", make_sqlite_source(path), "--as", engineer)
    run("harvest", "clients", "--as", engineer)
    make_sqlite_source(path, extra_column=True)
    code, output = run("harvest", "clients", "--as", engineer)
    assert code == 0 and "1 fields added:" in output and "main.client.phone" in output


def test_errors_are_clear(cli_env: Settings, engineer: str, tmp_path) -> None:  # noqa: F811
    code, output = run("harvest", "nope", "--as", engineer)
    assert code == 4 and "No source named" in output
    code, output = run("source", "add", "Bad Name", "sqlite:///x.db", "--as", engineer)
    assert code == 2 and "name" in output
    code, output = run("dictionary", "missing.table", "--as", engineer)
    assert code == 4
    code, output = run("dictionary", "1", "--format", "pdf", "--as", engineer)
    assert code == 2 and "format must be one of" in output
    run("source", "add", "gone", f"sqlite:///{tmp_path / 'nothing' / 'x.db'}", "--as", engineer)
    code, output = run("harvest", "gone", "--as", engineer)
    assert code != 0 and "Traceback" not in output


def test_check_metadata_for_a_source_and_a_url(cli_env: Settings, engineer: str, tmp_path) -> None:  # noqa: F811
    path = tmp_path / "clients.sqlite"
    url = make_sqlite_source(path)
    run("source", "add", "clients", url, "--as", engineer)
    run("harvest", "clients", "--as", engineer)
    code, output = run("check-metadata", "clients", "--require", "definition", "--as", engineer)
    assert code == 1 and "main.client.ssn: no definition" in output
    assert "11 field(s) are not done" in output
    make_sqlite_source(path, extra_column=True)
    code, output = run("check-metadata", url, "--format", "jsonl", "--as", engineer)
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert {
        "dataset": "main.client",
        "field": "phone",
        "missing": ["definition", "classification"],
    } in lines
    code, output = run("check-metadata", "clients", "--require", "colour", "--as", engineer)
    assert code == 2


def test_check_metadata_passes_when_done(cli_env: Settings, engineer: str, tmp_path) -> None:  # noqa: F811
    from sqlalchemy import select

    from accord.catalog.fields import Description, classify_field, describe_field
    from accord.catalog.models import CatalogField
    from accord.db.engine import transaction

    run("source", "add", "clients", make_sqlite_source(tmp_path / "c.sqlite"), "--as", engineer)
    run("harvest", "clients", "--as", engineer)
    officer = make_user(cli_env, "sky", "security_officer")
    steward = make_user(cli_env, "sam", "steward")
    with transaction(cli_env) as session:
        for field in session.scalars(select(CatalogField)).all():
            describe_field(
                session, steward, field.id, Description(definition=f"About {field.name}.")
            )
            classify_field(session, officer, field.id, ["PUBLIC"])
    code, output = run("check-metadata", "clients", "--as", engineer)
    assert code == 0 and "Every field has a definition, classification." in output


def test_suggest_jsonl(cli_env: Settings, engineer: str, tmp_path) -> None:  # noqa: F811
    make_user(cli_env, "sky", "security_officer")
    run("source", "add", "clients", make_sqlite_source(tmp_path / "c.sqlite"), "--as", engineer)
    run("harvest", "clients", "--as", engineer)
    code, output = run("suggest", "clients", "--format", "jsonl", "--as", "sky")
    assert code == 0, output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    ssn = next(line for line in lines if line["field"] == "ssn")
    assert ssn["dataset"] == "main.client" and "PII:ssn" in ssn["labels"]
    assert 0 < ssn["confidence"] <= 1 and ssn["reason"]
    code, output = run("suggest", "clients", "--as", "eli")  # a data engineer may run it too
    assert code == 0 and "already decided" in output
